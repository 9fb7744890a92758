#include <string>
#include <vector>

#include "fp8_gemm_instances.h"
#include "common/scaled_mm_args.h"

namespace gn_kernels::sm90a {

namespace {

bool is_fp8(const at::Tensor& t) {
  return t.scalar_type() == at::kFloat8_e4m3fn || t.scalar_type() == at::kFloat8_e5m2;
}

}  // namespace

void scaled_fp8_mm(const at::Tensor& A, const at::Tensor& B,
                   const std::optional<at::Tensor>& scale_A,
                   const std::optional<at::Tensor>& scale_B, const std::optional<at::Tensor>& bias,
                   const at::Tensor& out, bool fast_accum, const std::string& config,
                   int64_t max_swizzle) {
  constexpr const char* op = "scaled_fp8_mm";
  const ScaledMmArgs args = checked_args(op, A, B, scale_A, scale_B, bias, out, max_swizzle);
  TORCH_CHECK(is_fp8(A) && is_fp8(B), op, ": FP8 operands expected");
  TORCH_CHECK(!(A.scalar_type() == at::kFloat8_e5m2 && B.scalar_type() == at::kFloat8_e5m2), op,
              ": E5M2 x E5M2 is not supported");
  const std::string key = out_name(op, out) + (fast_accum ? "_fast_" : "_promoted_") +
                          (A.scalar_type() == at::kFloat8_e5m2 ? "e5m2_" : "e4m3_") +
                          (B.scalar_type() == at::kFloat8_e5m2 ? "e5m2_" : "e4m3_") + config;
#define GN_MATCH(o, acc, a, b, cfg) \
  if (key == #o "_" #acc "_" #a "_" #b "_" #cfg) return GN_SM90A_FP8_NAME(o, acc, a, b, cfg)(args);
  GN_SM90A_FP8_INSTANCES(GN_MATCH)
#undef GN_MATCH
  TORCH_CHECK(false, op, ": no kernel instance ", key);
}

std::vector<std::string> fp8_gemm_instances() {
  return {
#define GN_NAME(o, acc, a, b, cfg) #o "_" #acc "_" #a "_" #b "_" #cfg,
      GN_SM90A_FP8_INSTANCES(GN_NAME)
#undef GN_NAME
  };
}

}  // namespace gn_kernels::sm90a
