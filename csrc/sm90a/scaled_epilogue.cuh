// The scale and bias epilogue of the TMA GEMMs (SM90a, and SM120a, whose epilogue is
// Hopper's): a visitor tree computing scale_A * (acc * scale_B) + bias. scale_A
// broadcasts along M (M values, or one value), scale_B and bias along N; an absent scale
// reads as 1, an absent bias as 0, so the unscaled GEMM is the same kernel.
#pragma once

#include <cutlass/epilogue/fusion/sm90_callbacks_tma_warpspecialized.hpp>

namespace gn_kernels::sm90a {

namespace fusion = cutlass::epilogue::fusion;

// A float32 vector along the kernel's M (a column broadcast) or N (a row broadcast);
// the bool stride chooses at run time between a vector and one value. Alignment 1:
// M is arbitrary, and a vectorized load could run past the last of M values.
template <class TileShape, bool AlongM>
using VectorBroadcast = std::conditional_t<
    AlongM,
    fusion::Sm90ColBroadcast<0, TileShape, float, float, cute::Stride<bool, cute::_0, int64_t>, 1>,
    fusion::Sm90RowBroadcast<0, TileShape, float, float, cute::Stride<cute::_0, bool, int64_t>, 1>>;

template <bool AlongM, class Broadcast>
typename Broadcast::Arguments vector_args(const float* ptr, float absent, bool vector) {
  if constexpr (AlongM) {
    return {ptr, absent, {vector, cute::_0{}, int64_t(0)}};
  } else {
    return {ptr, absent, {cute::_0{}, vector, int64_t(0)}};
  }
}

template <class TileShape, class ElementD, bool Swap>
struct ScaledEpilogue {
  using ScaleA = VectorBroadcast<TileShape, !Swap>;
  using ScaleB = VectorBroadcast<TileShape, Swap>;
  using Bias = VectorBroadcast<TileShape, Swap>;
  using Tree = fusion::Sm90EVT<
      fusion::Sm90Compute<cutlass::homogeneous_multiply_add, ElementD, float,
                          cutlass::FloatRoundStyle::round_to_nearest>,
      ScaleA,
      fusion::Sm90EVT<fusion::Sm90Compute<cutlass::multiplies, float, float,
                                          cutlass::FloatRoundStyle::round_to_nearest>,
                      ScaleB, fusion::Sm90AccFetch>,
      Bias>;
};

}  // namespace gn_kernels::sm90a
