// The promoted FP8 mainloops (row-wise and block-scaled) with their promotions overlapped.
// FP8 WGMMA sums its products in fewer bits than float32, so these GEMMs sum each 128-deep K
// tile in the tensor cores from zero and add that partial tile, times its block scales if
// any, into float32 registers. CUTLASS's FP8 mainloops wait for every WGMMA in flight before
// each addition, which drains the tensor pipe once per K tile: the row-wise one ran at 0.81x
// our fast-accumulation kernel at 8192^3 on the H100 (1221 against 1500 TFLOPS, in
// benchmarks/results/h100_sxm.md as commit f5f4f6e has it). Here K tiles alternate between two
// partial accumulators, so tile t's WGMMAs run while tile t - 1's partial sums are added; that
// took the row-wise GEMM to 1309 TFLOPS there (h100_sxm_overlap_first.md). The sums are CUTLASS's, in the same order. The cost is one more
// accumulator: 64 more registers a thread for a 64x128 warpgroup tile (192 in all), which is
// why only tiles of that size or smaller use it.
#pragma once

#include <cute/tensor.hpp>
#include <cutlass/gemm/collective/collective_mma.hpp>

namespace gn_kernels::sm90a {

// What multiplies a partial K tile on its way into the sum. Row-wise scaling leaves its
// scales to the epilogue: nothing.
template <class Base, bool BlockScaled>
struct PartialTileScales {
  struct Values {};
  CUTLASS_DEVICE PartialTileScales(typename Base::TiledMma const&, int, typename Base::TensorStorage&) {}
  CUTLASS_DEVICE Values read(int) const { return {}; }
  template <class Accum, class Partial>
  CUTLASS_DEVICE static void add(Accum& accum, Partial const& partial, Values) {
    CUTLASS_PRAGMA_UNROLL
    for (int i = 0; i < cute::size(accum); ++i) accum(i) += partial(i);
  }
};

// Block scaling: the K tile's scale of each accumulator row (A's 1x128 groups) times the one of
// its 128 columns (B's 128x128 block), read from the stage's shared memory, where the
// producer's copies put them beside the tile's operands.
template <class Base>
struct PartialTileScales<Base, true> {
  static_assert(Base::ScaleNsPerTile == 1, "one B scale block across the tile's N side");
  using TileShape = typename Base::TileShape;
  using Float = typename Base::ElementBlockScale;

  // A scale layout seen as (tile M, tile N, (K, stage)): the side it does not vary along
  // broadcasts, so that the accumulator's partition picks each value's scale.
  template <class Layout, int BroadcastMode>
  CUTLASS_DEVICE static auto over_tile(Layout layout) {
    using namespace cute;
    auto k_stage = make_layout(make_shape(shape<1>(layout), shape<2>(layout)),
                               make_stride(stride<1>(layout), stride<2>(layout)));
    if constexpr (BroadcastMode == 1) {
      return make_layout(make_layout(shape<0>(layout), stride<0>(layout)),
                         make_layout(size<1>(TileShape{}), _0{}), k_stage);
    } else {
      return make_layout(make_layout(size<0>(TileShape{}), _0{}),
                         make_layout(shape<0>(layout), stride<0>(layout)), k_stage);
    }
  }

  CUTLASS_DEVICE PartialTileScales(typename Base::TiledMma const& tiled_mma, int thread_idx,
                                   typename Base::TensorStorage& smem)
      : sfa(tiled_mma.get_slice(thread_idx)
                .partition_C(cute::make_tensor(cute::make_smem_ptr(smem.smem_SFA.data()),
                                               over_tile<typename Base::SmemLayoutSFA, 1>({})))),
        sfb(tiled_mma.get_slice(thread_idx)
                .partition_C(cute::make_tensor(cute::make_smem_ptr(smem.smem_SFB.data()),
                                               over_tile<typename Base::SmemLayoutSFB, 0>({})))) {}

  using SmemA = decltype(cute::make_tensor(cute::make_smem_ptr(static_cast<Float*>(nullptr)),
                                           over_tile<typename Base::SmemLayoutSFA, 1>({})));
  using SmemB = decltype(cute::make_tensor(cute::make_smem_ptr(static_cast<Float*>(nullptr)),
                                           over_tile<typename Base::SmemLayoutSFB, 0>({})));
  using Partitioned = decltype(std::declval<typename Base::TiledMma>().get_slice(0).partition_C(
      std::declval<SmemA&>()));
  using PartitionedB = decltype(std::declval<typename Base::TiledMma>().get_slice(0).partition_C(
      std::declval<SmemB&>()));
  Partitioned sfa;
  PartitionedB sfb;
  using Values = decltype(cute::make_tensor_like<Float>(sfa(cute::_, cute::_, cute::_, cute::_0{})));

  // Read before the stage goes back to the producer.
  CUTLASS_DEVICE Values read(int stage) const {
    using namespace cute;
    Values a = make_tensor_like<Float>(sfa(_, _, _, make_coord(_0{}, stage)));
    copy(sfa(_, _, _, make_coord(_0{}, stage)), a);
    const Float b = sfb(_0{}, _0{}, _0{}, make_coord(_0{}, stage));
    CUTLASS_PRAGMA_UNROLL
    for (int i = 0; i < size(filter_zeros(a)); ++i) filter_zeros(a)(i) *= b;
    return a;
  }
  template <class Accum, class Partial>
  CUTLASS_DEVICE static void add(Accum& accum, Partial const& partial, Values const& scale) {
    CUTLASS_PRAGMA_UNROLL
    for (int i = 0; i < cute::size(accum); ++i) accum(i) += partial(i) * scale(i);
  }
};

// Base: CUTLASS's FP8 promoted or block-scaled collective, whose shared storage, loads and
// parameters this keeps; only the consumer's mma and mma_tail differ.
template <class Base, bool BlockScaled = false>
struct OverlappedPromotionMainloop : Base {
  using typename Base::MainloopPipeline;
  using typename Base::Params;
  using typename Base::PipelineState;
  using typename Base::SmemLayoutA;
  using typename Base::SmemLayoutB;
  using typename Base::TensorStorage;
  using typename Base::TiledMma;
  using Scales = PartialTileScales<Base, BlockScaled>;

  template <class Accum>
  CUTLASS_DEVICE void mma(MainloopPipeline pipeline, PipelineState read, Accum& accum,
                          int k_tile_count, int thread_idx, TensorStorage& smem, Params const&) {
    using namespace cute;
    constexpr int kWarpGroupThreads = cutlass::NumThreadsPerWarpGroup;
    Tensor sA = make_tensor(make_smem_ptr(smem.smem_A.data()), SmemLayoutA{});
    Tensor sB = make_tensor(make_smem_ptr(smem.smem_B.data()), SmemLayoutB{});
    constexpr int kWarpGroups = size(TiledMma{}) / kWarpGroupThreads;
    auto warp_groups = make_layout(Int<kWarpGroups>{}, Int<kWarpGroupThreads>{});
    const int warp_group = __shfl_sync(0xFFFFFFFF, thread_idx / kWarpGroupThreads, 0);
    TiledMma tiled_mma;
    auto thread_mma = tiled_mma.get_slice(warp_groups(warp_group));
    Tensor tCrA = thread_mma.make_fragment_A(thread_mma.partition_A(sA));
    Tensor tCrB = thread_mma.make_fragment_B(thread_mma.partition_B(sB));
    const Scales scales(tiled_mma, thread_idx, smem);
    Tensor even = make_fragment_like(accum);
    Tensor odd = make_fragment_like(accum);
    typename Scales::Values even_scale, odd_scale;
    PipelineState release = read;

    // Waits for the next K tile's operands and sums its products into `partial`, from zero.
    auto issue = [&](auto& partial, auto& scale) {
      pipeline.consumer_wait(read, pipeline.consumer_try_wait(read));
      const int stage = read.index();
      ++read;
      scale = scales.read(stage);
      warpgroup_fence_operand(partial);
      warpgroup_arrive();
      tiled_mma.accumulate_ = GMMA::ScaleOut::Zero;
      CUTLASS_PRAGMA_UNROLL
      for (int k_block = 0; k_block < size<2>(tCrA); ++k_block) {
        cute::gemm(tiled_mma, tCrA(_, _, k_block, stage), tCrB(_, _, k_block, stage), partial);
        tiled_mma.accumulate_ = GMMA::ScaleOut::One;
      }
      warpgroup_commit_batch();
    };
    // Once `partial`'s WGMMAs are done (the caller waits for them), adds it into accum and
    // hands its shared-memory stage back to the loads.
    auto promote = [&](auto& partial, auto const& scale) {
      warpgroup_fence_operand(partial);
      Scales::add(accum, partial, scale);
      // Pins the additions here: left free, the compiler sinks them past the next WGMMAs into
      // `partial`, whose registers then need copies while those WGMMAs are in flight, and
      // ptxas serializes every WGMMA (C7514).
      warpgroup_fence_operand(accum);
      pipeline.consumer_release(release);
      ++release;
    };

    clear(accum);
    warpgroup_fence_operand(accum);
    if (k_tile_count <= 0) return;
    issue(even, even_scale);
    int left = k_tile_count - 1;
    // The loop takes K tiles in pairs so that `even` and `odd` stay named registers: a
    // partial accumulator picked at run time would sit in local memory.
    CUTLASS_PRAGMA_NO_UNROLL
    for (; left >= 2; left -= 2) {
      issue(odd, odd_scale);
      warpgroup_wait<1>();
      promote(even, even_scale);
      issue(even, even_scale);
      warpgroup_wait<1>();
      promote(odd, odd_scale);
    }
    if (left == 1) {
      issue(odd, odd_scale);
      warpgroup_wait<1>();
      promote(even, even_scale);
      warpgroup_wait<0>();
      promote(odd, odd_scale);
    } else {
      warpgroup_wait<0>();
      promote(even, even_scale);
    }
    warpgroup_fence_operand(accum);
  }

  // mma has waited for its WGMMAs and released every stage it read.
  CUTLASS_DEVICE void mma_tail(MainloopPipeline, PipelineState, int) {}
};

}  // namespace gn_kernels::sm90a
