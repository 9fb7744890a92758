// The SM80 attentions: the mma.sync kernel of attn_kernel.cuh with INT8 Q and K, V bfloat16 or INT8.
#include "sm80/attn_kernel.cuh"

namespace gn_kernels::sm80 {

void launch_attn(const char* op, const attn::AttnParams& p, cudaStream_t stream) {
  using attn::QK;
  if (p.qk != QK::kInt8) attn::not_built(op, "int8 q and k");
  if (p.int8_v) {
    attn::launch_attn_kernel<QK::kInt8, true>(op, p, stream);
  } else {
    attn::launch_attn_kernel<QK::kInt8, false>(op, p, stream);
  }
}

}  // namespace gn_kernels::sm80
