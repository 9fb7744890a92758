#include <string>
#include <vector>

#include "fp8_gemm_instances.h"

namespace gn_kernels::sm90a {

namespace {

bool is_fp8(const at::Tensor& t) {
  return t.scalar_type() == at::kFloat8_e4m3fn || t.scalar_type() == at::kFloat8_e5m2;
}

void check_vector(const std::optional<at::Tensor>& t, int64_t n, const char* name) {
  if (!t.has_value()) return;
  TORCH_CHECK(t->is_cuda() && t->scalar_type() == at::kFloat && t->is_contiguous() &&
                  (t->numel() == 1 || t->numel() == n),
              "scaled_fp8_mm: ", name, " must be a contiguous CUDA float32 tensor of 1 or ", n,
              " values");
}

}  // namespace

// Shapes, dtypes, layouts and devices were checked by the Python op; these
// checks only keep a direct call into the extension from reading out of bounds.
void scaled_fp8_mm(const at::Tensor& A, const at::Tensor& B,
                   const std::optional<at::Tensor>& scale_A,
                   const std::optional<at::Tensor>& scale_B, const std::optional<at::Tensor>& bias,
                   const at::Tensor& out, bool fast_accum, const std::string& config,
                   int64_t max_swizzle) {
  TORCH_CHECK(max_swizzle == 1 || max_swizzle == 2 || max_swizzle == 4 || max_swizzle == 8,
              "scaled_fp8_mm: max_swizzle must be 1, 2, 4 or 8");
  TORCH_CHECK(A.is_cuda() && B.is_cuda() && out.is_cuda(), "scaled_fp8_mm: CUDA tensors expected");
  TORCH_CHECK(is_fp8(A) && is_fp8(B), "scaled_fp8_mm: FP8 operands expected");
  TORCH_CHECK(A.dim() == 2 && B.dim() == 2 && out.dim() == 2, "scaled_fp8_mm: 2-D tensors expected");
  TORCH_CHECK(A.is_contiguous() && B.t().is_contiguous() && out.is_contiguous(),
              "scaled_fp8_mm: A row-major, B column-major and out row-major expected");
  TORCH_CHECK(A.size(1) == B.size(0) && out.size(0) == A.size(0) && out.size(1) == B.size(1),
              "scaled_fp8_mm: shape mismatch");
  check_vector(scale_A, A.size(0), "scale_A");
  check_vector(scale_B, B.size(1), "scale_B");
  TORCH_CHECK(!bias.has_value() || bias->numel() == B.size(1), "scaled_fp8_mm: bias must have N values");
  check_vector(bias, B.size(1), "bias");
  TORCH_CHECK(!(A.scalar_type() == at::kFloat8_e5m2 && B.scalar_type() == at::kFloat8_e5m2),
              "scaled_fp8_mm: E5M2 x E5M2 is not supported");
  const Fp8MmArgs args{A, B, scale_A, scale_B, bias, out, static_cast<int>(max_swizzle)};
  const char* out_name = out.scalar_type() == at::kBFloat16 ? "bf16"
                         : out.scalar_type() == at::kHalf   ? "fp16"
                         : out.scalar_type() == at::kFloat  ? "fp32"
                                                            : nullptr;
  TORCH_CHECK(out_name != nullptr, "scaled_fp8_mm: out must be bfloat16, float16 or float32");
  const std::string key = std::string(out_name) + (fast_accum ? "_fast_" : "_promoted_") +
                          (A.scalar_type() == at::kFloat8_e5m2 ? "e5m2_" : "e4m3_") +
                          (B.scalar_type() == at::kFloat8_e5m2 ? "e5m2_" : "e4m3_") + config;
#define GN_MATCH(o, acc, a, b, cfg) \
  if (key == #o "_" #acc "_" #a "_" #b "_" #cfg) return GN_SM90A_FP8_NAME(o, acc, a, b, cfg)(args);
  GN_SM90A_FP8_INSTANCES(GN_MATCH)
#undef GN_MATCH
  TORCH_CHECK(false, "scaled_fp8_mm: no kernel instance ", key);
}

std::vector<std::string> fp8_gemm_instances() {
  return {
#define GN_NAME(o, acc, a, b, cfg) #o "_" #acc "_" #a "_" #b "_" #cfg,
      GN_SM90A_FP8_INSTANCES(GN_NAME)
#undef GN_NAME
  };
}

}  // namespace gn_kernels::sm90a
