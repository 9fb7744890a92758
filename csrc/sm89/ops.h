// Entry points of the SM89 extension; the Python ops in gn_kernels/ hold the schemas,
// argument checks and fake kernels.
#pragma once

#include <ATen/ATen.h>

#include <optional>
#include <string>
#include <vector>

#include "common/scaled_mm_args.h"

namespace gn_kernels::sm89 {

// out = scale_A * (A @ B * scale_B) + bias for FP8 operands (see ScaledMmArgs) by the
// named tile configuration of gemm_configs.h. max_swizzle is accepted for the common
// signature and unused: these kernels walk tiles in CUTLASS's 8-wide swizzle.
void scaled_fp8_mm(const at::Tensor& A, const at::Tensor& B,
                   const std::optional<at::Tensor>& scale_A,
                   const std::optional<at::Tensor>& scale_B, const std::optional<at::Tensor>& bias,
                   const at::Tensor& out, bool fast_accum, const std::string& config,
                   int64_t max_swizzle);

// "<out>_<acc>_<a>_<b>_<config>" of every instantiated kernel.
std::vector<std::string> fp8_gemm_instances();

}  // namespace gn_kernels::sm89
