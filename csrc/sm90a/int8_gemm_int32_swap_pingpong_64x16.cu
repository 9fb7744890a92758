#include "int8_gemm.cuh"

GN_SM90A_INT8_DEFINE_EXACT(swap_pingpong_64x16)
