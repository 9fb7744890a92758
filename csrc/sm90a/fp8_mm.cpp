#include "ops.h"

namespace gn_kernels::sm90a {

// Shapes, dtypes, layouts and devices were checked by the Python op; these
// checks only keep a direct call into the extension from reading out of bounds.
void fp8_mm(const at::Tensor& A, const at::Tensor& B, const at::Tensor& out) {
  TORCH_CHECK(A.is_cuda() && B.is_cuda() && out.is_cuda(), "fp8_mm: CUDA tensors expected");
  TORCH_CHECK(A.scalar_type() == at::kFloat8_e4m3fn && B.scalar_type() == at::kFloat8_e4m3fn,
              "fp8_mm: float8_e4m3fn operands expected");
  TORCH_CHECK(A.dim() == 2 && B.dim() == 2 && out.dim() == 2, "fp8_mm: 2-D tensors expected");
  TORCH_CHECK(A.is_contiguous() && B.t().is_contiguous() && out.is_contiguous(),
              "fp8_mm: A row-major, B column-major and out row-major expected");
  TORCH_CHECK(A.size(1) == B.size(0) && out.size(0) == A.size(0) && out.size(1) == B.size(1),
              "fp8_mm: shape mismatch");
  switch (out.scalar_type()) {
    case at::kBFloat16: return fp8_mm_bf16(A, B, out);
    case at::kHalf: return fp8_mm_fp16(A, B, out);
    case at::kFloat: return fp8_mm_fp32(A, B, out);
    default: TORCH_CHECK(false, "fp8_mm: out must be bfloat16, float16 or float32");
  }
}

}  // namespace gn_kernels::sm90a
