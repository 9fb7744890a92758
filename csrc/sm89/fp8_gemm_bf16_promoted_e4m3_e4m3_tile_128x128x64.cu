#include "fp8_gemm.cuh"

GN_SM89_FP8_DEFINE(bf16, promoted, e4m3, e4m3, tile_128x128x64)
