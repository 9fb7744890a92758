#include <string>
#include <vector>

#include "common/checked_args.h"
#include "int4_gemm_instances.h"
#include "ops.h"

namespace gn_kernels::sm80 {

void int4_mm(const at::Tensor& A, const at::Tensor& B, const std::optional<at::Tensor>& scale_A,
             const std::optional<at::Tensor>& scale_B, const std::optional<at::Tensor>& bias,
             const at::Tensor& out, const std::string& config) {
  constexpr const char* op = "int4_mm";
  const CheckedGemm gemm(op, A, B, scale_A, scale_B, bias, out, 1, /*whole_vectors=*/true);
  const ScaledMmArgs& args = gemm.args();
  TORCH_CHECK(A.scalar_type() == at::kChar && B.scalar_type() == at::kChar, op,
              ": INT4 operands packed in int8 expected");
  const std::string name = out_name(op, out);
  TORCH_CHECK(name != "int32" || !(scale_A || scale_B || bias), op,
              ": an int32 output takes no scales or bias");
  const std::string key = name + "_" + config;
#define GN_MATCH(o, cfg) \
  if (key == #o "_" #cfg) return GN_SM80_INT4_NAME(o, cfg)(args);
  GN_SM80_INT4_INSTANCES(GN_MATCH)
#undef GN_MATCH
  TORCH_CHECK(false, op, ": no kernel instance ", key);
}

std::vector<std::string> int4_gemm_instances() {
  return {
#define GN_NAME(o, cfg) #o "_" #cfg,
      GN_SM80_INT4_INSTANCES(GN_NAME)
#undef GN_NAME
  };
}

}  // namespace gn_kernels::sm80
