#include <c10/cuda/CUDAGuard.h>

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
  const c10::cuda::CUDAGuard guard(A.device());
  const auto sA = aligned_vector(scale_A, A.size(0)), sB = aligned_vector(scale_B, B.size(1));
  const auto b = aligned_vector(bias, B.size(1));
  const ScaledMmArgs args = checked_args(op, A, B, sA, sB, b, out, 1);
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
