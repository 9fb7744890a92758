#include "checked_args.h"

#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAStream.h>

#include <atomic>

namespace gn_kernels {

namespace {

// Numbers in these messages go through std::to_string: an int64 streamed into a TORCH_CHECK
// message crashed the process (SIGSEGV) on the H100 machine's torch 2.11 build; strings did not.
void check_vector(const char* op, const std::optional<at::Tensor>& t, int64_t n,
                  const char* name) {
  if (!t.has_value()) return;
  TORCH_CHECK(t->is_cuda() && t->scalar_type() == at::kFloat && t->is_contiguous() &&
                  (t->numel() == 1 || t->numel() == n),
              op, ": ", name, " must be a contiguous CUDA float32 tensor of 1 or ", std::to_string(n),
              " values");
}

// Read once per device: persistent tile schedulers size their grid from it, and the query
// costs a driver call.
int multiprocessor_count(int device) {
  static std::array<std::atomic<int>, 64> cache{};
  TORCH_CHECK(device >= 0 && device < static_cast<int>(cache.size()), "device index ",
              std::to_string(device), " out of range");
  int count = cache[device].load(std::memory_order_relaxed);
  if (count == 0) {
    C10_CUDA_CHECK(cudaDeviceGetAttribute(&count, cudaDevAttrMultiProcessorCount, device));
    cache[device].store(count, std::memory_order_relaxed);
  }
  return count;
}

void* allocate_workspace(size_t bytes, cudaStream_t stream) {
  return c10::cuda::CUDACachingAllocator::raw_alloc_with_stream(bytes, stream);
}

void release_workspace(void* memory) { c10::cuda::CUDACachingAllocator::raw_delete(memory); }

Launch current_stream_launch(int device) {
  return {device, multiprocessor_count(device), c10::cuda::getCurrentCUDAStream(device).stream(),
          allocate_workspace, release_workspace};
}

const float* float_data(const std::optional<at::Tensor>& t) {
  return t.has_value() ? static_cast<const float*>(t->data_ptr()) : nullptr;
}

// The arguments the kernels take, after the layout, shape, scale and bias checks.
ScaledMmArgs checked_args(const char* op, const at::Tensor& A, const at::Tensor& B,
                          const std::optional<at::Tensor>& scale_A,
                          const std::optional<at::Tensor>& scale_B,
                          const std::optional<at::Tensor>& bias, const at::Tensor& out,
                          int64_t max_swizzle) {
  TORCH_CHECK(max_swizzle == 1 || max_swizzle == 2 || max_swizzle == 4 || max_swizzle == 8, op,
              ": max_swizzle must be 1, 2, 4 or 8");
  TORCH_CHECK(A.is_cuda() && B.is_cuda() && out.is_cuda(), op, ": CUDA tensors expected");
  TORCH_CHECK(A.dim() == 2 && B.dim() == 2 && out.dim() == 2, op, ": 2-D tensors expected");
  TORCH_CHECK(A.is_contiguous() && B.t().is_contiguous() && out.is_contiguous(), op,
              ": A row-major, B column-major and out row-major expected");
  TORCH_CHECK(A.size(1) == B.size(0) && out.size(0) == A.size(0) && out.size(1) == B.size(1), op,
              ": shape mismatch");
  check_vector(op, scale_A, A.size(0), "scale_A");
  check_vector(op, scale_B, B.size(1), "scale_B");
  TORCH_CHECK(!bias.has_value() || bias->numel() == B.size(1), op, ": bias must have N values");
  check_vector(op, bias, B.size(1), "bias");
  ScaledMmArgs args;
  args.A = A.data_ptr();
  args.B = B.data_ptr();
  args.scale_A = float_data(scale_A);
  args.scale_B = float_data(scale_B);
  args.bias = float_data(bias);
  args.scale_A_vector = scale_A.has_value() && scale_A->numel() > 1;
  args.scale_B_vector = scale_B.has_value() && scale_B->numel() > 1;
  args.out = out.data_ptr();
  args.M = static_cast<int>(A.size(0));
  args.N = static_cast<int>(B.size(1));
  args.K = static_cast<int>(A.size(1));
  args.max_swizzle = static_cast<int>(max_swizzle);
  args.launch = current_stream_launch(A.get_device());
  return args;
}

// The copy a whole_vectors launch reads instead of t (see CheckedGemm), or none.
at::Tensor whole_vector_copy(const std::optional<at::Tensor>& t, int64_t n) {
  if (!t.has_value()) return {};
  if (t->numel() == 1 && n != 1) return t->reshape({1}).expand({n}).contiguous();
  if (reinterpret_cast<uintptr_t>(t->data_ptr()) % 16 != 0) return t->clone();
  return {};
}

}  // namespace

CheckedGemm::CheckedGemm(const char* op, const at::Tensor& A, const at::Tensor& B,
                         const std::optional<at::Tensor>& scale_A,
                         const std::optional<at::Tensor>& scale_B,
                         const std::optional<at::Tensor>& bias, const at::Tensor& out,
                         int64_t max_swizzle, bool whole_vectors)
    : guard_(A.device()),
      args_(checked_args(op, A, B, scale_A, scale_B, bias, out, max_swizzle)) {
  if (!whole_vectors) return;
  const std::optional<at::Tensor>* vectors[] = {&scale_A, &scale_B, &bias};
  const float** fields[] = {&args_.scale_A, &args_.scale_B, &args_.bias};
  const int64_t lengths[] = {args_.M, args_.N, args_.N};
  for (size_t i = 0; i < copies_.size(); ++i) {
    copies_[i] = whole_vector_copy(*vectors[i], lengths[i]);
    if (copies_[i].defined()) *fields[i] = copies_[i].data_ptr<float>();
  }
  args_.scale_A_vector = args_.scale_A != nullptr;
  args_.scale_B_vector = args_.scale_B != nullptr;
}

std::string out_name(const char* op, const at::Tensor& out) {
  switch (out.scalar_type()) {
    case at::kBFloat16: return "bf16";
    case at::kHalf: return "fp16";
    case at::kFloat: return "fp32";
    case at::kInt: return "int32";
    default: TORCH_CHECK(false, op, ": out must be bfloat16, float16, float32 or int32");
  }
}

}  // namespace gn_kernels
