// Entry points of the SM90a extension; the Python ops in gn_kernels/ hold the
// schemas, argument checks and fake kernels.
#pragma once

#include <ATen/ATen.h>

namespace gn_kernels::sm90a {

// out = A @ B with A (M, K) row-major, B (K, N) column-major, E4M3 operands.
void fp8_mm(const at::Tensor& A, const at::Tensor& B, const at::Tensor& out);

// One per output dtype, each in its own translation unit.
void fp8_mm_bf16(const at::Tensor& A, const at::Tensor& B, const at::Tensor& out);
void fp8_mm_fp16(const at::Tensor& A, const at::Tensor& B, const at::Tensor& out);
void fp8_mm_fp32(const at::Tensor& A, const at::Tensor& B, const at::Tensor& out);

}  // namespace gn_kernels::sm90a
