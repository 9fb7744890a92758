// SM90a scaled GEMM, shared by the FP8 and INT8 families: out (M, N) = scale_A *
// (A @ B * scale_B) + bias, with A (M, K) row-major, B (K, N) column-major, FP8
// operands with float32 accumulation or INT8 ones with int32, TMA loads and
// warp-specialized WGMMA. The epilogue is a visitor tree: scale_A
// broadcasts along M (M values, or one value), scale_B and bias along N; an absent
// scale reads as 1, an absent bias as 0, so the unscaled GEMM is the same kernel.
// A SwapAB configuration runs the same GEMM transposed: out.T (N, M), column-major,
// = B.T (N, K) row-major @ A.T (K, M) column-major, which are the same bytes.
#pragma once

#include <cutlass/gemm/device/gemm_universal_adapter.h>
#include <cutlass/gemm/kernel/gemm_universal.hpp>
#include <cutlass/util/packed_stride.hpp>

#include "common/cutlass_launch.h"
#include "common/scaled_mm_args.h"
#include "gemm_configs.h"
#include "overlapped_promotion.cuh"
#include "scaled_epilogue.cuh"

namespace gn_kernels::sm90a {

// The stride of a K-contiguous operand (rows of K values) cut into K slices of k: row to
// row K, slice to slice k.
template <class Stride>
Stride k_sliced_stride(Stride stride, int K, int k) {
  cute::get<0>(stride) = K;
  cute::get<2>(stride) = k;
  return stride;
}

// Exact int32 output: INT8 products summed in int32 and stored as they are.
using ExactInt32 = fusion::LinearCombination<int32_t, int32_t, void, int32_t>;

template <class ElementA, class ElementB, class ElementOut, bool FastAccum, class Config,
          class Fusion = typename ScaledEpilogue<typename Config::TileShape, ElementOut,
                                                 Config::kSwapAB>::Tree>
struct ScaledGemm {
  using ElementD = ElementOut;
  static constexpr bool kSwap = Config::kSwapAB;
  // The kernel's operands: swapped, B.T is its row-major A and A.T its column-major B.
  using KernelA = std::conditional_t<kSwap, ElementB, ElementA>;
  using KernelB = std::conditional_t<kSwap, ElementA, ElementB>;
  using LayoutD = std::conditional_t<kSwap, cutlass::layout::ColumnMajor, cutlass::layout::RowMajor>;
  using ElementAccumulator = std::conditional_t<std::is_same_v<ElementA, int8_t>, int32_t, float>;
  using ElementCompute = std::conditional_t<std::is_same_v<Fusion, ExactInt32>, int32_t, float>;
  // 16-byte TMA accesses: K must be a multiple of 16 one-byte values and N of
  // 16 bytes of output, which the Python checks guarantee.
  static constexpr int kAlignmentAB = 16;
  static constexpr int kAlignmentD = 16 / sizeof(ElementD);
  using Epilogue = ScaledEpilogue<typename Config::TileShape, ElementD, kSwap>;

  using CollectiveEpilogue = typename cutlass::epilogue::collective::CollectiveBuilder<
      cutlass::arch::Sm90, cutlass::arch::OpClassTensorOp, typename Config::TileShape,
      typename Config::ClusterShape, cutlass::epilogue::collective::EpilogueTileAuto,
      ElementAccumulator, ElementCompute, void, LayoutD, kAlignmentD, ElementD,
      LayoutD, kAlignmentD, typename Config::EpilogueSchedule, Fusion>::CollectiveOp;

  using BuiltMainloop = typename cutlass::gemm::collective::CollectiveBuilder<
      cutlass::arch::Sm90, cutlass::arch::OpClassTensorOp, KernelA, cutlass::layout::RowMajor,
      kAlignmentAB, KernelB, cutlass::layout::ColumnMajor, kAlignmentAB, ElementAccumulator,
      typename Config::TileShape, typename Config::ClusterShape,
      cutlass::gemm::collective::StageCountAutoCarveout<static_cast<int>(
          sizeof(typename CollectiveEpilogue::SharedStorage))>,
      typename Config::template KernelSchedule<FastAccum>>::CollectiveOp;
  static constexpr bool kPromoted = !FastAccum && !std::is_same_v<ElementA, int8_t>;
  using CollectiveMainloop = std::conditional_t<
      kPromoted, OverlappedPromotionMainloop<BuiltMainloop, false, Config::kPromotionParts>,
      BuiltMainloop>;

  using Kernel =
      cutlass::gemm::kernel::GemmUniversal<cute::Shape<int, int, int, int>, CollectiveMainloop,
                                           CollectiveEpilogue, typename Config::TileScheduler>;
  using Gemm = cutlass::gemm::device::GemmUniversalAdapter<Kernel>;
};

// The GEMM's arguments, with its operands swapped when the configuration says so. With
// a.splits > 1 the batch index l picks the K slice [l k, (l + 1) k) of both operands (each
// row keeps its full-K stride) and out (splits, M, N) one output per slice.
template <class G>
typename G::Gemm::Arguments gemm_arguments(const ScaledMmArgs& a) {
  using Kernel = typename G::Gemm::GemmKernel;
  constexpr bool swap = G::kSwap;
  const int M = a.M, K = a.K, N = a.N;
  const int kernel_m = swap ? N : M, kernel_n = swap ? M : N;
  const int slices = a.splits, k = K / slices;
  const void* kernel_a = swap ? a.B : a.A;
  const void* kernel_b = swap ? a.A : a.B;
  // Member by member: a block-scaled mainloop's arguments carry scale fields after these.
  typename G::Gemm::Arguments args{};
  args.mode = cutlass::gemm::GemmUniversalMode::kGemm;
  args.problem_shape = {kernel_m, kernel_n, k, slices};
  args.mainloop.ptr_A = static_cast<const typename G::KernelA*>(kernel_a);
  args.mainloop.dA = k_sliced_stride(typename Kernel::StrideA{}, K, k);
  args.mainloop.ptr_B = static_cast<const typename G::KernelB*>(kernel_b);
  args.mainloop.dB = k_sliced_stride(typename Kernel::StrideB{}, K, k);
  args.epilogue.ptr_D = static_cast<typename G::ElementD*>(a.out);
  args.epilogue.dD = cutlass::make_cute_packed_stride(typename Kernel::StrideD{},
                                                      cute::make_shape(kernel_m, kernel_n, slices));
  args.scheduler.max_swizzle_size = a.max_swizzle;
  args.hw_info.device_id = a.launch.device;
  args.hw_info.sm_count = a.launch.sm_count;
  return args;
}

template <class ElementA, class ElementB, class ElementD, bool FastAccum, class Config>
void scaled_mm_impl(const ScaledMmArgs& a, const char* op) {
  using G = ScaledGemm<ElementA, ElementB, ElementD, FastAccum, Config>;
  using Epi = typename G::Epilogue;
  constexpr bool swap = G::kSwap;
  auto args = gemm_arguments<G>(a);
  args.epilogue.thread = {
      vector_args<!swap, typename Epi::ScaleA>(a.scale_A, 1.0f, a.scale_A_vector),
      {vector_args<swap, typename Epi::ScaleB>(a.scale_B, 1.0f, a.scale_B_vector), {}, {}},
      vector_args<swap, typename Epi::Bias>(a.bias, 0.0f, a.bias != nullptr),
      {}};
  run_cutlass_gemm<typename G::Gemm>(args, a.launch, op);
}

template <class Config>
void exact_int8_mm_impl(const ScaledMmArgs& a, const char* op) {
  using G = ScaledGemm<int8_t, int8_t, int32_t, false, Config, ExactInt32>;
  auto args = gemm_arguments<G>(a);
  args.epilogue.thread.alpha = 1;
  args.epilogue.thread.beta = 0;
  run_cutlass_gemm<typename G::Gemm>(args, a.launch, op);
}

// Output element types by the names the instance lists use.
namespace variant {
using bf16 = cutlass::bfloat16_t;
using fp16 = cutlass::half_t;
using fp32 = float;
}  // namespace variant

}  // namespace gn_kernels::sm90a
