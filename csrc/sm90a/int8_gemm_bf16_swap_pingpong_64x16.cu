#include "int8_gemm.cuh"

GN_SM90A_INT8_DEFINE(bf16, swap_pingpong_64x16)
