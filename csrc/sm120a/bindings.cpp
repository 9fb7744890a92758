#include <pybind11/stl.h>
#include <torch/extension.h>

#include "ops.h"

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("block_scaled_mm", &gn_kernels::sm120a::block_scaled_mm,
        "out = scale_A * (block-scaled A @ B * scale_B) + bias for MXFP8, MXFP4 or NVFP4 operands "
        "with swizzled block scales, into a preallocated out, by the named tile configuration");
  m.def("block_scaled_gemm_instances", &gn_kernels::sm120a::block_scaled_gemm_instances,
        "<format>_<out>_<config> of every instantiated block-scaled GEMM");
  m.def("scale_factor_offsets", &gn_kernels::sm120a::scale_factor_offsets,
        "offsets at which the kernels read each (row, K block) scale, from CUTLASS's layout");
  m.def("attn_mxfp8_qk", &gn_kernels::sm120a::attn_mxfp8_qk,
        "attention forward with MXFP8 q and k (E8M0 scales per 32 channels) and bfloat16 v, "
        "head dim 128, into a preallocated out");
}
