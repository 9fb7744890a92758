#include "cutlass_launch.h"

#include <array>
#include <atomic>
#include <string>

namespace gn_kernels {

int multiprocessor_count(int device) {
  static std::array<std::atomic<int>, 64> cache{};
  TORCH_CHECK(device >= 0 && device < static_cast<int>(cache.size()), "device index ",
              std::to_string(device), " out of range");
  int count = cache[device].load(std::memory_order_relaxed);
  if (count == 0) {
    C10_CUDA_CHECK(cudaDeviceGetAttribute(&count, cudaDevAttrMultiProcessorCount, device));
    cache[device].store(count, std::memory_order_relaxed);
  }
  return count;
}

}  // namespace gn_kernels
