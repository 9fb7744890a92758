#include <pybind11/stl.h>
#include <torch/extension.h>

#include "ops.h"

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("scaled_fp8_mm", &gn_kernels::sm89::scaled_fp8_mm,
        "out = scale_A * (A @ B * scale_B) + bias for FP8 operands (Ada mma.sync), into a "
        "preallocated out, by the named tile configuration");
  m.def("fp8_gemm_instances", &gn_kernels::sm89::fp8_gemm_instances,
        "<out>_<acc>_<a>_<b>_<config> of every instantiated FP8 GEMM");
  m.def("attn_mxfp8_qk", &gn_kernels::sm89::attn_mxfp8_qk,
        "attention forward with MXFP8 q and k (E8M0 scales per 32 channels) and bfloat16 v, "
        "head dim 128, into a preallocated out");
}
