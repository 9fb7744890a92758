// MXFP8 attention (Q and K both E4M3 or both E5M2, E8M0 scales per 32 channels, bfloat16 V) on
// FP8 mma.sync: the SM89 and SM120a extensions each compile it for their own target.
#pragma once

#include "sm80/attn_kernel.cuh"

namespace gn_kernels::attn {

namespace {

void launch_attn_mxfp8(const char* op, const AttnParams& p, cudaStream_t stream) {
  if (p.qk == QK::kInt8 || p.int8_v) not_built(op, "MXFP8 q and k with a bfloat16 v");
  if (p.qk == QK::kE5m2) {
    launch_attn_kernel<QK::kE5m2, false>(op, p, stream);
  } else {
    launch_attn_kernel<QK::kE4m3, false>(op, p, stream);
  }
}

}  // namespace

}  // namespace gn_kernels::attn
