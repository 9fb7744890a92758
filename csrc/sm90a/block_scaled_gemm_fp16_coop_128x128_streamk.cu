#include "block_scaled_gemm.cuh"

GN_SM90A_BLOCK_SCALED_DEFINE(fp16, coop_128x128_streamk)
