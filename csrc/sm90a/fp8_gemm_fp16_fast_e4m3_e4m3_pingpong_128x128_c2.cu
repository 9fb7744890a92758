#include "fp8_gemm.cuh"

GN_SM90A_FP8_DEFINE(fp16, fast, e4m3, e4m3, pingpong_128x128_c2)
