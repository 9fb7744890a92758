// Entry points of the SM90a extension; the Python ops in gn_kernels/ hold the
// schemas, argument checks and fake kernels.
#pragma once

#include <ATen/ATen.h>

#include <optional>

namespace gn_kernels::sm90a {

// out = scale_A * (A @ B * scale_B) + bias, A (M, K) row-major, B (K, N)
// column-major, FP8 operands; scales float32 with M (N) values or one value,
// bias float32 (N); an absent scale is 1, an absent bias 0.
struct Fp8MmArgs {
  const at::Tensor& A;
  const at::Tensor& B;
  const std::optional<at::Tensor>& scale_A;
  const std::optional<at::Tensor>& scale_B;
  const std::optional<at::Tensor>& bias;
  const at::Tensor& out;
};

void scaled_fp8_mm(const at::Tensor& A, const at::Tensor& B,
                   const std::optional<at::Tensor>& scale_A,
                   const std::optional<at::Tensor>& scale_B, const std::optional<at::Tensor>& bias,
                   const at::Tensor& out, bool fast_accum);

}  // namespace gn_kernels::sm90a
