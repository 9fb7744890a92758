// Host arguments shared by every family's scaled GEMM entry points. Shapes, dtypes,
// layouts and devices were checked by the Python ops; checked_args only keeps a direct
// call into an extension from reading or writing out of bounds.
#pragma once

#include <ATen/ATen.h>

#include <optional>
#include <string>

namespace gn_kernels {

// out = scale_A * (A @ B * scale_B) + bias, A (M, K) row-major, B (K, N)
// column-major; scales float32 with M (N) values or one value, bias float32 (N);
// an absent scale is 1, an absent bias 0.
struct ScaledMmArgs {
  const at::Tensor& A;
  const at::Tensor& B;
  const std::optional<at::Tensor>& scale_A;
  const std::optional<at::Tensor>& scale_B;
  const std::optional<at::Tensor>& bias;
  const at::Tensor& out;
  int max_swizzle;  // tiles a persistent CTA walks along one side before the other
  // Split-K: K is cut into this many equal slices, run as a batch into out (splits, M, N).
  int splits = 1;
};

// Layout, shape, scale and bias checks; returns the arguments the kernels take.
ScaledMmArgs checked_args(const char* op, const at::Tensor& A, const at::Tensor& B,
                          const std::optional<at::Tensor>& scale_A,
                          const std::optional<at::Tensor>& scale_B,
                          const std::optional<at::Tensor>& bias, const at::Tensor& out,
                          int64_t max_swizzle);

// "bf16", "fp16", "fp32" or "int32", the names the instance lists use.
std::string out_name(const char* op, const at::Tensor& out);

}  // namespace gn_kernels
