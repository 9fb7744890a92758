#include "int4_gemm.cuh"

GN_SM80_INT4_DEFINE(bf16, tile_128x256x128)
