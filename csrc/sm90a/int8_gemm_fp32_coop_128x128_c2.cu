#include "int8_gemm.cuh"

GN_SM90A_INT8_DEFINE(fp32, coop_128x128_c2)
