// SM90a FP8 GEMM: out (M, N) = scale_A * (A @ B * scale_B) + bias, with A (M, K)
// row-major, B (K, N) column-major, E4M3 or E5M2 operands, float32 accumulation,
// TMA loads and warp-specialized WGMMA. The epilogue is a visitor tree: scale_A
// is a column broadcast (M values, or one value), scale_B a row broadcast (N
// values, or one), bias a row broadcast; an absent scale reads as 1, an absent
// bias as 0, so the unscaled GEMM is the same kernel.
#pragma once

#include <cutlass/epilogue/fusion/sm90_callbacks_tma_warpspecialized.hpp>
#include <cutlass/gemm/device/gemm_universal_adapter.h>
#include <cutlass/gemm/kernel/gemm_universal.hpp>
#include <cutlass/util/packed_stride.hpp>

#include "common/cutlass_launch.h"
#include "fp8_gemm_configs.h"
#include "fp8_gemm_variants.h"

namespace gn_kernels::sm90a {

namespace fusion = cutlass::epilogue::fusion;

template <class TileShape, class ElementD>
using ScaledEpilogue = fusion::Sm90EVT<
    fusion::Sm90Compute<cutlass::homogeneous_multiply_add, ElementD, float,
                        cutlass::FloatRoundStyle::round_to_nearest>,
    // scale_A: a vector along M when the stride is true, one value when false.
    fusion::Sm90ColBroadcast<0, TileShape, float, float, cute::Stride<bool, cute::_0, int64_t>>,
    fusion::Sm90EVT<fusion::Sm90Compute<cutlass::multiplies, float, float,
                                        cutlass::FloatRoundStyle::round_to_nearest>,
                    // scale_B: a vector along N, or one value.
                    fusion::Sm90RowBroadcast<0, TileShape, float, float,
                                             cute::Stride<cute::_0, bool, int64_t>>,
                    fusion::Sm90AccFetch>,
    // bias (N), float32; a null pointer reads as 0.
    fusion::Sm90RowBroadcast<0, TileShape, float, float, cute::Stride<cute::_0, cute::_1, int64_t>>>;

template <class ElementA, class ElementB, class ElementD, class Config>
struct Fp8Gemm {
  // 16-byte TMA accesses: K must be a multiple of 16 FP8 values and N of
  // 16 bytes of output, which the Python checks guarantee.
  static constexpr int kAlignmentAB = 16;
  static constexpr int kAlignmentD = 16 / sizeof(ElementD);

  using CollectiveEpilogue = typename cutlass::epilogue::collective::CollectiveBuilder<
      cutlass::arch::Sm90, cutlass::arch::OpClassTensorOp, typename Config::TileShape,
      typename Config::ClusterShape, cutlass::epilogue::collective::EpilogueTileAuto, float,
      float, void, cutlass::layout::RowMajor, kAlignmentD, ElementD, cutlass::layout::RowMajor,
      kAlignmentD, typename Config::EpilogueSchedule,
      ScaledEpilogue<typename Config::TileShape, ElementD>>::CollectiveOp;

  using CollectiveMainloop = typename cutlass::gemm::collective::CollectiveBuilder<
      cutlass::arch::Sm90, cutlass::arch::OpClassTensorOp, ElementA, cutlass::layout::RowMajor,
      kAlignmentAB, ElementB, cutlass::layout::ColumnMajor, kAlignmentAB, float,
      typename Config::TileShape, typename Config::ClusterShape,
      cutlass::gemm::collective::StageCountAutoCarveout<static_cast<int>(
          sizeof(typename CollectiveEpilogue::SharedStorage))>,
      typename Config::KernelSchedule>::CollectiveOp;

  using Kernel = cutlass::gemm::kernel::GemmUniversal<cute::Shape<int, int, int, int>,
                                                      CollectiveMainloop, CollectiveEpilogue>;
  using Gemm = cutlass::gemm::device::GemmUniversalAdapter<Kernel>;
};

inline const float* float_ptr(const std::optional<at::Tensor>& t) {
  return t.has_value() ? static_cast<const float*>(t->data_ptr()) : nullptr;
}

// A vector scale has one value per row (or column); a scalar one, a single value.
inline bool is_vector(const std::optional<at::Tensor>& t) { return t.has_value() && t->numel() > 1; }

template <class ElementA, class ElementB, class ElementD, class Config>
void scaled_fp8_mm_impl(const Fp8MmArgs& a) {
  using Gemm = typename Fp8Gemm<ElementA, ElementB, ElementD, Config>::Gemm;
  using Kernel = typename Gemm::GemmKernel;
  const int M = a.A.size(0), K = a.A.size(1), N = a.B.size(1);

  typename Gemm::Arguments args{
      cutlass::gemm::GemmUniversalMode::kGemm,
      {M, N, K, 1},
      {static_cast<const ElementA*>(a.A.data_ptr()),
       cutlass::make_cute_packed_stride(typename Kernel::StrideA{}, cute::make_shape(M, K, 1)),
       static_cast<const ElementB*>(a.B.data_ptr()),
       cutlass::make_cute_packed_stride(typename Kernel::StrideB{}, cute::make_shape(N, K, 1))},
      {{},
       nullptr,
       {},
       static_cast<ElementD*>(a.out.data_ptr()),
       cutlass::make_cute_packed_stride(typename Kernel::StrideD{}, cute::make_shape(M, N, 1))}};
  args.epilogue.thread = {
      {float_ptr(a.scale_A), 1.0f, {is_vector(a.scale_A), cute::_0{}, int64_t(0)}},
      {{float_ptr(a.scale_B), 1.0f, {cute::_0{}, is_vector(a.scale_B), int64_t(0)}}, {}, {}},
      {float_ptr(a.bias), 0.0f, {}},
      {}};
  args.hw_info.device_id = a.A.get_device();
  args.hw_info.sm_count = multiprocessor_count(a.A.get_device());
  run_cutlass_gemm<Gemm>(args, a.A, "cutlass_row_scaled_fp8_mm");
}

namespace variant {
using bf16 = cutlass::bfloat16_t;
using fp16 = cutlass::half_t;
using fp32 = float;
using e4m3 = cutlass::float_e4m3_t;
using e5m2 = cutlass::float_e5m2_t;
using promoted = Fp8DefaultConfig;
using fast = Fp8FastAccumConfig;
}  // namespace variant

}  // namespace gn_kernels::sm90a

// Defines one entry of GN_SM90A_FP8_VARIANTS (see fp8_gemm_variants.h).
#define GN_SM90A_FP8_DEFINE(out, acc, a, b)                                                    \
  namespace gn_kernels::sm90a {                                                                 \
  void GN_SM90A_FP8_NAME(out, acc, a, b)(const Fp8MmArgs& args) {                               \
    scaled_fp8_mm_impl<variant::a, variant::b, variant::out, variant::acc>(args);               \
  }                                                                                             \
  }
