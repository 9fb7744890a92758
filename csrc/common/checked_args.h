// The torch side of ScaledMmArgs: checks that keep a direct call into an extension from
// reading or writing out of bounds (shapes, dtypes, layouts and devices were checked by the
// Python ops), and the launch on torch's current stream.
#pragma once

#include <ATen/ATen.h>

#include <optional>
#include <string>

#include "scaled_mm_args.h"

namespace gn_kernels {

// Layout, shape, scale and bias checks; returns the arguments the kernels take, to launch on
// the current stream of A's device, which the caller must have made current (CUDAGuard).
ScaledMmArgs checked_args(const char* op, const at::Tensor& A, const at::Tensor& B,
                          const std::optional<at::Tensor>& scale_A,
                          const std::optional<at::Tensor>& scale_B,
                          const std::optional<at::Tensor>& bias, const at::Tensor& out,
                          int64_t max_swizzle);

// "bf16", "fp16", "fp32" or "int32", the names the instance lists use.
std::string out_name(const char* op, const at::Tensor& out);

// A scale or bias as the mma.sync epilogue's row broadcast reads it: n values from a 16-byte
// aligned start, as it loads whole vectors. One value (tensor-wise) is expanded, a misaligned
// view copied: a few kilobytes, on the current stream. Anything else is returned unchanged for
// checked_args to judge.
std::optional<at::Tensor> aligned_vector(const std::optional<at::Tensor>& t, int64_t n);

}  // namespace gn_kernels
