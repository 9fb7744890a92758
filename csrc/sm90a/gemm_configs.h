// Tile configurations of the SM90a scaled GEMMs (FP8 and INT8), kept apart from the kernel template
// so that adding one is a one-line change here and one in the instance list
// (fp8_gemm_instances.h, int8_gemm_instances.h). Which configuration serves which shape is decided
// in Python, by the tables in gn_kernels/heuristics/.
#pragma once

#include <cute/tensor.hpp>
#include <cutlass/epilogue/collective/collective_builder.hpp>
#include <cutlass/gemm/collective/collective_builder.hpp>
#include <cutlass/gemm/kernel/tile_scheduler.hpp>

#include <type_traits>

namespace gn_kernels::sm90a {

// Cooperative: two consumer warpgroups split one tile of 128 rows. Pingpong: each
// warpgroup owns a tile and their epilogues overlap the other's mainloop.
enum class Schedule { Cooperative, Pingpong };

template <Schedule S, bool FastAccum>
struct Schedules;
// The default FP8 mainloops move partial sums from the tensor cores' reduced-precision
// accumulator into float32 registers every 4 WGMMA K-steps (128 of K); the FastAccum
// ones never do (use_fast_accum=True).
template <>
struct Schedules<Schedule::Cooperative, false> {
  using Kernel = cutlass::gemm::KernelTmaWarpSpecializedCooperative;
  using Epilogue = cutlass::epilogue::TmaWarpSpecializedCooperative;
};
template <>
struct Schedules<Schedule::Cooperative, true> {
  using Kernel = cutlass::gemm::KernelTmaWarpSpecializedCooperativeFP8FastAccum;
  using Epilogue = cutlass::epilogue::TmaWarpSpecializedCooperative;
};
template <>
struct Schedules<Schedule::Pingpong, false> {
  using Kernel = cutlass::gemm::KernelTmaWarpSpecializedPingpong;
  using Epilogue = cutlass::epilogue::TmaWarpSpecialized;
};
template <>
struct Schedules<Schedule::Pingpong, true> {
  using Kernel = cutlass::gemm::KernelTmaWarpSpecializedPingpongFP8FastAccum;
  using Epilogue = cutlass::epilogue::TmaWarpSpecialized;
};

// TileM x TileN are the kernel's own: a SwapAB configuration computes out.T = B.T @ A.T,
// so its M side runs along N, and a decode GEMM's few rows fill a narrow N side (WGMMA
// takes N down to 8) instead of wasting most of a 64-row M side. StreamK splits K over
// CTAs when there are too few tiles to fill the GPU's 132 SMs. A promoted FP8 mainloop runs each
// K tile's WGMMAs in PromotionParts parts along N (overlapped_promotion.cuh).
template <int TileM, int TileN, int ClusterM, Schedule S, bool StreamK, bool SwapAB,
          int PromotionParts = 1>
struct GemmConfig {
  using TileShape = cute::Shape<cute::Int<TileM>, cute::Int<TileN>, cute::_128>;
  using ClusterShape = cute::Shape<cute::Int<ClusterM>, cute::_1, cute::_1>;
  template <bool FastAccum>
  using KernelSchedule = typename Schedules<S, FastAccum>::Kernel;
  using EpilogueSchedule = typename Schedules<S, false>::Epilogue;
  using TileScheduler = std::conditional_t<StreamK, cutlass::gemm::StreamKScheduler, void>;
  static constexpr Schedule kSchedule = S;
  static constexpr bool kSwapAB = SwapAB;
  static constexpr int kPromotionParts = PromotionParts;
};

namespace config {
// Chosen by scripts/tune_sm90a_gemm.py on the H100 (benchmarks/results/h100_sxm_tune_sm90a.md
// and the earlier h100_sxm_tune_fp8.md) over the Llama 3 shapes, from these and candidates no M
// preferred: 128x128 ping-pong (0.95x the best at M = 1024 with fast accumulation and INT8),
// 256x128 cooperative (0.99x at M = 4096), and swapped cooperative stream-K tiles of 128x16,
// 128x32 and 128x64. 128x256 serves fast accumulation and INT8 only: promoting partial sums
// keeps a second float32 accumulator, 128 more registers a thread for its 64x256 warpgroup
// tile, and it ran at 0.25-0.32x cuBLAS.
// name                    tile (kernel's M x N), cluster M, schedule, stream-K, swap A/B
using coop_128x128_c2 = GemmConfig<128, 128, 2, Schedule::Cooperative, false, false>;
using coop_128x256_c2 = GemmConfig<128, 256, 2, Schedule::Cooperative, false, false>;
using pingpong_64x128_c1 = GemmConfig<64, 128, 1, Schedule::Pingpong, false, false>;
// Fast accumulation only (a warpgroup owns a whole tile: 128 accumulator registers a thread), where
// 128x256 tiles would fill the SMs' last round poorly (heuristics/sm90a_fp8.py: FILL_CONFIG).
using pingpong_128x128_c2 = GemmConfig<128, 128, 2, Schedule::Pingpong, false, false>;
using coop_128x128_streamk = GemmConfig<128, 128, 1, Schedule::Cooperative, true, false>;
using swap_pingpong_64x16 = GemmConfig<64, 16, 1, Schedule::Pingpong, false, true>;
// Promoted accumulation only, its K tiles in two parts of 96 columns: 1.04x the 128x128 tiles at
// M = 4096 where the two fill the SMs' rounds alike (heuristics/sm90a_fp8.py: WIDE_CONFIG).
using coop_128x192_c2 = GemmConfig<128, 192, 2, Schedule::Cooperative, false, false, 2>;
}  // namespace config

}  // namespace gn_kernels::sm90a
