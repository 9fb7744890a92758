// Entry points of the SM120a extension; the Python ops in gn_kernels/ hold the schemas,
// argument checks, fake kernels and the packing of block scales.
#pragma once

#include <ATen/ATen.h>

#include <optional>
#include <string>
#include <vector>

namespace gn_kernels::sm120a {

// out = scale_A * ((A, SFA) @ (B, SFB) * scale_B) + bias. format is "mxfp8" (E4M3/E5M2
// operands, E8M0 scales), "mxfp4" or "nvfp4" (packed E2M1 operands, FP4_DTYPE, with E8M0 or
// E4M3 scales); SFA and SFB are the block scales in the swizzled layout of
// pack_block_scales_nv, with rows padded to 128 and K blocks to 4. scale_A, scale_B and bias
// as in the other families' scaled GEMMs (NVFP4's output scale is a one-value scale_A).
void block_scaled_mm(const at::Tensor& A, const at::Tensor& B, const at::Tensor& SFA,
                     const at::Tensor& SFB, const std::optional<at::Tensor>& scale_A,
                     const std::optional<at::Tensor>& scale_B,
                     const std::optional<at::Tensor>& bias, const at::Tensor& out,
                     const std::string& format, const std::string& config);

// "<format>_<out>_<config>" of every instantiated kernel.
std::vector<std::string> block_scaled_gemm_instances();

// Where the kernels read the block scale of (row, K block) for an operand of `rows` rows and
// K values in blocks of `block` (32 for MX, 16 for NVFP4): an int64 (rows, K / block) tensor of
// offsets into the scale buffer, from CUTLASS's own layout. Host only, for tests of the packing.
at::Tensor scale_factor_offsets(int64_t rows, int64_t K, int64_t block);

// Attention forward, head dim 128, with MXFP8 q and k (B, H, L, 128), both E4M3 or both E5M2,
// and their E8M0 scales (B, H, L, 4), one per 32 channels; v and out bfloat16. Scores are the
// sums over the four channel blocks of (q_blk . k_blk) * 2^(eq - 127) * 2^(ek - 127), scaled by
// 1/sqrt(128); causal lets query i see keys j <= i.
void attn_mxfp8_qk(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& scale_q,
                   const at::Tensor& scale_k, const at::Tensor& out, bool causal);

}  // namespace gn_kernels::sm120a
