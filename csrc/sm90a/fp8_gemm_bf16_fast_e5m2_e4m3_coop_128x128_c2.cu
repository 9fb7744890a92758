#include "fp8_gemm.cuh"

GN_SM90A_FP8_DEFINE(bf16, fast, e5m2, e4m3, coop_128x128_c2)
