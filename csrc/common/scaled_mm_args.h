// Arguments of every family's GEMM instances, in plain types. The translation units that
// instantiate CUTLASS templates include this header and no torch one: parsing and compiling
// ATen's headers cost 70 s of one core per .cu file (nvcc --time on the 2-core build machine,
// 2026-12-07), as much as a whole SM90a FP8 kernel's own 73 s. The torch side, which fills
// these from tensors, is checked_args.h.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace gn_kernels {

// Where an instance runs: torch's current device and stream, and device memory from torch's
// caching allocator for CUTLASS's workspace (no cudaMalloc, no host sync: CUDA-graph safe).
// The allocator is stream-ordered, so the workspace can be released as soon as the kernel is
// queued. Plain function pointers, as the launch sits on every call's path: the std::function
// that held the workspace tensor took two heap allocations a call.
struct Launch {
  int device = 0;
  int sm_count = 0;
  cudaStream_t stream = nullptr;
  void* (*allocate)(size_t bytes, cudaStream_t stream) = nullptr;
  void (*release)(void* memory) = nullptr;
};

// out = scale_A * (A @ B * scale_B) + bias, A (M, K) row-major, B (K, N) column-major; scales
// float32 with M (N) values or one value (the *_vector flags tell which), bias float32 (N);
// an absent (null) scale is 1, an absent bias 0. K counts A's stored columns: bytes for the
// packed 4-bit formats, whose instances unpack it.
struct ScaledMmArgs {
  const void* A = nullptr;
  const void* B = nullptr;
  const float* scale_A = nullptr;
  const float* scale_B = nullptr;
  const float* bias = nullptr;
  bool scale_A_vector = false;
  bool scale_B_vector = false;
  void* out = nullptr;
  int M = 0, N = 0, K = 0;
  int max_swizzle = 1;  // tiles a persistent CTA walks along one side before the other
  // Split-K: K is cut into this many equal slices, run as a batch into out (splits, M, N).
  int splits = 1;
  Launch launch;
};

}  // namespace gn_kernels
