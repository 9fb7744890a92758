// Tile configurations of the SM90a FP8 GEMM, kept apart from the kernel
// template so that adding one is a one-line change. The heuristic that picks
// among them by shape lives beside this table once there is more than one.
#pragma once

#include <cute/tensor.hpp>
#include <cutlass/epilogue/collective/collective_builder.hpp>
#include <cutlass/gemm/collective/collective_builder.hpp>

namespace gn_kernels::sm90a {

template <int TileM, int TileN, int TileK, int ClusterM, int ClusterN, class Mainloop,
          class Epilogue>
struct Fp8GemmConfig {
  using TileShape = cute::Shape<cute::Int<TileM>, cute::Int<TileN>, cute::Int<TileK>>;
  using ClusterShape = cute::Shape<cute::Int<ClusterM>, cute::Int<ClusterN>, cute::_1>;
  using KernelSchedule = Mainloop;
  using EpilogueSchedule = Epilogue;
};

// Cooperative: two consumer warpgroups share one 128-row tile. The default FP8
// mainloop moves partial sums from the tensor cores' reduced-precision
// accumulator to float32 registers every 4 WGMMA K-steps (128 of K); the
// FastAccum one never does (use_fast_accum=True).
using Fp8DefaultConfig =
    Fp8GemmConfig<128, 128, 128, 2, 1, cutlass::gemm::KernelTmaWarpSpecializedCooperative,
                  cutlass::epilogue::TmaWarpSpecializedCooperative>;
using Fp8FastAccumConfig =
    Fp8GemmConfig<128, 128, 128, 2, 1,
                  cutlass::gemm::KernelTmaWarpSpecializedCooperativeFP8FastAccum,
                  cutlass::epilogue::TmaWarpSpecializedCooperative>;

}  // namespace gn_kernels::sm90a
