// SM90a block-scaled FP8 GEMM (DeepSeek-V3's recipe): A (M, K) E4M3 with one float32
// scale per row and 128 of K, B (K, N) E4M3 with one per 128x128 block. The mainloop
// multiplies each 128-deep K block's partial product by its two scales before adding
// it to the float32 accumulator; the epilogue adds the bias and casts.
#pragma once

#include <cutlass/detail/blockwise_scale_layout.hpp>

#include "block_scaled_gemm_instances.h"
#include "scaled_gemm.cuh"

namespace gn_kernels::sm90a {

template <class ElementD, class Config>
struct BlockScaledFp8Gemm {
  using E4M3 = cutlass::float_e4m3_t;
  // Both scale tensors K-major: scale_A (M, K/128) and scale_B as (N/128, K/128) row-major.
  // K-major scale_A is read with cp.async, one row at a time, which lets M be anything; an
  // M-major one would go through TMA, which needs M a multiple of 4.
  using ScaleConfig = cutlass::detail::Sm90BlockwiseScaleConfig<1, 128, 128, cute::GMMA::Major::K,
                                                                cute::GMMA::Major::K>;
  using LayoutSFA = decltype(ScaleConfig::deduce_layoutSFA());
  using LayoutSFB = decltype(ScaleConfig::deduce_layoutSFB());
  static constexpr int kAlignmentD = 16 / sizeof(ElementD);
  using Epilogue = ScaledEpilogue<typename Config::TileShape, ElementD, false>;

  using CollectiveEpilogue = typename cutlass::epilogue::collective::CollectiveBuilder<
      cutlass::arch::Sm90, cutlass::arch::OpClassTensorOp, typename Config::TileShape,
      typename Config::ClusterShape, cutlass::epilogue::collective::EpilogueTileAuto, float,
      float, void, cutlass::layout::RowMajor, kAlignmentD, ElementD, cutlass::layout::RowMajor,
      kAlignmentD, typename Config::EpilogueSchedule, typename Epilogue::Tree>::CollectiveOp;

  using CollectiveMainloop = typename cutlass::gemm::collective::CollectiveBuilder<
      cutlass::arch::Sm90, cutlass::arch::OpClassTensorOp, E4M3,
      cute::tuple<cutlass::layout::RowMajor, LayoutSFA>, 16, E4M3,
      cute::tuple<cutlass::layout::ColumnMajor, LayoutSFB>, 16, float, typename Config::TileShape,
      typename Config::ClusterShape,
      cutlass::gemm::collective::StageCountAutoCarveout<static_cast<int>(
          sizeof(typename CollectiveEpilogue::SharedStorage))>,
      cutlass::gemm::KernelTmaWarpSpecializedCooperativeFP8Blockwise>::CollectiveOp;

  using Kernel = cutlass::gemm::kernel::GemmUniversal<cute::Shape<int, int, int, int>,
                                                      CollectiveMainloop, CollectiveEpilogue>;
  using Gemm = cutlass::gemm::device::GemmUniversalAdapter<Kernel>;
};

// a.scale_A and a.scale_B carry the block scales here; the epilogue's scales read as 1.
template <class ElementD, class Config>
void block_scaled_fp8_mm_impl(const ScaledMmArgs& a) {
  using G = BlockScaledFp8Gemm<ElementD, Config>;
  using Gemm = typename G::Gemm;
  using Kernel = typename Gemm::GemmKernel;
  using Epi = typename G::Epilogue;
  const int M = a.A.size(0), K = a.A.size(1), N = a.B.size(1);
  const auto shape = cute::make_shape(M, N, K, 1);
  typename Gemm::Arguments args{
      cutlass::gemm::GemmUniversalMode::kGemm,
      {M, N, K, 1},
      {static_cast<const cutlass::float_e4m3_t*>(a.A.data_ptr()),
       cutlass::make_cute_packed_stride(typename Kernel::StrideA{}, cute::make_shape(M, K, 1)),
       static_cast<const cutlass::float_e4m3_t*>(a.B.data_ptr()),
       cutlass::make_cute_packed_stride(typename Kernel::StrideB{}, cute::make_shape(N, K, 1)),
       float_ptr(a.scale_A), G::ScaleConfig::tile_atom_to_shape_SFA(shape), float_ptr(a.scale_B),
       G::ScaleConfig::tile_atom_to_shape_SFB(shape)},
      {{},
       nullptr,
       {},
       static_cast<ElementD*>(a.out.data_ptr()),
       cutlass::make_cute_packed_stride(typename Kernel::StrideD{}, cute::make_shape(M, N, 1))}};
  args.epilogue.thread = {vector_args<true, typename Epi::ScaleA>(nullptr, 1.0f, false),
                          {vector_args<false, typename Epi::ScaleB>(nullptr, 1.0f, false), {}, {}},
                          vector_args<false, typename Epi::Bias>(float_ptr(a.bias), 0.0f,
                                                                 a.bias.has_value()),
                          {}};
  args.scheduler.max_swizzle_size = a.max_swizzle;
  args.hw_info.device_id = a.A.get_device();
  args.hw_info.sm_count = multiprocessor_count(a.A.get_device());
  run_cutlass_gemm<Gemm>(args, a.A, "cutlass_block_scaled_fp8_mm");
}

}  // namespace gn_kernels::sm90a

// Defines one entry of GN_SM90A_BLOCK_SCALED_INSTANCES (see block_scaled_gemm_instances.h).
#define GN_SM90A_BLOCK_SCALED_DEFINE(out, cfg)                                   \
  namespace gn_kernels::sm90a {                                                   \
  void GN_SM90A_BLOCK_SCALED_NAME(out, cfg)(const ScaledMmArgs& args) {           \
    block_scaled_fp8_mm_impl<variant::out, config::cfg>(args);                    \
  }                                                                               \
  }
