// The instantiated SM120a block-scaled GEMMs, one translation unit each
// (block_scaled_gemm_<format>_<out>_<config>.cu). Formats: MXFP8 with E4M3 or E5M2 on either
// side (E8M0 scales every 32 of K), MXFP4 (E2M1, E8M0 every 32) and NVFP4 (E2M1, E4M3 every 16).
// The plain and row-scaled FP8 GEMMs run the MXFP8 kernels with unit block scales: on SM120
// plain FP8 mma.sync has been measured at about half the block-scaled MMA's rate (1.5x slower
// on an RTX 5090), so the block-scaled instruction is the faster FP8 path there.
#pragma once

#include "common/scaled_mm_args.h"

#define GN_SM120A_OUTS(X, format, cfg) \
  X(format, bf16, cfg)                 \
  X(format, fp16, cfg)                 \
  X(format, fp32, cfg)

#define GN_SM120A_BLOCK_SCALED_INSTANCES(X)             \
  GN_SM120A_OUTS(X, mxfp8_e4m3_e4m3, tile_128x128x128) \
  GN_SM120A_OUTS(X, mxfp8_e4m3_e5m2, tile_128x128x128) \
  GN_SM120A_OUTS(X, mxfp8_e5m2_e4m3, tile_128x128x128) \
  GN_SM120A_OUTS(X, mxfp4, tile_128x128x128)           \
  GN_SM120A_OUTS(X, nvfp4, tile_128x128x128)

#define GN_SM120A_BLOCK_SCALED_NAME(format, out, cfg) block_scaled_mm_##format##_##out##_##cfg

namespace gn_kernels::sm120a {

// The GEMM's arguments plus its block scales, already in the swizzled layout.
struct BlockScaledArgs {
  ScaledMmArgs gemm;
  const void* scale_factors_A;
  const void* scale_factors_B;
};

#define GN_DECLARE(format, out, cfg) \
  void GN_SM120A_BLOCK_SCALED_NAME(format, out, cfg)(const BlockScaledArgs& args);
GN_SM120A_BLOCK_SCALED_INSTANCES(GN_DECLARE)
#undef GN_DECLARE

}  // namespace gn_kernels::sm120a
