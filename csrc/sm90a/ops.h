// Entry points of the SM90a extension; the Python ops in gn_kernels/ hold the
// schemas, argument checks and fake kernels.
#pragma once

#include <ATen/ATen.h>

#include <optional>
#include <string>
#include <vector>

namespace gn_kernels::sm90a {

// out = scale_A * (A @ B * scale_B) + bias for FP8 operands (see ScaledMmArgs); config
// names a tile configuration of gemm_configs.h. splits > 1 cuts K into that many slices, whose
// float32 products the configuration's float32-output instance computes as one batch, and sums
// them into out.
void scaled_fp8_mm(const at::Tensor& A, const at::Tensor& B,
                   const std::optional<at::Tensor>& scale_A,
                   const std::optional<at::Tensor>& scale_B, const std::optional<at::Tensor>& bias,
                   const at::Tensor& out, bool fast_accum, const std::string& config,
                   int64_t max_swizzle, int64_t splits);

// "<out>_<acc>_<a>_<b>_<config>" of every instantiated kernel, e.g. "bf16_fast_e4m3_e4m3_coop_128x256_c2".
std::vector<std::string> fp8_gemm_instances();

// The same for int8 operands with int32 accumulation; out bfloat16, float16 or
// float32 through scales and bias, or int32 (exact, no scales or bias).
void int8_mm(const at::Tensor& A, const at::Tensor& B, const std::optional<at::Tensor>& scale_A,
             const std::optional<at::Tensor>& scale_B, const std::optional<at::Tensor>& bias,
             const at::Tensor& out, const std::string& config, int64_t max_swizzle);

// "<out>_<config>" of every instantiated INT8 kernel, e.g. "int32_coop_128x256_c2".
std::vector<std::string> int8_gemm_instances();

// out = (A @ B with block scales) + bias: A (M, K) and B (K, N) E4M3, scale_A float32
// (M, K/128) row-major, scale_B float32 (K/128, N/128) column-major, applied to each
// 128-deep K block's partial product; N and K multiples of 128.
void block_scaled_fp8_mm(const at::Tensor& A, const at::Tensor& B, const at::Tensor& scale_A,
                         const at::Tensor& scale_B, const std::optional<at::Tensor>& bias,
                         const at::Tensor& out, const std::string& config, int64_t max_swizzle);

// "<out>_<config>" of every instantiated block-scaled FP8 kernel.
std::vector<std::string> block_scaled_gemm_instances();

}  // namespace gn_kernels::sm90a
