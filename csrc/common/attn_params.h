// What the mma.sync attention kernel (csrc/sm80/attn_kernel.cuh) takes from the host. Torch-free,
// so that the .cu files that build it include no torch header: with ATen, sm80's took nvcc 62 s
// of one core, 53 of them for ATen alone; without, 5.4 s, and the tensor checks that fill these
// parameters (common/attn_args.h) 33 s of g++ (nvcc 13.0, 2026-12-07).
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime_api.h>

#include <cstdint>

namespace gn_kernels::attn {

constexpr int kD = 128;    // the head dimension the kernel is written for
constexpr int kMmaK = 32;  // K of one 8-bit m16n8k32 instruction, and the MX block size

// What Q and K hold, and so how scores are formed and scaled.
enum class QK { kInt8, kE4m3, kE5m2 };

struct AttnParams {
  const int8_t* q;  // 8-bit codes: int8, E4M3 or E5M2
  const int8_t* k;
  const void* v;  // bfloat16, or int8 with scale_v
  const void* scale_q;  // float32 (B, H, L), or E8M0 bytes (B, H, L, 4) with the last dim contiguous
  const void* scale_k;
  const float* scale_v;  // (B, H, D): one scale per channel of V
  __nv_bfloat16* out;
  int64_t q_stride[3], k_stride[3], v_stride[3], o_stride[3];  // batch, head, token (elements)
  int64_t sq_stride[3], sk_stride[3];                          // batch, head, token (elements)
  int64_t sv_stride[2];                                        // batch, head (channel contiguous)
  int heads, len_q, len_k;
  float scale_log2;  // 1/sqrt(D) * log2(e): the softmax runs on exp2
  bool causal;
  // Host side only, placed last so that the kernel's parameter offsets (and SASS) stay as they
  // were before these were added.
  int batch;
  QK qk;        // picks the kernel instance, with int8_v
  bool int8_v;  // V int8 with scale_v, else bfloat16
};

using LaunchAttn = void (*)(const char* op, const AttnParams& p, cudaStream_t stream);

}  // namespace gn_kernels::attn

// The attention each extension builds, launched on `stream`. Each throws std::invalid_argument
// for the Q/K codes or V it does not build: INT8 Q and K (either V) in SM80, MXFP8 Q and K with a
// bfloat16 V in SM89 and SM120a.
namespace gn_kernels::sm80 {
void launch_attn(const char* op, const attn::AttnParams& p, cudaStream_t stream);
}
namespace gn_kernels::sm89 {
void launch_attn(const char* op, const attn::AttnParams& p, cudaStream_t stream);
}
namespace gn_kernels::sm120a {
void launch_attn(const char* op, const attn::AttnParams& p, cudaStream_t stream);
}
