// SM89 FP8 tile configurations (Ada mma.sync m16n8k32, float32 accumulators). The name is
// what the Python table (gn_kernels/heuristics/mma_sync.py) and the instance list use.
#pragma once

#include <cutlass/gemm/gemm.h>

#include "sm80/scaled_gemm_2x.cuh"

namespace gn_kernels::sm89::config {

using cutlass::gemm::GemmShape;

// 128x128x64 tiles, four 64x64 warps, 3 stages: 48 KiB of shared memory, inside the
// 100 KiB an Ada SM has, so two CTAs fit per SM.
using tile_128x128x64 =
    mma_sync::TileConfig<GemmShape<128, 128, 64>, GemmShape<64, 64, 64>, GemmShape<16, 8, 32>, 3>;

}  // namespace gn_kernels::sm89::config
