#include "block_scaled_gemm.cuh"

GN_SM120A_BLOCK_SCALED_DEFINE(nvfp4, fp32, tile_128x128x128)
