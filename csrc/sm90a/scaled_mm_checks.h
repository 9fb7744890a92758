// Host checks shared by the SM90a GEMM entry points. Shapes, dtypes, layouts and
// devices were checked by the Python ops; these only keep a direct call into the
// extension from reading or writing out of bounds.
#pragma once

#include <string>

#include "ops.h"

namespace gn_kernels::sm90a {

// Layout, shape, scale and bias checks; returns the arguments the kernels take.
ScaledMmArgs checked_args(const char* op, const at::Tensor& A, const at::Tensor& B,
                          const std::optional<at::Tensor>& scale_A,
                          const std::optional<at::Tensor>& scale_B,
                          const std::optional<at::Tensor>& bias, const at::Tensor& out,
                          int64_t max_swizzle);

// "bf16", "fp16", "fp32" or "int32", the names the instance lists use.
std::string out_name(const char* op, const at::Tensor& out);

}  // namespace gn_kernels::sm90a
