// SM90a FP8 GEMM: D (M, N) = A (M, K, row-major) x B (K, N, column-major),
// E4M3 operands, float32 accumulation, TMA loads and warp-specialized WGMMA.
#pragma once

#include <cutlass/gemm/device/gemm_universal_adapter.h>
#include <cutlass/gemm/kernel/gemm_universal.hpp>
#include <cutlass/util/packed_stride.hpp>

#include "common/cutlass_launch.h"
#include "fp8_gemm_configs.h"

namespace gn_kernels::sm90a {

template <class ElementD, class Config>
struct Fp8Gemm {
  using ElementAB = cutlass::float_e4m3_t;
  // 16-byte TMA accesses: K must be a multiple of 16 FP8 values and N of
  // 16 bytes of output, which the Python checks guarantee.
  static constexpr int kAlignmentAB = 16;
  static constexpr int kAlignmentD = 16 / sizeof(ElementD);

  using CollectiveEpilogue = typename cutlass::epilogue::collective::CollectiveBuilder<
      cutlass::arch::Sm90, cutlass::arch::OpClassTensorOp, typename Config::TileShape,
      typename Config::ClusterShape, cutlass::epilogue::collective::EpilogueTileAuto, float,
      float, void, cutlass::layout::RowMajor, kAlignmentD, ElementD, cutlass::layout::RowMajor,
      kAlignmentD, typename Config::EpilogueSchedule>::CollectiveOp;

  using CollectiveMainloop = typename cutlass::gemm::collective::CollectiveBuilder<
      cutlass::arch::Sm90, cutlass::arch::OpClassTensorOp, ElementAB, cutlass::layout::RowMajor,
      kAlignmentAB, ElementAB, cutlass::layout::ColumnMajor, kAlignmentAB, float,
      typename Config::TileShape, typename Config::ClusterShape,
      cutlass::gemm::collective::StageCountAutoCarveout<static_cast<int>(
          sizeof(typename CollectiveEpilogue::SharedStorage))>,
      typename Config::KernelSchedule>::CollectiveOp;

  using Kernel = cutlass::gemm::kernel::GemmUniversal<cute::Shape<int, int, int, int>,
                                                      CollectiveMainloop, CollectiveEpilogue>;
  using Gemm = cutlass::gemm::device::GemmUniversalAdapter<Kernel>;
};

template <class ElementD, class Config = Fp8DefaultConfig>
void fp8_mm_impl(const at::Tensor& A, const at::Tensor& B, const at::Tensor& out) {
  using Gemm = typename Fp8Gemm<ElementD, Config>::Gemm;
  using Kernel = typename Gemm::GemmKernel;
  const int M = A.size(0), K = A.size(1), N = B.size(1);

  auto stride_A = cutlass::make_cute_packed_stride(typename Kernel::StrideA{}, cute::make_shape(M, K, 1));
  auto stride_B = cutlass::make_cute_packed_stride(typename Kernel::StrideB{}, cute::make_shape(N, K, 1));
  auto stride_D = cutlass::make_cute_packed_stride(typename Kernel::StrideD{}, cute::make_shape(M, N, 1));

  typename Gemm::Arguments args{
      cutlass::gemm::GemmUniversalMode::kGemm,
      {M, N, K, 1},
      {static_cast<const cutlass::float_e4m3_t*>(A.data_ptr()), stride_A,
       static_cast<const cutlass::float_e4m3_t*>(B.data_ptr()), stride_B},
      {{}, nullptr, stride_D, static_cast<ElementD*>(out.data_ptr()), stride_D}};
  args.epilogue.thread.alpha = 1.0f;
  args.epilogue.thread.beta = 0.0f;
  args.hw_info.device_id = A.get_device();
  args.hw_info.sm_count = multiprocessor_count(A.get_device());
  run_cutlass_gemm<Gemm>(args, A, "cutlass_fp8_mm");
}

}  // namespace gn_kernels::sm90a
