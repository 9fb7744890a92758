#include <torch/extension.h>
#include <pybind11/stl.h>

#include "ops.h"

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("scaled_fp8_mm", &gn_kernels::sm90a::scaled_fp8_mm,
        "out = scale_A * (A @ B * scale_B) + bias for FP8 operands, into a preallocated out, "
        "by the named tile configuration");
  m.def("fp8_gemm_instances", &gn_kernels::sm90a::fp8_gemm_instances,
        "<out>_<acc>_<a>_<b>_<config> of every instantiated FP8 GEMM");
  m.def("int8_mm", &gn_kernels::sm90a::int8_mm,
        "out = scale_A * (A @ B * scale_B) + bias for int8 operands (int32 accumulation), or the "
        "exact int32 product when out is int32, by the named tile configuration");
  m.def("block_scaled_fp8_mm", &gn_kernels::sm90a::block_scaled_fp8_mm,
        "out = A @ B with DeepSeek-style 1x128 (A) and 128x128 (B) block scales, plus bias, by "
        "the named tile configuration");
  m.def("block_scaled_gemm_instances", &gn_kernels::sm90a::block_scaled_gemm_instances,
        "<out>_<config> of every instantiated block-scaled FP8 GEMM");
  m.def("int8_gemm_instances", &gn_kernels::sm90a::int8_gemm_instances,
        "<out>_<config> of every instantiated INT8 GEMM");
}
