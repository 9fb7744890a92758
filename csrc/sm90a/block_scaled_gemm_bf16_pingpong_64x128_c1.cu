#include "block_scaled_gemm.cuh"

GN_SM90A_BLOCK_SCALED_DEFINE(bf16, pingpong_64x128_c1)
