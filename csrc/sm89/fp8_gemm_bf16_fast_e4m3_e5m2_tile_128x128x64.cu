#include "fp8_gemm.cuh"

GN_SM89_FP8_DEFINE(bf16, fast, e4m3, e5m2, tile_128x128x64)
