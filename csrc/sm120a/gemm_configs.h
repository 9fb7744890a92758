// SM120a tile configurations (RTX 5090, RTX PRO 6000): block-scaled MMA, no clusters beyond
// one CTA on these GPUs. The name is what the Python table (gn_kernels/heuristics/sm120a.py)
// and the instance list use. Untuned: no SM120 GPU is at hand, so this is CUTLASS's own
// choice for the block-scaled GeForce GEMMs, 128x128 tiles 128 deep, scheduled by its builder.
#pragma once

#include <cute/tensor.hpp>
#include <cutlass/gemm/collective/collective_builder.hpp>

namespace gn_kernels::sm120a::config {

struct tile_128x128x128 {
  using TileShape = cute::Shape<cute::_128, cute::_128, cute::_128>;
  using ClusterShape = cute::Shape<cute::_1, cute::_1, cute::_1>;
  using KernelSchedule = cutlass::gemm::collective::KernelScheduleAuto;
  using EpilogueSchedule = cutlass::epilogue::collective::EpilogueScheduleAuto;
};

}  // namespace gn_kernels::sm120a::config
