// The SM89 FP8 GEMM instances, through the CUTLASS 2.x scaled GEMM of sm80/scaled_gemm_2x.cuh.
#pragma once

#include <cutlass/numeric_types.h>

#include "fp8_gemm_instances.h"
#include "gemm_configs.h"

namespace gn_kernels::sm89::element {
using bf16 = cutlass::bfloat16_t;
using fp16 = cutlass::half_t;
using fp32 = float;
using e4m3 = cutlass::float_e4m3_t;
using e5m2 = cutlass::float_e5m2_t;
}  // namespace gn_kernels::sm89::element

namespace gn_kernels::sm89::accumulation {
using promoted = cutlass::arch::OpMultiplyAdd;  // staged: see fp8_gemm_instances.h
using fast = cutlass::arch::OpMultiplyAddFastAccum;
}  // namespace gn_kernels::sm89::accumulation

// Defines one entry of GN_SM89_FP8_INSTANCES.
#define GN_SM89_FP8_DEFINE(out, acc, a, b, cfg)                                              \
  namespace gn_kernels::sm89 {                                                               \
  void GN_SM89_FP8_NAME(out, acc, a, b, cfg)(const ScaledMmArgs& args) {                     \
    mma_sync::scaled_mm_2x<element::a, element::b, element::out, float, cutlass::arch::Sm89, \
                           accumulation::acc, config::cfg>(args, "cutlass_row_scaled_fp8_mm"); \
  }                                                                                          \
  }
