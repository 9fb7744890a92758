// The instantiated SM90a FP8 GEMMs: output dtype x accumulation mode x operand
// pair, one translation unit each (fp8_gemm_<out>_<acc>_<a>_<b>.cu) so that
// MAX_JOBS compiles them in parallel; each takes about a minute on one core.
#pragma once

#include "ops.h"

#define GN_SM90A_FP8_OPERANDS(X, out, acc) \
  X(out, acc, e4m3, e4m3)                  \
  X(out, acc, e5m2, e4m3)                  \
  X(out, acc, e4m3, e5m2)

#define GN_SM90A_FP8_ACCUMULATIONS(X, out)    \
  GN_SM90A_FP8_OPERANDS(X, out, promoted)     \
  GN_SM90A_FP8_OPERANDS(X, out, fast)

#define GN_SM90A_FP8_VARIANTS(X)           \
  GN_SM90A_FP8_ACCUMULATIONS(X, bf16)      \
  GN_SM90A_FP8_ACCUMULATIONS(X, fp16)      \
  GN_SM90A_FP8_ACCUMULATIONS(X, fp32)

#define GN_SM90A_FP8_NAME(out, acc, a, b) scaled_fp8_mm_##out##_##acc##_##a##_##b

namespace gn_kernels::sm90a {

#define GN_DECLARE(out, acc, a, b) void GN_SM90A_FP8_NAME(out, acc, a, b)(const Fp8MmArgs& args);
GN_SM90A_FP8_VARIANTS(GN_DECLARE)
#undef GN_DECLARE

}  // namespace gn_kernels::sm90a
