#include "common/attn_args.h"
#include "ops.h"

namespace gn_kernels::sm89 {

void attn_mxfp8_qk(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& scale_q,
                   const at::Tensor& scale_k, const at::Tensor& out, bool causal) {
  attn::launch_checked("attn_mxfp8_qk", attn::mxfp8_codes(q), q, k, v, scale_q, scale_k, nullptr, out, causal,
                       launch_attn);
}

}  // namespace gn_kernels::sm89
