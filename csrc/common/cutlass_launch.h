// Runs a CUTLASS device-level GEMM as ScaledMmArgs::launch says: on torch's current stream,
// with its workspace from torch's allocator. Torch-free (see scaled_mm_args.h): failures are
// std::runtime_error, which reaches Python as RuntimeError as a TORCH_CHECK would.
#pragma once

#include <cutlass/cutlass.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "launch_error.h"
#include "scaled_mm_args.h"

namespace gn_kernels {

inline void check_cutlass(cutlass::Status status, const char* op, const char* stage) {
  if (status != cutlass::Status::kSuccess) {
    throw std::runtime_error(std::string(op) + ": CUTLASS " + stage +
                             " failed: " + cutlassGetStatusString(status));
  }
}

template <class Gemm>
void run_cutlass_gemm(const typename Gemm::Arguments& args, const Launch& launch, const char* op) {
  Gemm gemm;
  check_cutlass(gemm.can_implement(args), op, "can_implement");
  const std::unique_ptr<void, void (*)(void*)> workspace(
      launch.allocate(Gemm::get_workspace_size(args), launch.stream), launch.release);
  check_cutlass(gemm.initialize(args, workspace.get(), launch.stream), op, "initialize");
  check_cutlass(gemm.run(launch.stream), op, "run");
  check_launched(op);
}

}  // namespace gn_kernels
