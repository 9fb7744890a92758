#include <torch/extension.h>

#include "ops.h"

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("fp8_mm", &gn_kernels::sm90a::fp8_mm, "E4M3 x E4M3 GEMM into a preallocated out");
}
