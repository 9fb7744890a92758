// SM80 INT4 tile configurations (Ampere mma.sync m16n8k64 on S4, int32 accumulators). The
// name is what the Python table (gn_kernels/heuristics/mma_sync.py) and the instance list use.
#pragma once

#include <cutlass/gemm/gemm.h>

#include "scaled_gemm_2x.cuh"

namespace gn_kernels::sm80::config {

using cutlass::gemm::GemmShape;

// 128x256 tiles 128 deep (64 bytes of INT4 a row), eight 64x64 warps, 3 stages: 72 KiB of
// shared memory, two CTAs in an A100 SM's 164 KiB.
using tile_128x256x128 =
    mma_sync::TileConfig<GemmShape<128, 256, 128>, GemmShape<64, 64, 128>, GemmShape<16, 8, 64>, 3>;

}  // namespace gn_kernels::sm80::config
