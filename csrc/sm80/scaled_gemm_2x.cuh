// CUTLASS 2.x scaled GEMM for the mma.sync families (SM80 INT4, SM89 FP8): out (M, N) =
// scale_A * (A @ B * scale_B) + bias, A (M, K) row-major, B (K, N) column-major, a
// multistage cp.async mainloop and a visitor-tree epilogue (Sm80EVT). An absent scale
// reads as 1 and an absent bias as 0; an int32 output stores the exact sum instead.
#pragma once

// visitors.hpp relies on the GEMM headers being included first.
#include <cutlass/gemm/device/gemm_universal_adapter.h>
#include <cutlass/gemm/kernel/default_gemm_universal_with_visitor.h>
#include <cutlass/epilogue/threadblock/fusion/visitors.hpp>

#include "common/cutlass_launch.h"
#include "common/scaled_mm_args.h"

namespace gn_kernels::mma_sync {

namespace tb = cutlass::epilogue::threadblock;
using cute::_0;
using cute::_1;

// One tile configuration: threadblock, warp and instruction shapes and pipeline depth.
template <class Threadblock_, class Warp_, class Instruction_, int Stages_>
struct TileConfig {
  using Threadblock = Threadblock_;
  using Warp = Warp_;
  using Instruction = Instruction_;
  static constexpr int kStages = Stages_;
};

template <class T>
constexpr int k16Bytes = 128 / cutlass::sizeof_bits<T>::value;  // elements in one 16-byte access

template <class Config, class ElementOut>
using OutputMap = tb::OutputTileThreadLayout<typename Config::Threadblock, typename Config::Warp,
                                             ElementOut, k16Bytes<ElementOut>, 1>;

template <class Config, class ElementOut>
using Store = tb::VisitorAuxStore<OutputMap<Config, ElementOut>, ElementOut,
                                  cutlass::FloatRoundStyle::round_to_nearest,
                                  cute::Stride<int64_t, _1, int64_t>>;

// Floating outputs: scale_A (a column broadcast) * (acc * scale_B) + bias (row broadcasts).
template <class Config, class ElementOut>
struct ScaledEpilogue {
  using Map = OutputMap<Config, ElementOut>;
  using ScaleA = tb::VisitorColBroadcast<Map, float, cute::Stride<_1, _0, int64_t>>;
  using RowVector = tb::VisitorRowBroadcast<Map, float, cute::Stride<_0, _1, int64_t>>;
  using ScaledAcc = tb::Sm80EVT<
      tb::VisitorCompute<cutlass::multiplies, float, float, cutlass::FloatRoundStyle::round_to_nearest>,
      tb::VisitorAccFetch, RowVector>;
  using Tree = tb::Sm80EVT<
      Store<Config, ElementOut>,
      tb::Sm80EVT<tb::VisitorCompute<cutlass::homogeneous_multiply_add, ElementOut, float,
                                     cutlass::FloatRoundStyle::round_to_nearest>,
                  ScaleA, ScaledAcc, RowVector>>;

  // The scales and bias as CheckedGemm's whole_vectors left them (checked_args.h): whole
  // vectors, never one value, from 16-byte aligned starts.
  static typename Tree::Arguments arguments(const ScaledMmArgs& a) {
    return {{{a.scale_A, 1.0f, {_1{}, _0{}, int64_t(0)}},
             {{}, {a.scale_B, 1.0f, {_0{}, _1{}, int64_t(0)}}, {}},
             {a.bias, 0.0f, {_0{}, _1{}, int64_t(0)}},
             {}},
            {static_cast<ElementOut*>(a.out), {int64_t(a.N), _1{}, int64_t(0)}}};
  }
};

// int32 output: the exact sum, stored as it is.
template <class Config>
struct ExactEpilogue {
  using Tree = tb::Sm80EVT<Store<Config, int32_t>, tb::VisitorAccFetch>;

  static typename Tree::Arguments arguments(const ScaledMmArgs& a) {
    return {{}, {static_cast<int32_t*>(a.out), {int64_t(a.N), _1{}, int64_t(0)}}};
  }
};

template <class ElementA, class ElementB, class ElementOut, class ElementAcc, class ArchTag,
          class Operator, class Config>
void scaled_mm_2x(const ScaledMmArgs& a, const char* op) {
  using Epilogue = std::conditional_t<std::is_same_v<ElementOut, int32_t>, ExactEpilogue<Config>,
                                      ScaledEpilogue<Config, ElementOut>>;
  using Kernel = typename cutlass::gemm::kernel::DefaultGemmWithVisitor<
      ElementA, cutlass::layout::RowMajor, cutlass::ComplexTransform::kNone, k16Bytes<ElementA>,
      ElementB, cutlass::layout::ColumnMajor, cutlass::ComplexTransform::kNone, k16Bytes<ElementB>,
      ElementOut, cutlass::layout::RowMajor, k16Bytes<ElementOut>, ElementAcc, float,
      cutlass::arch::OpClassTensorOp, ArchTag, typename Config::Threadblock, typename Config::Warp,
      typename Config::Instruction, typename Epilogue::Tree,
      cutlass::gemm::threadblock::GemmIdentityThreadblockSwizzle<8>, Config::kStages,
      Operator>::GemmKernel;
  using Gemm = cutlass::gemm::device::GemmUniversalAdapter<Kernel>;

  // Packed INT4 holds two K values a byte: the tensors' K is in bytes, the GEMM's in elements.
  const int per_byte = 8 / cutlass::sizeof_bits<ElementA>::value;
  const int M = a.M, N = a.N, K = a.K * per_byte;
  typename Gemm::Arguments args(cutlass::gemm::GemmUniversalMode::kGemm, {M, N, K}, 1,
                                Epilogue::arguments(a), a.A, a.B, nullptr, nullptr,
                                int64_t(M) * K, int64_t(N) * K, 0, 0, K, K, 0, 0);
  run_cutlass_gemm<Gemm>(args, a.launch, op);
}

}  // namespace gn_kernels::mma_sync
