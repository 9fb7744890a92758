#include "fp8_gemm.cuh"

GN_SM90A_FP8_DEFINE(fp32, promoted, e4m3, e4m3, swap_pingpong_64x16)
