#include <pybind11/stl.h>
#include <torch/extension.h>

#include "ops.h"

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("int4_mm", &gn_kernels::sm80::int4_mm,
        "out = scale_A * (A @ B * scale_B) + bias for packed INT4 operands, or the exact int32 "
        "product, into a preallocated out, by the named tile configuration");
  m.def("int4_gemm_instances", &gn_kernels::sm80::int4_gemm_instances,
        "<out>_<config> of every instantiated INT4 GEMM");
  m.def("attn_int8_qk", &gn_kernels::sm80::attn_int8_qk,
        "attention forward with int8 q and k (per-token scales) and bfloat16 v, head dim 128, "
        "into a preallocated out");
  m.def("attn_int8", &gn_kernels::sm80::attn_int8,
        "attention forward with int8 q and k (per-token scales) and int8 v (per-channel scales), "
        "head dim 128, into a preallocated out");
}
