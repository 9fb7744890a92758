#include "fp8_gemm.cuh"

GN_SM89_FP8_DEFINE(bf16, fast, e5m2, e4m3, tile_128x128x64)
