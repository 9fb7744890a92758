#include "int8_gemm.cuh"

GN_SM90A_INT8_DEFINE(fp16, pingpong_64x128_c1)
