// The SM90a INT8 GEMM instances: S8 x S8 WGMMA with int32 accumulation, through
// the scaled GEMM of scaled_gemm.cuh, or with an exact int32 output.
#pragma once

#include "int8_gemm_instances.h"
#include "scaled_gemm.cuh"

// Defines one entry of GN_SM90A_INT8_INSTANCES (see int8_gemm_instances.h): the
// scale and bias epilogue for a floating output, the exact one for int32.
#define GN_SM90A_INT8_DEFINE(out, cfg)                                                  \
  namespace gn_kernels::sm90a {                                                          \
  void GN_SM90A_INT8_NAME(out, cfg)(const ScaledMmArgs& args) {                          \
    scaled_mm_impl<int8_t, int8_t, variant::out, false, config::cfg>(                    \
        args, "cutlass_row_scaled_int8_mm");                                             \
  }                                                                                      \
  }
#define GN_SM90A_INT8_DEFINE_EXACT(cfg)                                                   \
  namespace gn_kernels::sm90a {                                                          \
  void GN_SM90A_INT8_NAME(int32, cfg)(const ScaledMmArgs& args) {                        \
    exact_int8_mm_impl<config::cfg>(args, "cutlass_int8_mm");                            \
  }                                                                                      \
  }
