// SM120a block-scaled GEMM: out (M, N) = scale_A * ((A, SFA) @ (B, SFB) * scale_B) + bias, A
// (M, K) row-major and B (K, N) column-major in an MX or NVFP4 format, their block scales SFA and
// SFB in the swizzled 128x4 layout (pack_block_scales_nv), float32 accumulation. The epilogue is
// the SM90a visitor tree (scaled_epilogue.cuh): per-row or one-value scale_A, per-column or
// one-value scale_B (NVFP4's output scale comes as a one-value scale_A), optional bias.
#pragma once

#include <cutlass/cutlass.h>
#include <cutlass/epilogue/collective/collective_builder.hpp>
#include <cutlass/gemm/collective/collective_builder.hpp>
#include <cutlass/gemm/device/gemm_universal_adapter.h>
#include <cutlass/gemm/kernel/gemm_universal.hpp>
#include <cutlass/util/packed_stride.hpp>

#include "block_scaled_gemm_instances.h"
#include "common/cutlass_launch.h"
#include "gemm_configs.h"
#include "sm90a/scaled_epilogue.cuh"

namespace gn_kernels::sm120a {

// Operand formats by the names the instance list uses: (A, B) block-scaled element types.
namespace format {
template <class A, class B>
struct Pair {
  using ElementA = A;
  using ElementB = B;
};
using mxfp8_e4m3_e4m3 = Pair<cutlass::mx_float8_t<cutlass::float_e4m3_t>, cutlass::mx_float8_t<cutlass::float_e4m3_t>>;
using mxfp8_e4m3_e5m2 = Pair<cutlass::mx_float8_t<cutlass::float_e4m3_t>, cutlass::mx_float8_t<cutlass::float_e5m2_t>>;
using mxfp8_e5m2_e4m3 = Pair<cutlass::mx_float8_t<cutlass::float_e5m2_t>, cutlass::mx_float8_t<cutlass::float_e4m3_t>>;
using mxfp4 = Pair<cutlass::mx_float4_t<cutlass::float_e2m1_t>, cutlass::mx_float4_t<cutlass::float_e2m1_t>>;
using nvfp4 = Pair<cutlass::nv_float4_t<cutlass::float_e2m1_t>, cutlass::nv_float4_t<cutlass::float_e2m1_t>>;
}  // namespace format

namespace variant {
using bf16 = cutlass::bfloat16_t;
using fp16 = cutlass::half_t;
using fp32 = float;
}  // namespace variant

template <class Format, class ElementD, class Config>
struct BlockScaledGemm {
  using ElementA = typename Format::ElementA;
  using ElementB = typename Format::ElementB;
  using Epilogue = sm90a::ScaledEpilogue<typename Config::TileShape, ElementD, false>;
  // 16-byte TMA rows: 16 FP8 or 32 FP4 values of K, and 16 bytes of output along N.
  static constexpr int kAlignA = 128 / cutlass::sizeof_bits<typename ElementA::DataType>::value;
  static constexpr int kAlignB = 128 / cutlass::sizeof_bits<typename ElementB::DataType>::value;
  static constexpr int kAlignD = 16 / sizeof(ElementD);

  using CollectiveEpilogue = typename cutlass::epilogue::collective::CollectiveBuilder<
      cutlass::arch::Sm120, cutlass::arch::OpClassBlockScaledTensorOp, typename Config::TileShape,
      typename Config::ClusterShape, cutlass::epilogue::collective::EpilogueTileAuto, float, float,
      void, cutlass::layout::RowMajor, kAlignD, ElementD, cutlass::layout::RowMajor, kAlignD,
      typename Config::EpilogueSchedule, typename Epilogue::Tree>::CollectiveOp;

  using CollectiveMainloop = typename cutlass::gemm::collective::CollectiveBuilder<
      cutlass::arch::Sm120, cutlass::arch::OpClassBlockScaledTensorOp, ElementA,
      cutlass::layout::RowMajor, kAlignA, ElementB, cutlass::layout::ColumnMajor, kAlignB, float,
      typename Config::TileShape, typename Config::ClusterShape,
      cutlass::gemm::collective::StageCountAutoCarveout<static_cast<int>(
          sizeof(typename CollectiveEpilogue::SharedStorage))>,
      typename Config::KernelSchedule>::CollectiveOp;

  using Kernel = cutlass::gemm::kernel::GemmUniversal<cute::Shape<int, int, int, int>,
                                                      CollectiveMainloop, CollectiveEpilogue, void>;
  using Gemm = cutlass::gemm::device::GemmUniversalAdapter<Kernel>;
  using ScaleConfig = typename CollectiveMainloop::Sm1xxBlkScaledConfig;
};

template <class Format, class ElementD, class Config>
void block_scaled_mm_impl(const BlockScaledArgs& b, const char* op) {
  using G = BlockScaledGemm<Format, ElementD, Config>;
  using Kernel = typename G::Kernel;
  using Mainloop = typename G::CollectiveMainloop;
  using Epi = typename G::Epilogue;
  const ScaledMmArgs& a = b.gemm;
  // FP4 operands hold two values a byte: the tensors' K is in bytes, the GEMM's in elements.
  const int per_byte = 8 / cutlass::sizeof_bits<typename G::ElementA::DataType>::value;
  const int M = a.M, N = a.N, K = a.K * per_byte;
  const auto shape = cute::make_shape(M, N, K, 1);

  typename G::Gemm::Arguments args{};
  args.mode = cutlass::gemm::GemmUniversalMode::kGemm;
  args.problem_shape = {M, N, K, 1};
  args.mainloop.ptr_A = static_cast<const typename Mainloop::ElementA*>(a.A);
  args.mainloop.dA = cutlass::make_cute_packed_stride(typename Kernel::StrideA{}, cute::make_shape(M, K, 1));
  args.mainloop.ptr_B = static_cast<const typename Mainloop::ElementB*>(a.B);
  args.mainloop.dB = cutlass::make_cute_packed_stride(typename Kernel::StrideB{}, cute::make_shape(N, K, 1));
  args.mainloop.ptr_SFA = static_cast<const typename Mainloop::ElementSF*>(b.scale_factors_A);
  args.mainloop.layout_SFA = G::ScaleConfig::tile_atom_to_shape_SFA(shape);
  args.mainloop.ptr_SFB = static_cast<const typename Mainloop::ElementSF*>(b.scale_factors_B);
  args.mainloop.layout_SFB = G::ScaleConfig::tile_atom_to_shape_SFB(shape);
  args.epilogue.ptr_D = static_cast<ElementD*>(a.out);
  args.epilogue.dD = cutlass::make_cute_packed_stride(typename Kernel::StrideD{}, cute::make_shape(M, N, 1));
  args.epilogue.thread = {
      sm90a::vector_args<true, typename Epi::ScaleA>(a.scale_A, 1.0f, a.scale_A_vector),
      {sm90a::vector_args<false, typename Epi::ScaleB>(a.scale_B, 1.0f, a.scale_B_vector), {}, {}},
      sm90a::vector_args<false, typename Epi::Bias>(a.bias, 0.0f, a.bias != nullptr),
      {}};
  args.hw_info.device_id = a.launch.device;
  args.hw_info.sm_count = a.launch.sm_count;
  run_cutlass_gemm<typename G::Gemm>(args, a.launch, op);
}

}  // namespace gn_kernels::sm120a

// Defines one entry of GN_SM120A_BLOCK_SCALED_INSTANCES.
#define GN_SM120A_BLOCK_SCALED_DEFINE(fmt, out, cfg)                                                  \
  namespace gn_kernels::sm120a {                                                                       \
  void GN_SM120A_BLOCK_SCALED_NAME(fmt, out, cfg)(const BlockScaledArgs& args) {                        \
    block_scaled_mm_impl<format::fmt, variant::out, config::cfg>(args, "cutlass_block_scaled_" #fmt); \
  }                                                                                                    \
  }
