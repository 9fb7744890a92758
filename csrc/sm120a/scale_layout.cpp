// CUTLASS's block-scale layout evaluated on the host, so that a CPU test can hold
// pack_block_scales_nv to what the SM120a kernels read. Host code only, so the host
// compiler builds it: 22 s of one core against nvcc's 71 s on the 2-core machine.
#include <cute/tensor.hpp>
#include <cutlass/detail/sm100_blockscaled_layout.hpp>

#include "ops.h"

namespace gn_kernels::sm120a {

namespace {

template <int Block>
at::Tensor offsets(int64_t rows, int64_t K) {
  using Config = cutlass::detail::Sm1xxBlockScaledConfig<Block>;
  const auto layout = Config::tile_atom_to_shape_SFA(cute::make_shape(int(rows), 1, int(K), 1));
  at::Tensor out = at::empty({rows, K / Block}, at::kLong);
  auto o = out.accessor<int64_t, 2>();
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t b = 0; b < K / Block; ++b) o[r][b] = layout(int(r), int(b * Block), 0);
  }
  return out;
}

}  // namespace

at::Tensor scale_factor_offsets(int64_t rows, int64_t K, int64_t block) {
  TORCH_CHECK(rows > 0 && K > 0 && K % block == 0, "scale_factor_offsets: K must be a positive multiple of block");
  if (block == 16) return offsets<16>(rows, K);
  TORCH_CHECK(block == 32, "scale_factor_offsets: block must be 16 or 32");
  return offsets<32>(rows, K);
}

}  // namespace gn_kernels::sm120a
