// One output dtype per file, so that the instantiations compile in parallel.
#include "fp8_gemm.cuh"

namespace gn_kernels::sm90a {

void fp8_mm_bf16(const at::Tensor& A, const at::Tensor& B, const at::Tensor& out) {
  fp8_mm_impl<cutlass::bfloat16_t>(A, B, out);
}

}  // namespace gn_kernels::sm90a
