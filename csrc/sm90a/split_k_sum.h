// Split-K's second pass, for the GEMMs that cut K into slices (see ScaledMmArgs::splits).
// Torch-free, as the kernel-instance files are (scaled_mm_args.h says why).
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace gn_kernels::sm90a {

enum class SliceSumOut { bf16, fp16, fp32 };

// out (M, N) = the sum over slices of partial (splits, M, N), + bias (N) when not null, rounded
// once to out's type; partial and bias float32, partial 16-byte aligned, N a multiple of 4.
// Throws std::runtime_error when the launch fails.
void sum_k_slices(const float* partial, int splits, int64_t M, int N, const float* bias,
                  void* out, SliceSumOut out_type, cudaStream_t stream);

}  // namespace gn_kernels::sm90a
