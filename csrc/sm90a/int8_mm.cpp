#include <string>
#include <vector>

#include "common/checked_args.h"
#include "int8_gemm_instances.h"
#include "ops.h"

namespace gn_kernels::sm90a {

void int8_mm(const at::Tensor& A, const at::Tensor& B, const std::optional<at::Tensor>& scale_A,
             const std::optional<at::Tensor>& scale_B, const std::optional<at::Tensor>& bias,
             const at::Tensor& out, const std::string& config, int64_t max_swizzle) {
  constexpr const char* op = "int8_mm";
  const CheckedGemm gemm(op, A, B, scale_A, scale_B, bias, out, max_swizzle);
  const ScaledMmArgs& args = gemm.args();
  TORCH_CHECK(A.scalar_type() == at::kChar && B.scalar_type() == at::kChar, op,
              ": int8 operands expected");
  const std::string name = out_name(op, out);
  TORCH_CHECK(name != "int32" || !(scale_A || scale_B || bias), op,
              ": an int32 output takes no scales or bias");
  const std::string key = name + "_" + config;
#define GN_MATCH(o, cfg) \
  if (key == #o "_" #cfg) return GN_SM90A_INT8_NAME(o, cfg)(args);
  GN_SM90A_INT8_INSTANCES(GN_MATCH)
#undef GN_MATCH
  TORCH_CHECK(false, op, ": no kernel instance ", key);
}

std::vector<std::string> int8_gemm_instances() {
  return {
#define GN_NAME(o, cfg) #o "_" #cfg,
      GN_SM90A_INT8_INSTANCES(GN_NAME)
#undef GN_NAME
  };
}

}  // namespace gn_kernels::sm90a
