// The promoted FP8 mainloop with its promotions overlapped. FP8 WGMMA sums its products in
// fewer bits than float32, so the promoted GEMM sums each 128-deep K tile in the tensor cores
// from zero and adds that partial tile into float32 registers. CUTLASS's FP8 mainloop waits
// for every WGMMA in flight before each addition, which drains the tensor pipe once per K
// tile: it ran at 0.81x our fast-accumulation kernel at 8192^3 on the H100 (1221 against
// 1500 TFLOPS, benchmarks/results/h100_sxm.md). Here K tiles alternate between two partial
// accumulators, so tile t's WGMMAs run while tile t - 1's partial sums are added. The sums
// are the same as CUTLASS's with a promotion interval of one K tile: the same numbers, in the
// same order. The cost is one more accumulator: 64 more registers a thread for a 64x128
// warpgroup tile (192 in all), which is why only tiles of that size or smaller use it.
#pragma once

#include <cute/tensor.hpp>
#include <cutlass/gemm/collective/collective_mma.hpp>

namespace gn_kernels::sm90a {

// Base: CUTLASS's FP8 promoted collective, whose shared storage, TMA loads and parameters
// this keeps; only the consumer's mma and mma_tail differ.
template <class Base>
struct OverlappedPromotionMainloop : Base {
  using typename Base::MainloopPipeline;
  using typename Base::Params;
  using typename Base::PipelineState;
  using typename Base::SmemLayoutA;
  using typename Base::SmemLayoutB;
  using typename Base::TensorStorage;
  using typename Base::TiledMma;

  template <class Accum>
  CUTLASS_DEVICE void mma(MainloopPipeline pipeline, PipelineState read, Accum& accum,
                          int k_tile_count, int thread_idx, TensorStorage& smem, Params const&) {
    using namespace cute;
    Tensor sA = make_tensor(make_smem_ptr(smem.smem_A.data()), SmemLayoutA{});
    Tensor sB = make_tensor(make_smem_ptr(smem.smem_B.data()), SmemLayoutB{});
    constexpr int kWarpGroups = size(TiledMma{}) / cutlass::NumThreadsPerWarpGroup;
    auto warp_groups = make_layout(Int<kWarpGroups>{}, Int<cutlass::NumThreadsPerWarpGroup>{});
    const int warp_group = __shfl_sync(0xFFFFFFFF, thread_idx / cutlass::NumThreadsPerWarpGroup, 0);
    TiledMma tiled_mma;
    auto thread_mma = tiled_mma.get_slice(warp_groups(warp_group));
    Tensor tCrA = thread_mma.make_fragment_A(thread_mma.partition_A(sA));
    Tensor tCrB = thread_mma.make_fragment_B(thread_mma.partition_B(sB));
    Tensor even = make_fragment_like(accum);
    Tensor odd = make_fragment_like(accum);
    PipelineState release = read;

    // Waits for the next K tile's operands and sums its products into `partial`, from zero.
    auto issue = [&](auto& partial) {
      pipeline.consumer_wait(read, pipeline.consumer_try_wait(read));
      const int stage = read.index();
      ++read;
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
    auto promote = [&](auto& partial) {
      warpgroup_fence_operand(partial);
      CUTLASS_PRAGMA_UNROLL
      for (int i = 0; i < size(accum); ++i) accum(i) += partial(i);
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
    issue(even);
    int left = k_tile_count - 1;
    // The loop takes K tiles in pairs so that `even` and `odd` stay named registers: a
    // partial accumulator picked at run time would sit in local memory.
    CUTLASS_PRAGMA_NO_UNROLL
    for (; left >= 2; left -= 2) {
      issue(odd);
      warpgroup_wait<1>();
      promote(even);
      issue(even);
      warpgroup_wait<1>();
      promote(odd);
    }
    if (left == 1) {
      issue(odd);
      warpgroup_wait<1>();
      promote(even);
      warpgroup_wait<0>();
      promote(odd);
    } else {
      warpgroup_wait<0>();
      promote(even);
    }
    warpgroup_fence_operand(accum);
  }

  // mma has waited for its WGMMAs and released every stage it read.
  CUTLASS_DEVICE void mma_tail(MainloopPipeline, PipelineState, int) {}
};

}  // namespace gn_kernels::sm90a
