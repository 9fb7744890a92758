// The promoted FP8 mainloops (row-wise and block-scaled) with their promotions overlapped.
// FP8 WGMMA sums its products in fewer bits than float32, so these GEMMs sum each 128-deep K
// tile in the tensor cores from zero and add that partial tile, times its block scales if
// any, into float32 registers. CUTLASS's FP8 mainloops wait for every WGMMA in flight before
// each addition, which drains the tensor pipe once per K tile: the row-wise one ran at 0.81x
// our fast-accumulation kernel at 8192^3 on the H100 (1221 against 1500 TFLOPS, in
// benchmarks/results/h100_sxm.md as commit f5f4f6e has it). Here the WGMMAs of one partial
// sum run while the previous one is added, the two alternating between two partial
// accumulators; that took the row-wise GEMM to 1309 TFLOPS there
// (h100_sxm_overlap_first.md). The sums are CUTLASS's, in the same order.
//
// The second partial accumulator costs registers: a 64x128 warpgroup tile holds 64 a thread
// in each of the three (192 in all). A wider tile cuts its N side in Parts: each K tile's
// WGMMAs then run part by part, one part's partial sum being added while the next part's
// WGMMAs run, so that a 64x192 warpgroup tile in two parts also holds 96 + 48 + 48.
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
  CUTLASS_DEVICE static void add(Accum& accum, Partial const& partial, Values, int offset) {
    CUTLASS_PRAGMA_UNROLL
    for (int i = 0; i < cute::size(partial); ++i) accum(offset + i) += partial(i);
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
  CUTLASS_DEVICE static void add(Accum& accum, Partial const& partial, Values const& scale,
                                 int offset) {
    CUTLASS_PRAGMA_UNROLL
    for (int i = 0; i < cute::size(partial); ++i) {
      accum(offset + i) += partial(i) * scale(offset + i);
    }
  }
};

// Base's TiledMma with WGMMAs Parts times narrower along N, on the same warpgroups. The
// operands are K-major (A row-major, B column-major), as every GEMM of csrc/sm90a takes them.
template <class Base, int Parts, class TiledMma = typename Base::TiledMma>
struct PartMma;
template <class Base, int Parts, class Atom, class AtomLayout, class Permutation>
struct PartMma<Base, Parts, cute::TiledMMA<Atom, AtomLayout, Permutation>> {
  using Tile = typename Base::TileShape;
  static constexpr int kTileN = decltype(cute::size<1>(Tile{}))::value;
  static_assert(kTileN % (8 * Parts) == 0, "WGMMA's N is a multiple of 8");
  using PartTile = cute::Shape<decltype(cute::size<0>(Tile{})), cute::Int<kTileN / Parts>,
                               decltype(cute::size<2>(Tile{}))>;
  using Op = decltype(cute::GMMA::ss_op_selector<typename Base::ElementA, typename Base::ElementB,
                                                 float, PartTile>());
  using type = cute::TiledMMA<cute::MMA_Atom<Op>, AtomLayout, Permutation>;
};

// Base: CUTLASS's FP8 promoted or block-scaled collective, whose shared storage, loads and
// parameters this keeps; only the consumer's mma and mma_tail differ.
template <class Base, bool BlockScaled = false, int Parts = 1>
struct OverlappedPromotionMainloop : Base {
  static_assert(Parts == 1 || Parts == 2, "a K tile's WGMMAs run whole or in two parts");
  using typename Base::MainloopPipeline;
  using typename Base::Params;
  using typename Base::PipelineState;
  using typename Base::SmemLayoutA;
  using typename Base::SmemLayoutB;
  using typename Base::TensorStorage;
  using typename Base::TiledMma;
  using Scales = PartialTileScales<Base, BlockScaled>;
  using Mma = typename PartMma<Base, Parts>::type;

  template <class Accum>
  CUTLASS_DEVICE void mma(MainloopPipeline pipeline, PipelineState read, Accum& accum,
                          int k_tile_count, int thread_idx, TensorStorage& smem, Params const&) {
    using namespace cute;
    constexpr int kWarpGroupThreads = cutlass::NumThreadsPerWarpGroup;
    Tensor sA = make_tensor(make_smem_ptr(smem.smem_A.data()), SmemLayoutA{});
    Tensor sB = make_tensor(make_smem_ptr(smem.smem_B.data()), SmemLayoutB{});
    constexpr int kWarpGroups = size(Mma{}) / kWarpGroupThreads;
    auto warp_groups = make_layout(Int<kWarpGroups>{}, Int<kWarpGroupThreads>{});
    const int warp_group = __shfl_sync(0xFFFFFFFF, thread_idx / kWarpGroupThreads, 0);
    Mma tiled_mma;
    auto thread_mma = tiled_mma.get_slice(warp_groups(warp_group));
    // (MMA, 1, K blocks, stage) and (MMA, Parts, K blocks, stage)
    Tensor tCrA = thread_mma.make_fragment_A(thread_mma.partition_A(sA));
    Tensor tCrB = thread_mma.make_fragment_B(thread_mma.partition_B(sB));
    static_assert(size<1>(tCrA) == 1 && size<1>(tCrB) == Parts, "one WGMMA a warpgroup per part");
    const Scales scales(TiledMma{}, thread_idx, smem);
    // Each part's partial sums lie in accum's values [part * size, (part + 1) * size): WGMMA
    // numbers a thread's values by column group, groups of eight columns outermost.
    using PartTile = typename PartMma<Base, Parts>::PartTile;
    Tensor even = partition_fragment_C(tiled_mma, take<0, 2>(PartTile{}));
    Tensor odd = make_fragment_like(even);
    static_assert(decltype(size(even))::value * Parts == decltype(size(accum))::value,
                  "the parts tile the accumulator");
    typename Scales::Values tile_scale, even_scale, odd_scale;
    PipelineState release = read;
    int stage = 0;

    // Sums one part of a K tile's products into `partial`, from zero; its first part waits
    // for the tile's operands.
    auto issue = [&](auto& partial, auto part, auto& scale) {
      if constexpr (decltype(part)::value == 0) {
        pipeline.consumer_wait(read, pipeline.consumer_try_wait(read));
        stage = read.index();
        ++read;
        tile_scale = scales.read(stage);
      }
      scale = tile_scale;
      warpgroup_fence_operand(partial);
      warpgroup_arrive();
      tiled_mma.accumulate_ = GMMA::ScaleOut::Zero;
      CUTLASS_PRAGMA_UNROLL
      for (int k_block = 0; k_block < size<2>(tCrA); ++k_block) {
        cute::gemm(tiled_mma, tCrA(_, 0, k_block, stage), tCrB(_, part, k_block, stage),
                   partial(_, 0, 0));
        tiled_mma.accumulate_ = GMMA::ScaleOut::One;
      }
      warpgroup_commit_batch();
    };
    // Once `partial`'s WGMMAs are done (the caller waits for them), adds it into accum; after a
    // tile's last part, hands its shared-memory stage back to the loads.
    auto promote = [&](auto& partial, auto part, auto const& scale) {
      warpgroup_fence_operand(partial);
      Scales::add(accum, partial, scale, decltype(part)::value * size(partial));
      // Pins the additions here: left free, the compiler sinks them past the next WGMMAs into
      // `partial`, whose registers then need copies while those WGMMAs are in flight, and
      // ptxas serializes every WGMMA (C7514).
      warpgroup_fence_operand(accum);
      if constexpr (decltype(part)::value == Parts - 1) {
        pipeline.consumer_release(release);
        ++release;
      }
    };

    clear(accum);
    warpgroup_fence_operand(accum);
    if (k_tile_count <= 0) return;
    // `even` always takes part 0; `odd` the next K tile's (one part) or the same tile's second.
    constexpr Int<0> first{};
    constexpr Int<Parts - 1> second{};
    issue(even, first, even_scale);
    int left = k_tile_count * Parts - 1;
    // The loop takes partial sums in pairs so that `even` and `odd` stay named registers: a
    // partial accumulator picked at run time would sit in local memory.
    CUTLASS_PRAGMA_NO_UNROLL
    for (; left >= 2; left -= 2) {
      issue(odd, second, odd_scale);
      warpgroup_wait<1>();
      promote(even, first, even_scale);
      issue(even, first, even_scale);
      warpgroup_wait<1>();
      promote(odd, second, odd_scale);
    }
    if (left == 1) {
      issue(odd, second, odd_scale);
      warpgroup_wait<1>();
      promote(even, first, even_scale);
      warpgroup_wait<0>();
      promote(odd, second, odd_scale);
    } else {
      warpgroup_wait<0>();
      promote(even, first, even_scale);
    }
    warpgroup_fence_operand(accum);
  }

  // mma has waited for its WGMMAs and released every stage it read.
  CUTLASS_DEVICE void mma_tail(MainloopPipeline, PipelineState, int) {}
};

}  // namespace gn_kernels::sm90a
