#include "sm89/attn_mxfp8.cuh"

namespace gn_kernels::sm120a {

void launch_attn(const char* op, const attn::AttnParams& p, cudaStream_t stream) {
  attn::launch_attn_mxfp8(op, p, stream);
}

}  // namespace gn_kernels::sm120a
