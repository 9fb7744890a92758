#include "int8_gemm.cuh"

GN_SM90A_INT8_DEFINE_EXACT(coop_128x256_c2)
