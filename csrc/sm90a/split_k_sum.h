// Split-K's second pass, for the GEMMs that cut K into slices (see ScaledMmArgs::splits).
#pragma once

#include <ATen/ATen.h>

#include <optional>

namespace gn_kernels::sm90a {

// out (M, N) = the sum over slices of partial (splits, M, N) float32, + bias (N) float32 when
// given, rounded once to out's dtype (bfloat16, float16 or float32); N a multiple of 4.
void sum_k_slices(const at::Tensor& partial, const std::optional<at::Tensor>& bias,
                  const at::Tensor& out);

}  // namespace gn_kernels::sm90a
