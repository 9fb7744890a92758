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

  static typename Tree::Arguments arguments(const ScaledMmArgs& a, const float* scale_A,
                                            const float* scale_B, const float* bias) {
    const int64_t N = a.B.size(1);
    return {{{scale_A, 1.0f, {_1{}, _0{}, int64_t(0)}},
             {{}, {scale_B, 1.0f, {_0{}, _1{}, int64_t(0)}}, {}},
             {bias, 0.0f, {_0{}, _1{}, int64_t(0)}},
             {}},
            {static_cast<ElementOut*>(a.out.data_ptr()), {N, _1{}, int64_t(0)}}};
  }
};

// int32 output: the exact sum, stored as it is.
template <class Config>
struct ExactEpilogue {
  using Tree = tb::Sm80EVT<Store<Config, int32_t>, tb::VisitorAccFetch>;

  static typename Tree::Arguments arguments(const ScaledMmArgs& a, const float*, const float*,
                                            const float*) {
    return {{}, {static_cast<int32_t*>(a.out.data_ptr()), {a.B.size(1), _1{}, int64_t(0)}}};
  }
};

// A scale or bias as the epilogue reads it: M or N float32 values from a 16-byte aligned
// start (the row broadcast loads whole vectors). One value (tensor-wise) is expanded, a
// misaligned view copied: a few kilobytes, on the current stream.
inline std::optional<at::Tensor> vector_of(const std::optional<at::Tensor>& t, int64_t n) {
  if (!t.has_value()) return t;
  if (t->numel() == 1 && n != 1) return t->reshape({1}).expand({n}).contiguous();
  if (reinterpret_cast<uintptr_t>(t->data_ptr()) % 16 != 0) return t->clone();
  return t;
}

inline const float* data_of(const std::optional<at::Tensor>& t) {
  return t.has_value() ? t->data_ptr<float>() : nullptr;
}

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
  const int M = a.A.size(0), N = a.B.size(1), K = a.A.size(1) * per_byte;
  const auto scale_A = vector_of(a.scale_A, M), scale_B = vector_of(a.scale_B, N);
  const auto bias = vector_of(a.bias, N);
  typename Gemm::Arguments args(
      cutlass::gemm::GemmUniversalMode::kGemm, {M, N, K}, 1,
      Epilogue::arguments(a, data_of(scale_A), data_of(scale_B), data_of(bias)),
      a.A.data_ptr(), a.B.data_ptr(), nullptr, nullptr, int64_t(M) * K, int64_t(N) * K, 0, 0,
      K, K, 0, 0);
  run_cutlass_gemm<Gemm>(args, a.out, op);
}

}  // namespace gn_kernels::mma_sync
