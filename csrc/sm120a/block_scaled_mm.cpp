#include <string>
#include <vector>

#include "block_scaled_gemm_instances.h"
#include "common/checked_args.h"
#include "ops.h"

namespace gn_kernels::sm120a {

namespace {

// The instance-list name of the operand format: MXFP8 names its two element types.
std::string format_name(const char* op, const std::string& format, const at::Tensor& A,
                        const at::Tensor& B) {
  if (format != "mxfp8") return format;
  auto element = [&](const at::Tensor& t) -> std::string {
    if (t.scalar_type() == at::kFloat8_e4m3fn) return "e4m3";
    if (t.scalar_type() == at::kFloat8_e5m2) return "e5m2";
    TORCH_CHECK(false, op, ": MXFP8 operands must be float8_e4m3fn or float8_e5m2");
  };
  return "mxfp8_" + element(A) + "_" + element(B);
}

int64_t padded_scales(int64_t rows, int64_t blocks) {
  return (rows + 127) / 128 * 128 * ((blocks + 3) / 4 * 4);
}

}  // namespace

void block_scaled_mm(const at::Tensor& A, const at::Tensor& B, const at::Tensor& SFA,
                     const at::Tensor& SFB, const std::optional<at::Tensor>& scale_A,
                     const std::optional<at::Tensor>& scale_B,
                     const std::optional<at::Tensor>& bias, const at::Tensor& out,
                     const std::string& format, const std::string& config) {
  constexpr const char* op = "block_scaled_mm";
  const CheckedGemm gemm(op, A, B, scale_A, scale_B, bias, out, 1);
  const bool fp4 = format == "mxfp4" || format == "nvfp4";
  TORCH_CHECK(fp4 == (A.scalar_type() == at::kFloat4_e2m1fn_x2 && B.scalar_type() == at::kFloat4_e2m1fn_x2),
              op, ": ", format, " operands do not match their dtypes");
  const int64_t K = A.size(1) * (fp4 ? 2 : 1), block = format == "nvfp4" ? 16 : 32;
  TORCH_CHECK(SFA.is_cuda() && SFB.is_cuda() && SFA.is_contiguous() && SFB.is_contiguous() &&
                  SFA.element_size() == 1 && SFB.element_size() == 1,
              op, ": block scales must be contiguous one-byte CUDA tensors");
  TORCH_CHECK(SFA.numel() >= padded_scales(A.size(0), K / block) &&
                  SFB.numel() >= padded_scales(B.size(1), K / block),
              op, ": block scales too small for the swizzled layout of the operands");
  const BlockScaledArgs args{gemm.args(), SFA.data_ptr(), SFB.data_ptr()};
  const std::string key = format_name(op, format, A, B) + "_" + out_name(op, out) + "_" + config;
#define GN_MATCH(f, o, cfg) \
  if (key == #f "_" #o "_" #cfg) return GN_SM120A_BLOCK_SCALED_NAME(f, o, cfg)(args);
  GN_SM120A_BLOCK_SCALED_INSTANCES(GN_MATCH)
#undef GN_MATCH
  TORCH_CHECK(false, op, ": no kernel instance ", key);
}

std::vector<std::string> block_scaled_gemm_instances() {
  return {
#define GN_NAME(f, o, cfg) #f "_" #o "_" #cfg,
      GN_SM120A_BLOCK_SCALED_INSTANCES(GN_NAME)
#undef GN_NAME
  };
}

}  // namespace gn_kernels::sm120a
