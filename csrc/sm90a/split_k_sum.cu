#include "split_k_sum.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>

#include "common/launch_error.h"

namespace gn_kernels::sm90a {

namespace {

// torch's extension flags turn off cuda_fp16.h's and cuda_bf16.h's implicit conversions.
template <class Out>
__device__ Out round_to(float x);
template <>
__device__ float round_to<float>(float x) { return x; }
template <>
__device__ __half round_to<__half>(float x) { return __float2half_rn(x); }
template <>
__device__ __nv_bfloat16 round_to<__nv_bfloat16>(float x) { return __float2bfloat16_rn(x); }

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
    o[0] = round_to<Out>(s.x);
    o[1] = round_to<Out>(s.y);
    o[2] = round_to<Out>(s.z);
    o[3] = round_to<Out>(s.w);
  }
}

template <class Out>
void launch(const float* partial, int splits, int64_t quads, int n, const float* bias, void* out,
            cudaStream_t stream) {
  constexpr int threads = 256;
  // A grid-stride loop: a few blocks per SM keep every SM's loads in flight.
  const int64_t blocks = std::min<int64_t>((quads + threads - 1) / threads, 4096);
  sum_k_slices_kernel<Out><<<blocks, threads, 0, stream>>>(
      reinterpret_cast<const float4*>(partial), bias, static_cast<Out*>(out), quads, n, splits);
  check_launched("sum_k_slices");
}

}  // namespace

void sum_k_slices(const float* partial, int splits, int64_t M, int N, const float* bias,
                  void* out, SliceSumOut out_type, cudaStream_t stream) {
  const int64_t quads = M * N / 4;
  if (quads == 0) return;
  switch (out_type) {
    case SliceSumOut::bf16:
      return launch<__nv_bfloat16>(partial, splits, quads, N, bias, out, stream);
    case SliceSumOut::fp16: return launch<__half>(partial, splits, quads, N, bias, out, stream);
    case SliceSumOut::fp32: return launch<float>(partial, splits, quads, N, bias, out, stream);
  }
}

}  // namespace gn_kernels::sm90a
