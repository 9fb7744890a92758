// The SM80 INT4 GEMM instances, through the CUTLASS 2.x scaled GEMM of scaled_gemm_2x.cuh.
#pragma once

#include <cutlass/numeric_types.h>

#include "gemm_configs.h"
#include "int4_gemm_instances.h"

namespace gn_kernels::sm80::element {
using int32 = int32_t;
using bf16 = cutlass::bfloat16_t;
using fp16 = cutlass::half_t;
using fp32 = float;
}  // namespace gn_kernels::sm80::element

// Defines one entry of GN_SM80_INT4_INSTANCES. Integer mma.sync saturates its int32 sums.
#define GN_SM80_INT4_DEFINE(out, cfg)                                                      \
  namespace gn_kernels::sm80 {                                                             \
  void GN_SM80_INT4_NAME(out, cfg)(const ScaledMmArgs& args) {                             \
    mma_sync::scaled_mm_2x<cutlass::int4b_t, cutlass::int4b_t, element::out, int32_t,      \
                           cutlass::arch::Sm80, cutlass::arch::OpMultiplyAddSaturate,      \
                           config::cfg>(args, "cutlass_row_scaled_int4_mm");               \
  }                                                                                        \
  }
