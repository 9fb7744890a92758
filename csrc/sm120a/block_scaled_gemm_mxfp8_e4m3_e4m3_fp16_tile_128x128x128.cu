#include "block_scaled_gemm.cuh"

GN_SM120A_BLOCK_SCALED_DEFINE(mxfp8_e4m3_e4m3, fp16, tile_128x128x128)
