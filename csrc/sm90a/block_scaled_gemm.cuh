// SM90a block-scaled FP8 GEMM (DeepSeek-V3's recipe): A (M, K) E4M3 with one float32
// scale per row and 128 of K, B (K, N) E4M3 with one per 128x128 block. The mainloop
// multiplies each 128-deep K block's partial product by its two scales before adding
// it to the float32 accumulator, while the next block's WGMMAs run (overlapped_promotion.cuh);
// the epilogue adds the bias and casts.
#pragma once

#include <cutlass/detail/blockwise_scale_layout.hpp>

#include "block_scaled_gemm_instances.h"
#include "scaled_gemm.cuh"

namespace gn_kernels::sm90a {

template <Schedule S>
struct BlockwiseKernel;
template <>
struct BlockwiseKernel<Schedule::Cooperative> {
  using type = cutlass::gemm::KernelTmaWarpSpecializedCooperativeFP8Blockwise;
};
template <>
struct BlockwiseKernel<Schedule::Pingpong> {
  using type = cutlass::gemm::KernelTmaWarpSpecializedPingpongFP8Blockwise;
};

template <class ElementOut, class Config>
struct BlockScaledFp8Gemm {
  using ElementD = ElementOut;
  using KernelA = cutlass::float_e4m3_t;
  using KernelB = cutlass::float_e4m3_t;
  // Not swapped: run transposed, the weight's 128x128 scale blocks would need 128-row kernel
  // tiles, and at M = 1 swapped 128x16 and 128x64 stream-K tiles ran at 0.92x and 0.88x the
  // speed of the 64x128 ping-pong on the H100 (benchmarks/results/h100_sxm_tune_sm90a.md).
  static_assert(!Config::kSwapAB, "block-scaled configurations are not swapped");
  static constexpr bool kSwap = false;
  // Both scale tensors K-major: scale_A (M, K/128) and scale_B as (N/128, K/128) row-major.
  // K-major scales are read with cp.async, one row at a time, which lets M be anything; an
  // M-major scale_A would go through TMA, which needs M a multiple of 4.
  using ScaleConfig = cutlass::detail::Sm90BlockwiseScaleConfig<1, 128, 128, cute::GMMA::Major::K,
                                                                cute::GMMA::Major::K>;
  using LayoutSFA = decltype(ScaleConfig::deduce_layoutSFA());
  using LayoutSFB = decltype(ScaleConfig::deduce_layoutSFB());
  using LayoutD = cutlass::layout::RowMajor;
  static constexpr int kAlignmentD = 16 / sizeof(ElementD);
  using Epilogue = ScaledEpilogue<typename Config::TileShape, ElementD, false>;

  using CollectiveEpilogue = typename cutlass::epilogue::collective::CollectiveBuilder<
      cutlass::arch::Sm90, cutlass::arch::OpClassTensorOp, typename Config::TileShape,
      typename Config::ClusterShape, cutlass::epilogue::collective::EpilogueTileAuto, float,
      float, void, LayoutD, kAlignmentD, ElementD, LayoutD, kAlignmentD,
      typename Config::EpilogueSchedule, typename Epilogue::Tree>::CollectiveOp;

  using BuiltMainloop = typename cutlass::gemm::collective::CollectiveBuilder<
      cutlass::arch::Sm90, cutlass::arch::OpClassTensorOp, KernelA,
      cute::tuple<cutlass::layout::RowMajor, LayoutSFA>, 16, KernelB,
      cute::tuple<cutlass::layout::ColumnMajor, LayoutSFB>, 16, float, typename Config::TileShape,
      typename Config::ClusterShape,
      cutlass::gemm::collective::StageCountAutoCarveout<static_cast<int>(
          sizeof(typename CollectiveEpilogue::SharedStorage))>,
      typename BlockwiseKernel<Config::kSchedule>::type>::CollectiveOp;
  using CollectiveMainloop = OverlappedPromotionMainloop<BuiltMainloop, true>;

  using Kernel =
      cutlass::gemm::kernel::GemmUniversal<cute::Shape<int, int, int, int>, CollectiveMainloop,
                                           CollectiveEpilogue, typename Config::TileScheduler>;
  using Gemm = cutlass::gemm::device::GemmUniversalAdapter<Kernel>;
};

// a.scale_A and a.scale_B carry the block scales here; the epilogue's scales read as 1.
template <class ElementD, class Config>
void block_scaled_fp8_mm_impl(const ScaledMmArgs& a) {
  using G = BlockScaledFp8Gemm<ElementD, Config>;
  using Epi = typename G::Epilogue;
  auto args = gemm_arguments<G>(a);
  args.mainloop.ptr_SFA = a.scale_A;
  args.mainloop.ptr_SFB = a.scale_B;
  args.mainloop.layout_SFA = G::ScaleConfig::tile_atom_to_shape_SFA(args.problem_shape);
  args.mainloop.layout_SFB = G::ScaleConfig::tile_atom_to_shape_SFB(args.problem_shape);
  args.epilogue.thread = {
      vector_args<true, typename Epi::ScaleA>(nullptr, 1.0f, false),
      {vector_args<false, typename Epi::ScaleB>(nullptr, 1.0f, false), {}, {}},
      vector_args<false, typename Epi::Bias>(a.bias, 0.0f, a.bias != nullptr),
      {}};
  run_cutlass_gemm<typename G::Gemm>(args, a.launch, "cutlass_block_scaled_fp8_mm");
}

}  // namespace gn_kernels::sm90a

// Defines one entry of GN_SM90A_BLOCK_SCALED_INSTANCES (see block_scaled_gemm_instances.h).
#define GN_SM90A_BLOCK_SCALED_DEFINE(out, cfg)                                   \
  namespace gn_kernels::sm90a {                                                   \
  void GN_SM90A_BLOCK_SCALED_NAME(out, cfg)(const ScaledMmArgs& args) {           \
    block_scaled_fp8_mm_impl<variant::out, config::cfg>(args);                    \
  }                                                                               \
  }
