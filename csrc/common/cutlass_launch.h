// Host helpers shared by every family: run a CUTLASS device-level GEMM on
// torch's current stream, with its workspace taken from torch's allocator so
// that the call is CUDA-graph safe (no cudaMalloc, no host sync).
#pragma once

#include <ATen/ATen.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cutlass/cutlass.h>

namespace gn_kernels {

inline void check_cutlass(cutlass::Status status, const char* op, const char* stage) {
  TORCH_CHECK(status == cutlass::Status::kSuccess, op, ": CUTLASS ", stage,
              " failed: ", cutlassGetStatusString(status));
}

// The multiprocessor count is read once per device: persistent tile
// schedulers size their grid from it, and the query costs a driver call.
int multiprocessor_count(int device);

template <class Gemm>
void run_cutlass_gemm(const typename Gemm::Arguments& args, const at::Tensor& like,
                      const char* op) {
  c10::cuda::CUDAGuard guard(like.device());
  Gemm gemm;
  check_cutlass(gemm.can_implement(args), op, "can_implement");
  const size_t workspace_bytes = Gemm::get_workspace_size(args);
  at::Tensor workspace =
      at::empty({static_cast<int64_t>(workspace_bytes)}, like.options().dtype(at::kByte));
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream(like.get_device()).stream();
  check_cutlass(gemm.initialize(args, workspace.data_ptr(), stream), op, "initialize");
  check_cutlass(gemm.run(stream), op, "run");
  C10_CUDA_KERNEL_LAUNCH_CHECK();
}

}  // namespace gn_kernels
