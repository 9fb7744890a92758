// Entry points of the SM80 extension; the Python ops in gn_kernels/ hold the schemas,
// argument checks and fake kernels.
#pragma once

#include <ATen/ATen.h>

#include <optional>
#include <string>
#include <vector>

namespace gn_kernels::sm80 {

// out = scale_A * (A @ B * scale_B) + bias for INT4 operands packed two a byte along K
// (A (M, K/2) row-major, B (K/2, N) column-major, int8 storage), or the exact int32
// product when out is int32 (no scales or bias), by the named tile configuration.
void int4_mm(const at::Tensor& A, const at::Tensor& B, const std::optional<at::Tensor>& scale_A,
             const std::optional<at::Tensor>& scale_B, const std::optional<at::Tensor>& bias,
             const at::Tensor& out, const std::string& config);

// "<out>_<config>" of every instantiated INT4 kernel.
std::vector<std::string> int4_gemm_instances();

// Attention forward, head dim 128: softmax(q k^T * scale_q[i] * scale_k[j] / sqrt(128)) v into
// out, q (B, H, Lq, 128) and k (B, H, Lk, 128) int8 with float32 per-token scales (B, H, L), v
// and out bfloat16; causal lets query i see keys j <= i.
void attn_int8_qk(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                  const at::Tensor& scale_q, const at::Tensor& scale_k, const at::Tensor& out,
                  bool causal);

// The same with an int8 v and its per-channel float32 scales scale_v (B, H, 128): the output
// is softmax(...) (v * scale_v).
void attn_int8(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& scale_q,
               const at::Tensor& scale_k, const at::Tensor& scale_v, const at::Tensor& out, bool causal);

}  // namespace gn_kernels::sm80
