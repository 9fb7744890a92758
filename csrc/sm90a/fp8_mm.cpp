#include <string>
#include <vector>

#include "common/checked_args.h"
#include "fp8_gemm_instances.h"
#include "ops.h"
#include "split_k_sum.h"

namespace gn_kernels::sm90a {

namespace {

bool is_fp8(const at::Tensor& t) {
  return t.scalar_type() == at::kFloat8_e4m3fn || t.scalar_type() == at::kFloat8_e5m2;
}

std::string instance_key(const char* op, const at::Tensor& A, const at::Tensor& B,
                         const at::Tensor& out, bool fast_accum, const std::string& config) {
  return out_name(op, out) + (fast_accum ? "_fast_" : "_promoted_") +
         (A.scalar_type() == at::kFloat8_e5m2 ? "e5m2_" : "e4m3_") +
         (B.scalar_type() == at::kFloat8_e5m2 ? "e5m2_" : "e4m3_") + config;
}

SliceSumOut slice_sum_out(const char* op, const at::Tensor& out) {
  switch (out.scalar_type()) {
    case at::kBFloat16: return SliceSumOut::bf16;
    case at::kHalf: return SliceSumOut::fp16;
    case at::kFloat: return SliceSumOut::fp32;
    default: TORCH_CHECK(false, op, ": split-K output must be bfloat16, float16 or float32");
  }
}

void run_instance(const char* op, const std::string& key, const ScaledMmArgs& args) {
#define GN_MATCH(o, acc, a, b, cfg) \
  if (key == #o "_" #acc "_" #a "_" #b "_" #cfg) return GN_SM90A_FP8_NAME(o, acc, a, b, cfg)(args);
  GN_SM90A_FP8_INSTANCES(GN_MATCH)
#undef GN_MATCH
  TORCH_CHECK(false, op, ": no kernel instance ", key);
}

}  // namespace

void scaled_fp8_mm(const at::Tensor& A, const at::Tensor& B,
                   const std::optional<at::Tensor>& scale_A,
                   const std::optional<at::Tensor>& scale_B, const std::optional<at::Tensor>& bias,
                   const at::Tensor& out, bool fast_accum, const std::string& config,
                   int64_t max_swizzle, int64_t splits) {
  constexpr const char* op = "scaled_fp8_mm";
  const CheckedGemm gemm(op, A, B, scale_A, scale_B, bias, out, max_swizzle);
  const ScaledMmArgs& args = gemm.args();
  TORCH_CHECK(is_fp8(A) && is_fp8(B), op, ": FP8 operands expected");
  TORCH_CHECK(!(A.scalar_type() == at::kFloat8_e5m2 && B.scalar_type() == at::kFloat8_e5m2), op,
              ": E5M2 x E5M2 is not supported");
  TORCH_CHECK(splits >= 1 && splits <= 16 && A.size(1) % (16 * splits) == 0, op,
              ": splits must be 1 ... 16 and cut K into slices of a multiple of 16; got ",
              std::to_string(splits), " for K = ", std::to_string(A.size(1)));
  if (splits == 1) return run_instance(op, instance_key(op, A, B, out, fast_accum, config), args);
  const SliceSumOut sum_out = slice_sum_out(op, out);
  TORCH_CHECK(B.size(1) % 4 == 0, op, ": split-K needs N to be a multiple of 4");
  // Each slice's product is scaled in the GEMM's epilogue (the scales are linear in it) and
  // kept in float32; the bias is added once, in the sum.
  const at::Tensor partial =
      at::empty({splits, A.size(0), B.size(1)}, out.options().dtype(at::kFloat));
  ScaledMmArgs sliced = args;
  sliced.out = partial.data_ptr();
  sliced.bias = nullptr;
  sliced.splits = static_cast<int>(splits);
  run_instance(op, instance_key(op, A, B, partial, fast_accum, config), sliced);
  sum_k_slices(static_cast<const float*>(partial.data_ptr()), sliced.splits, sliced.M, sliced.N,
               args.bias, out.data_ptr(), sum_out, args.launch.stream);
}

std::vector<std::string> fp8_gemm_instances() {
  return {
#define GN_NAME(o, acc, a, b, cfg) #o "_" #acc "_" #a "_" #b "_" #cfg,
      GN_SM90A_FP8_INSTANCES(GN_NAME)
#undef GN_NAME
  };
}

}  // namespace gn_kernels::sm90a
