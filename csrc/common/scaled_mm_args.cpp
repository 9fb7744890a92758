#include "scaled_mm_args.h"

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

}  // namespace

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
  return {A, B, scale_A, scale_B, bias, out, static_cast<int>(max_swizzle)};
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
