// SM80 INT8 attentions: the mma.sync attention kernel of attn_kernel.cuh with INT8 Q and K.
#include "ops.h"
#include "sm80/attn_kernel.cuh"

namespace gn_kernels::sm80 {

using attn::launch_attn;
using attn::QK;

void attn_int8_qk(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                  const at::Tensor& scale_q, const at::Tensor& scale_k, const at::Tensor& out,
                  bool causal) {
  launch_attn<QK::kInt8, false>("attn_int8_qk", q, k, v, scale_q, scale_k, nullptr, out, causal);
}

void attn_int8(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& scale_q,
               const at::Tensor& scale_k, const at::Tensor& scale_v, const at::Tensor& out, bool causal) {
  launch_attn<QK::kInt8, true>("attn_int8", q, k, v, scale_q, scale_k, &scale_v, out, causal);
}

}  // namespace gn_kernels::sm80
