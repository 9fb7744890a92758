// Reports a failed kernel launch as std::runtime_error, which reaches Python as RuntimeError as a
// TORCH_CHECK would. Torch-free, for the files that include no torch header (scaled_mm_args.h).
#pragma once

#include <cuda_runtime_api.h>

#include <stdexcept>
#include <string>

namespace gn_kernels {

inline void check_launched(const char* op) {
  const cudaError_t error = cudaGetLastError();
  if (error != cudaSuccess) {
    throw std::runtime_error(std::string(op) + ": kernel launch failed: " +
                             cudaGetErrorString(error));
  }
}

}  // namespace gn_kernels
