// The torch side of ScaledMmArgs: checks that keep a direct call into an extension from
// reading or writing out of bounds (shapes, dtypes, layouts and devices were checked by the
// Python ops), and the launch on torch's current stream.
#pragma once

#include <ATen/ATen.h>
#include <c10/cuda/CUDAGuard.h>

#include <array>
#include <optional>
#include <string>

#include "scaled_mm_args.h"

namespace gn_kernels {

// Checks a GEMM's tensors (layouts, shapes, scales, bias) and holds, for as long as the op
// runs, what its launch needs: A's device made current and any vector copied for the kernel.
// whole_vectors: the mma.sync epilogue's row broadcast loads scales and bias as 16-byte vectors
// of M (N) values, so, once checked, a one-value scale is expanded and a misaligned vector
// copied (a few kilobytes, on the current stream).
class CheckedGemm {
 public:
  CheckedGemm(const char* op, const at::Tensor& A, const at::Tensor& B,
              const std::optional<at::Tensor>& scale_A, const std::optional<at::Tensor>& scale_B,
              const std::optional<at::Tensor>& bias, const at::Tensor& out, int64_t max_swizzle,
              bool whole_vectors = false);
  const ScaledMmArgs& args() const { return args_; }

 private:
  c10::cuda::CUDAGuard guard_;
  std::array<at::Tensor, 3> copies_;  // scale_A, scale_B, bias as whole_vectors left them
  ScaledMmArgs args_;
};

// "bf16", "fp16", "fp32" or "int32", the names the instance lists use.
std::string out_name(const char* op, const at::Tensor& out);

}  // namespace gn_kernels
