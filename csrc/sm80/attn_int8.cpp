#include "common/attn_args.h"
#include "ops.h"

namespace gn_kernels::sm80 {

void attn_int8_qk(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                  const at::Tensor& scale_q, const at::Tensor& scale_k, const at::Tensor& out,
                  bool causal) {
  attn::launch_checked("attn_int8_qk", attn::QK::kInt8, q, k, v, scale_q, scale_k, nullptr, out, causal,
                       launch_attn);
}

void attn_int8(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& scale_q,
               const at::Tensor& scale_k, const at::Tensor& scale_v, const at::Tensor& out, bool causal) {
  attn::launch_checked("attn_int8", attn::QK::kInt8, q, k, v, scale_q, scale_k, &scale_v, out, causal,
                       launch_attn);
}

}  // namespace gn_kernels::sm80
