#include "int8_gemm.cuh"

GN_SM90A_INT8_DEFINE(fp16, swap_pingpong_64x16)
