#include "int8_gemm.cuh"

GN_SM90A_INT8_DEFINE(fp16, coop_128x256_c2)
