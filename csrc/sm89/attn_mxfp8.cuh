// MXFP8 attention (Q and K both E4M3 or both E5M2, E8M0 scales per 32 channels, bfloat16 V) on
// FP8 mma.sync: the SM89 and SM120a extensions each compile it for their own target.
#pragma once

#include "sm80/attn_kernel.cuh"

namespace gn_kernels::attn {

namespace {

void attn_mxfp8_qk(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& scale_q,
                          const at::Tensor& scale_k, const at::Tensor& out, bool causal) {
  if (q.scalar_type() == at::kFloat8_e5m2) {
    launch_attn<QK::kE5m2, false>("attn_mxfp8_qk", q, k, v, scale_q, scale_k, nullptr, out, causal);
  } else {
    launch_attn<QK::kE4m3, false>("attn_mxfp8_qk", q, k, v, scale_q, scale_k, nullptr, out, causal);
  }
}

}  // namespace

}  // namespace gn_kernels::attn
