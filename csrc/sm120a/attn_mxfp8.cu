#include "ops.h"
#include "sm89/attn_mxfp8.cuh"

namespace gn_kernels::sm120a {

void attn_mxfp8_qk(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& scale_q,
                   const at::Tensor& scale_k, const at::Tensor& out, bool causal) {
  attn::attn_mxfp8_qk(q, k, v, scale_q, scale_k, out, causal);
}

}  // namespace gn_kernels::sm120a
