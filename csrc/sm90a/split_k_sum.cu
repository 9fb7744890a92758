#include "split_k_sum.h"

#include <c10/cuda/CUDAStream.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>

#include <algorithm>

namespace gn_kernels::sm90a {

namespace {

// Four outputs a thread: N is a multiple of 4, so the four share a row, and the float4 loads of
// partial, which sum_k_slices' caller allocated, are aligned. The slices are added in order, so
// the result does not depend on the launch.
template <class Out>
__global__ void sum_k_slices_kernel(const float4* __restrict__ partial,
                                    const float* __restrict__ bias, Out* __restrict__ out,
                                    int64_t quads, int n, int splits) {
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t q = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; q < quads; q += step) {
    float4 s = partial[q];
    for (int l = 1; l < splits; ++l) {
      const float4 p = partial[l * quads + q];
      s.x += p.x;
      s.y += p.y;
      s.z += p.z;
      s.w += p.w;
    }
    if (bias != nullptr) {
      const float* b = bias + q * 4 % n;  // a caller's view: no float4 alignment to rely on
      s.x += b[0];
      s.y += b[1];
      s.z += b[2];
      s.w += b[3];
    }
    Out* o = out + q * 4;
    o[0] = static_cast<Out>(s.x);
    o[1] = static_cast<Out>(s.y);
    o[2] = static_cast<Out>(s.z);
    o[3] = static_cast<Out>(s.w);
  }
}

template <class Out>
void launch(const at::Tensor& partial, const float* bias, const at::Tensor& out) {
  const int64_t quads = out.numel() / 4;
  constexpr int threads = 256;
  // A grid-stride loop: a few blocks per SM keep every SM's loads in flight.
  const int64_t blocks = std::min<int64_t>((quads + threads - 1) / threads, 4096);
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream(out.get_device()).stream();
  sum_k_slices_kernel<Out><<<blocks, threads, 0, stream>>>(
      static_cast<const float4*>(partial.data_ptr()), bias, static_cast<Out*>(out.data_ptr()),
      quads, static_cast<int>(out.size(1)), static_cast<int>(partial.size(0)));
  C10_CUDA_KERNEL_LAUNCH_CHECK();
}

}  // namespace

void sum_k_slices(const at::Tensor& partial, const std::optional<at::Tensor>& bias,
                  const at::Tensor& out) {
  TORCH_CHECK(partial.scalar_type() == at::kFloat && partial.is_contiguous() &&
                  partial.dim() == 3 && partial.size(1) == out.size(0) &&
                  partial.size(2) == out.size(1) && out.is_contiguous() && out.size(1) % 4 == 0,
              "sum_k_slices: partial (splits, M, N) float32 and out (M, N) contiguous, N % 4 == 0");
  if (out.numel() == 0) return;
  c10::cuda::CUDAGuard guard(out.device());
  const float* b = bias.has_value() ? static_cast<const float*>(bias->data_ptr()) : nullptr;
  switch (out.scalar_type()) {
    case at::kBFloat16: return launch<at::BFloat16>(partial, b, out);
    case at::kHalf: return launch<at::Half>(partial, b, out);
    case at::kFloat: return launch<float>(partial, b, out);
    default: TORCH_CHECK(false, "sum_k_slices: out must be bfloat16, float16 or float32");
  }
}

}  // namespace gn_kernels::sm90a
