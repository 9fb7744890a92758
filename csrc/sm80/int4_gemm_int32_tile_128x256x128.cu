#include "int4_gemm.cuh"

GN_SM80_INT4_DEFINE(int32, tile_128x256x128)
