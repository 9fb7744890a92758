#include "fp8_gemm.cuh"

GN_SM90A_FP8_DEFINE(fp16, promoted, e4m3, e4m3, coop_128x192_c2)
