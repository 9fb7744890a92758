#include "block_scaled_gemm.cuh"

GN_SM90A_BLOCK_SCALED_DEFINE(fp16, pingpong_64x128_c1)
