// Entry points of the SM89 extension; the Python ops in gn_kernels/ hold the schemas,
// argument checks and fake kernels.
#pragma once

#include <ATen/ATen.h>

#include <optional>
#include <string>
#include <vector>

namespace gn_kernels::sm89 {

// out = scale_A * (A @ B * scale_B) + bias for FP8 operands (see ScaledMmArgs) by the
// named tile configuration of gemm_configs.h. max_swizzle is accepted for the common
// signature and unused: these kernels walk tiles in CUTLASS's 8-wide swizzle.
void scaled_fp8_mm(const at::Tensor& A, const at::Tensor& B,
                   const std::optional<at::Tensor>& scale_A,
                   const std::optional<at::Tensor>& scale_B, const std::optional<at::Tensor>& bias,
                   const at::Tensor& out, bool fast_accum, const std::string& config,
                   int64_t max_swizzle);

// "<out>_<acc>_<a>_<b>_<config>" of every instantiated kernel.
std::vector<std::string> fp8_gemm_instances();

// Attention forward, head dim 128, with MXFP8 q and k (B, H, L, 128), both E4M3 or both E5M2,
// and their E8M0 scales (B, H, L, 4), one per 32 channels; v and out bfloat16. Scores are the
// sums over the four channel blocks of (q_blk . k_blk) * 2^(eq - 127) * 2^(ek - 127), scaled by
// 1/sqrt(128); causal lets query i see keys j <= i.
void attn_mxfp8_qk(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& scale_q,
                   const at::Tensor& scale_k, const at::Tensor& out, bool causal);

}  // namespace gn_kernels::sm89
