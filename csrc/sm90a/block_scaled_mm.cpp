#include <string>
#include <vector>

#include "block_scaled_gemm_instances.h"
#include "common/checked_args.h"
#include "ops.h"

namespace gn_kernels::sm90a {

void block_scaled_fp8_mm(const at::Tensor& A, const at::Tensor& B, const at::Tensor& scale_A,
                         const at::Tensor& scale_B, const std::optional<at::Tensor>& bias,
                         const at::Tensor& out, const std::string& config, int64_t max_swizzle) {
  constexpr const char* op = "block_scaled_fp8_mm";
  const std::optional<at::Tensor> none;
  const CheckedGemm gemm(op, A, B, none, none, bias, out, max_swizzle);
  TORCH_CHECK(A.scalar_type() == at::kFloat8_e4m3fn && B.scalar_type() == at::kFloat8_e4m3fn, op,
              ": E4M3 operands expected");
  const int64_t M = A.size(0), K = A.size(1), N = B.size(1);
  TORCH_CHECK(N % 128 == 0 && K % 128 == 0, op, ": N and K must be multiples of 128");
  TORCH_CHECK(scale_A.is_cuda() && scale_A.scalar_type() == at::kFloat && scale_A.dim() == 2 &&
                  scale_A.size(0) == M && scale_A.size(1) == K / 128 && scale_A.is_contiguous(),
              op, ": scale_A must be a row-major CUDA float32 (M, K/128) tensor");
  TORCH_CHECK(scale_B.is_cuda() && scale_B.scalar_type() == at::kFloat && scale_B.dim() == 2 &&
                  scale_B.size(0) == K / 128 && scale_B.size(1) == N / 128 &&
                  scale_B.t().is_contiguous(),
              op, ": scale_B must be a column-major CUDA float32 (K/128, N/128) tensor");
  // The block scales ride in the scale fields; the instance hands them to the mainloop.
  ScaledMmArgs args = gemm.args();
  args.scale_A = scale_A.data_ptr<float>();
  args.scale_B = scale_B.data_ptr<float>();
  const std::string key = out_name(op, out) + "_" + config;
#define GN_MATCH(o, cfg) \
  if (key == #o "_" #cfg) return GN_SM90A_BLOCK_SCALED_NAME(o, cfg)(args);
  GN_SM90A_BLOCK_SCALED_INSTANCES(GN_MATCH)
#undef GN_MATCH
  TORCH_CHECK(false, op, ": no kernel instance ", key);
}

std::vector<std::string> block_scaled_gemm_instances() {
  return {
#define GN_NAME(o, cfg) #o "_" #cfg,
      GN_SM90A_BLOCK_SCALED_INSTANCES(GN_NAME)
#undef GN_NAME
  };
}

}  // namespace gn_kernels::sm90a
