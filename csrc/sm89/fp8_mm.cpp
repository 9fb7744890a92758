#include <string>
#include <vector>

#include "common/checked_args.h"
#include "fp8_gemm_instances.h"
#include "ops.h"

namespace gn_kernels::sm89 {

namespace {

const char* fp8_name(const at::Tensor& t) {
  switch (t.scalar_type()) {
    case at::kFloat8_e4m3fn: return "e4m3";
    case at::kFloat8_e5m2: return "e5m2";
    default: TORCH_CHECK(false, "scaled_fp8_mm: FP8 operands expected, got ",
                          c10::toString(t.scalar_type()));
  }
}

}  // namespace

void scaled_fp8_mm(const at::Tensor& A, const at::Tensor& B,
                   const std::optional<at::Tensor>& scale_A,
                   const std::optional<at::Tensor>& scale_B, const std::optional<at::Tensor>& bias,
                   const at::Tensor& out, bool fast_accum, const std::string& config,
                   int64_t max_swizzle) {
  constexpr const char* op = "scaled_fp8_mm";
  const CheckedGemm gemm(op, A, B, scale_A, scale_B, bias, out, max_swizzle,
                         /*whole_vectors=*/true);
  const ScaledMmArgs& args = gemm.args();
  const std::string key = out_name(op, out) + (fast_accum ? "_fast_" : "_promoted_") +
                          fp8_name(A) + "_" + fp8_name(B) + "_" + config;
#define GN_MATCH(o, acc, a, b, cfg) \
  if (key == #o "_" #acc "_" #a "_" #b "_" #cfg) return GN_SM89_FP8_NAME(o, acc, a, b, cfg)(args);
  GN_SM89_FP8_INSTANCES(GN_MATCH)
#undef GN_MATCH
  TORCH_CHECK(false, op, ": no kernel instance ", key);
}

std::vector<std::string> fp8_gemm_instances() {
  return {
#define GN_NAME(o, acc, a, b, cfg) #o "_" #acc "_" #a "_" #b "_" #cfg,
      GN_SM89_FP8_INSTANCES(GN_NAME)
#undef GN_NAME
  };
}

}  // namespace gn_kernels::sm89
