// Attention forward on mma.sync tensor cores with 8-bit Q and K, head dim 128: the kernel the SM80
// INT8 attentions and the SM89/SM120a MXFP8 one share.
//
// Scores: INT8 Q and K multiply exactly in int32 (mma.sync m16n8k32 s8) and are scaled once by
// their per-token float32 scales; MXFP8 Q and K (E4M3 or E5M2, mma.sync m16n8k32 with float32
// accumulation, SM89+) carry one E8M0 scale per 32 channels, so each 32-deep block of the head
// dimension -- exactly one instruction's K -- is a separate product, scaled by its two block
// scales and added in float32. Softmax is online, in float32, on exp2. P @ V runs in bfloat16
// (mma.sync m16n8k16) for a bfloat16 V, or, for an INT8 V with per-channel scales, with P as
// 8-bit unsigned steps of 1/255 of the running row maximum (mma.sync m16n8k32 u8 x s8, exact
// int32 sums). One CTA takes 64 queries of one (batch, head), four warps of 16 rows each, and
// walks the keys 64 at a time through shared memory, loading the next tile with cp.async while
// it computes on this one.
#pragma once

#include <cuda_bf16.h>

#include <stdexcept>
#include <string>

#include "common/attn_params.h"
#include "common/launch_error.h"

namespace gn_kernels::attn {

namespace {

constexpr int kBlockM = 64;
constexpr int kBlockN = 64;
constexpr int kThreads = 128;
// Row pitches in shared memory, 16 bytes past the row: the 8 rows one mma.sync fragment reads
// then start in 8 different bank groups instead of one (K: 32-bit reads; V: ldmatrix rows).
constexpr int kKPitch = kD + 16;  // bytes
constexpr int kVPitch = kD + 8;   // bfloat16 elements
// An INT8 V is stored transposed, (D, keys), so that a B fragment's four keys are one 32-bit read.
constexpr int kVtPitch = kBlockN + 16;  // bytes

// Scales per token: one float32 for INT8, one E8M0 per 32 channels for MXFP8.
template <QK kQK>
constexpr int kScalesPerToken = kQK == QK::kInt8 ? 1 : kD / kMmaK;

// Dynamic shared memory: two stages of the K tile, then V (two stages of a bfloat16 tile, or one
// transposed INT8 tile), then two stages of K's scales. 55 KB for a bfloat16 V: three CTAs fit an SM.
template <QK kQK, bool kInt8V>
struct AttnSmem {
  static constexpr int kKBytes = kBlockN * kKPitch;
  static constexpr int kVOffset = 2 * kKBytes;
  static constexpr int kVStageBytes = kInt8V ? 0 : kBlockN * kVPitch * 2;
  static constexpr int kVBytes = kInt8V ? kD * kVtPitch : 2 * kVStageBytes;
  static constexpr int kScaleOffset = kVOffset + kVBytes;
  static constexpr int kBytes = kScaleOffset + 2 * kBlockN * kScalesPerToken<kQK> * 4;
};

__device__ __forceinline__ void mma_s8(int (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+r"(c[0]), "+r"(c[1]), "+r"(c[2]), "+r"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// FP8 x FP8 into float32 (SM89+); only instantiated by the MXFP8 kernels.
template <QK kQK>
__device__ __forceinline__ void mma_fp8(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  if constexpr (kQK == QK::kE4m3) {
    asm volatile(
        "mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  } else {
    asm volatile(
        "mma.sync.aligned.m16n8k32.row.col.f32.e5m2.e5m2.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  }
}

__device__ __forceinline__ void mma_bf16(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ void mma_u8s8(int (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k32.row.col.s32.u8.s8.s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+r"(c[0]), "+r"(c[1]), "+r"(c[2]), "+r"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// Four 8x8 bfloat16 matrices, transposed: the B fragments of two m16n8k16 products.
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], const void* row) {
  const auto addr = static_cast<uint32_t>(__cvta_generic_to_shared(row));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}

__device__ __forceinline__ uint32_t pack_bf16(float lo, float hi) {
  const __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<const uint32_t*>(&v);
}

__device__ __forceinline__ float quad_max(float x) {
  x = fmaxf(x, __shfl_xor_sync(0xffffffff, x, 1));
  return fmaxf(x, __shfl_xor_sync(0xffffffff, x, 2));
}

__device__ __forceinline__ float quad_sum(float x) {
  x += __shfl_xor_sync(0xffffffff, x, 1);
  return x + __shfl_xor_sync(0xffffffff, x, 2);
}

// 2^(code - 127), exactly: code 0 is the subnormal 2^-127 and 255 is NaN (OCP MX spec, E8M0).
__device__ __forceinline__ float e8m0_value(uint8_t code) {
  if (code == 255) return __int_as_float(0x7fc00000);
  return code == 0 ? __int_as_float(0x00400000) : __int_as_float(int(code) << 23);
}

// Scale `block` of a token's scales starting at `offset` (elements).
template <QK kQK>
__device__ __forceinline__ float token_scale(const void* base, int64_t offset, int block) {
  if constexpr (kQK == QK::kInt8) {
    return static_cast<const float*>(base)[offset];
  } else {
    return e8m0_value(static_cast<const uint8_t*>(base)[offset + block]);
  }
}

// 16-byte chunks of `rows` rows of `row_bytes` from global into shared memory with cp.async, rows
// past `valid` zero-filled (a source size of 0 reads nothing); the caller commits and waits.
__device__ __forceinline__ void load_tile_async(char* smem, int pitch, const char* gmem, int64_t stride,
                                                int rows, int row_bytes, int valid) {
  const int chunks = row_bytes / 16;
  for (int i = threadIdx.x; i < rows * chunks; i += kThreads) {
    const int r = i / chunks, c = i % chunks;
    const auto dst = static_cast<uint32_t>(__cvta_generic_to_shared(smem + r * pitch + c * 16));
    const char* src = gmem + (r < valid ? r * stride + c * 16 : 0);
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(r < valid ? 16 : 0));
  }
}

__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }

// Waits until at most `n` of this thread's committed groups are still in flight.
template <int n>
__device__ __forceinline__ void cp_async_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(n)); }

// Where key `key` of a 64-key tile sits among the K slots of the u8 x s8 product. A thread's P
// values come from the score tiles (keys 8j + 2 quad + {0, 1}) while an m16n8k32 A fragment
// takes slots 4 quad + {0..3} (and 16 more): the sum over K does not care which key is in which
// slot, so V's transposed tile is stored in the order the P fragments make.
__device__ __forceinline__ int v_slot(int key) {
  const int kk = key % 32;
  return key / 32 * 32 + (kk / 16) * 16 + ((kk % 8) / 2) * 4 + ((kk / 8) % 2) * 2 + kk % 2;
}

// An INT8 V tile into shared memory as (D, slots), rows past `valid` zero.
__device__ __forceinline__ void load_v_transposed(int8_t* vt, const char* gmem, int64_t stride, int valid) {
  for (int i = threadIdx.x; i < kBlockN * (kD / 16); i += kThreads) {
    const int key = i / (kD / 16), c = i % (kD / 16);
    int4 v = make_int4(0, 0, 0, 0);
    if (key < valid) v = *reinterpret_cast<const int4*>(gmem + key * stride + c * 16);
    const int8_t* bytes = reinterpret_cast<const int8_t*>(&v);
    const int slot = v_slot(key);
    for (int d = 0; d < 16; ++d) vt[(c * 16 + d) * kVtPitch + slot] = bytes[d];
  }
}

__device__ __forceinline__ uint32_t pack_u8(float a, float b, float c, float d) {
  // p in [0, 1] in steps of 1/255, rounded to nearest
  return __float2uint_rn(a * 255.f) | (__float2uint_rn(b * 255.f) << 8) | (__float2uint_rn(c * 255.f) << 16) |
         (__float2uint_rn(d * 255.f) << 24);
}

// S = Q K^T (log2 units, before masking) for a warp's 16 rows and 64 keys: eight 16x8 tiles.
// qs[r][s] is row r's scale of channel block s times scale_log2; sk_s[key][s] the key's.
template <QK kQK>
__device__ __forceinline__ void qk_scores(float (&sc)[kBlockN / 8][4], const uint32_t (&qa)[kD / kMmaK][4],
                                          const int8_t* k_s, const float (&qs)[2][kScalesPerToken<kQK>],
                                          const float (*sk_s)[kScalesPerToken<kQK>], int group, int quad) {
  for (int j = 0; j < kBlockN / 8; ++j) {
    const int8_t* kr = k_s + (j * 8 + group) * kKPitch + quad * 4;
    const int col = j * 8 + quad * 2;
    if constexpr (kQK == QK::kInt8) {
      int acc[4] = {};  // exact
      for (int s = 0; s < kD / kMmaK; ++s) {
        mma_s8(acc, qa[s], *reinterpret_cast<const uint32_t*>(kr + s * kMmaK),
               *reinterpret_cast<const uint32_t*>(kr + s * kMmaK + 16));
      }
      for (int e = 0; e < 4; ++e) sc[j][e] = float(acc[e]) * qs[e / 2][0] * sk_s[col + (e & 1)][0];
    } else {
      for (int e = 0; e < 4; ++e) sc[j][e] = 0.f;
      for (int s = 0; s < kD / kMmaK; ++s) {  // one MX block per instruction, scaled apart
        float part[4] = {};
        mma_fp8<kQK>(part, qa[s], *reinterpret_cast<const uint32_t*>(kr + s * kMmaK),
                     *reinterpret_cast<const uint32_t*>(kr + s * kMmaK + 16));
        for (int e = 0; e < 4; ++e) sc[j][e] += part[e] * qs[e / 2][s] * sk_s[col + (e & 1)][s];
      }
    }
  }
}

// Three CTAs an SM, register use capped at 168 (a few bytes spilled in the MXFP8 and INT8-V
// kernels): on the H100 (batch 4, 8 heads, 4096 x 8192, non-causal) this took attn_int8_qk from 174
// to 199 TFLOPS and attn_mxfp8_qk from 132 to 141 (it used 255 registers, two CTAs an SM).
template <QK kQK, bool kInt8V>
__global__ void __launch_bounds__(kThreads, 3) attn_kernel(const AttnParams p) {
  constexpr int kScales = kScalesPerToken<kQK>;
  using Smem = AttnSmem<kQK, kInt8V>;
  extern __shared__ __align__(16) char smem[];
  auto* sk_all = reinterpret_cast<float(*)[kBlockN][kScales]>(smem + Smem::kScaleOffset);

  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int group = lane / 4, quad = lane % 4;  // fragment row and column group
  const int b = blockIdx.y / p.heads, h = blockIdx.y % p.heads;
  const int q0 = blockIdx.x * kBlockM;
  const int8_t* q = p.q + b * p.q_stride[0] + h * p.q_stride[1];
  const char* k = reinterpret_cast<const char*>(p.k + b * p.k_stride[0] + h * p.k_stride[1]);
  const int v_size = kInt8V ? 1 : 2;
  const char* v = static_cast<const char*>(p.v) + (b * p.v_stride[0] + h * p.v_stride[1]) * v_size;
  const int64_t sk0 = b * p.sk_stride[0] + h * p.sk_stride[1];

  // This thread's two query rows, their Q fragments (A of m16n8k32, four K steps of 32) and
  // score multipliers; rows past len_q read zeros and are never stored.
  int row[2];
  uint32_t qa[kD / kMmaK][4];
  float qs[2][kScales];
  for (int i = 0; i < 2; ++i) {
    row[i] = q0 + warp * 16 + group + 8 * i;
    const bool in = row[i] < p.len_q;
    const int64_t sq = b * p.sq_stride[0] + h * p.sq_stride[1] + row[i] * p.sq_stride[2];
    for (int s = 0; s < kScales; ++s) qs[i][s] = in ? token_scale<kQK>(p.scale_q, sq, s) * p.scale_log2 : 0.f;
    const int8_t* q_row = q + (in ? row[i] : 0) * p.q_stride[2];
    for (int s = 0; s < kD / kMmaK; ++s) {
      qa[s][i] = in ? *reinterpret_cast<const uint32_t*>(q_row + s * kMmaK + quad * 4) : 0u;
      qa[s][i + 2] = in ? *reinterpret_cast<const uint32_t*>(q_row + s * kMmaK + 16 + quad * 4) : 0u;
    }
  }

  float o[kD / 8][4] = {};
  float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.f, 0.f};
  // Causal attention lets query i see keys j <= i (top-left aligned, as SDPA's is_causal).
  const int k_end = p.causal ? min(p.len_k, q0 + kBlockM) : p.len_k;
  // Tile t + 1 (K, a bfloat16 V and K's scales) loads into the other stage while tile t is
  // computed on; an INT8 V, transposed on its way in, is stored synchronously into one buffer.
  // On the H100 (the shape above) the two stages took attn_int8_qk from 199 to 230 TFLOPS and
  // attn_mxfp8_qk from 141 to 166.
  auto issue = [&](int tile_k0, int stage) {
    const int n = min(kBlockN, p.len_k - tile_k0);
    load_tile_async(smem + stage * Smem::kKBytes, kKPitch, k + tile_k0 * p.k_stride[2], p.k_stride[2], kBlockN,
                    kD, n);
    if constexpr (!kInt8V) {
      load_tile_async(smem + Smem::kVOffset + stage * Smem::kVStageBytes, kVPitch * 2,
                      v + tile_k0 * p.v_stride[2] * 2, p.v_stride[2] * 2, kBlockN, kD * 2, n);
    }
    for (int i = threadIdx.x; i < kBlockN * kScales; i += kThreads) {
      const int key = i / kScales, s = i % kScales;
      sk_all[stage][key][s] =
          key < n ? token_scale<kQK>(p.scale_k, sk0 + (tile_k0 + key) * p.sk_stride[2], s) : 0.f;
    }
  };
  issue(0, 0);  // len_k >= 1 and k_end >= 1
  cp_async_commit();
  for (int k0 = 0, stage = 0; k0 < k_end; k0 += kBlockN, stage ^= 1) {
    const int valid = min(kBlockN, p.len_k - k0);
    if (k0 + kBlockN < k_end) issue(k0 + kBlockN, stage ^ 1);
    cp_async_commit();
    cp_async_wait<1>();  // this tile's group has landed; the next one may still be in flight
    if constexpr (kInt8V) {
      load_v_transposed(reinterpret_cast<int8_t*>(smem + Smem::kVOffset), v + k0 * p.v_stride[2], p.v_stride[2],
                        valid);
    }
    __syncthreads();
    const int8_t* k_s = reinterpret_cast<const int8_t*>(smem + stage * Smem::kKBytes);
    const auto* v_s = reinterpret_cast<const __nv_bfloat16*>(smem + Smem::kVOffset + stage * Smem::kVStageBytes);
    const auto* vt_s = reinterpret_cast<const int8_t*>(smem + Smem::kVOffset);
    const float(*sk_s)[kScales] = sk_all[stage];

    float sc[kBlockN / 8][4], block_max[2] = {-INFINITY, -INFINITY};
    qk_scores<kQK>(sc, qa, k_s, qs, sk_s, group, quad);
    for (int j = 0; j < kBlockN / 8; ++j) {
      for (int e = 0; e < 4; ++e) {
        const int col = j * 8 + quad * 2 + (e & 1), r = e / 2;
        if (col >= valid || (p.causal && k0 + col > row[r])) sc[j][e] = -INFINITY;
        block_max[r] = fmaxf(block_max[r], sc[j][e]);
      }
    }
    float alpha[2], base[2];
    for (int r = 0; r < 2; ++r) {
      const float m_new = fmaxf(m[r], quad_max(block_max[r]));
      base[r] = m_new == -INFINITY ? 0.f : m_new;  // a row with no key yet: exp2(-inf) = 0
      alpha[r] = exp2f(m[r] - base[r]);
      m[r] = m_new;
      l[r] *= alpha[r];
    }
    for (int n = 0; n < kD / 8; ++n) {
      for (int e = 0; e < 4; ++e) o[n][e] *= alpha[e / 2];
    }
    for (int j = 0; j < kBlockN / 8; ++j) {
      for (int e = 0; e < 4; ++e) {
        sc[j][e] = exp2f(sc[j][e] - base[e / 2]);  // now P, unnormalized
        l[e / 2] += sc[j][e];
      }
    }
    if constexpr (kInt8V) {
      uint32_t pa[kBlockN / 32][4];  // P as u8 A fragments of m16n8k32 (slots: see v_slot)
      for (int t = 0; t < kBlockN / 32; ++t) {
        for (int r = 0; r < 2; ++r) {
          const float* a = sc[4 * t], *b2 = sc[4 * t + 1], *c = sc[4 * t + 2], *d = sc[4 * t + 3];
          pa[t][r] = pack_u8(a[2 * r], a[2 * r + 1], b2[2 * r], b2[2 * r + 1]);
          pa[t][r + 2] = pack_u8(c[2 * r], c[2 * r + 1], d[2 * r], d[2 * r + 1]);
        }
      }
      for (int n = 0; n < kD / 8; ++n) {
        int acc_pv[4] = {};
        for (int t = 0; t < kBlockN / 32; ++t) {
          const int8_t* vr = vt_s + (n * 8 + group) * kVtPitch + t * 32 + quad * 4;
          mma_u8s8(acc_pv, pa[t], *reinterpret_cast<const uint32_t*>(vr), *reinterpret_cast<const uint32_t*>(vr + 16));
        }
        for (int e = 0; e < 4; ++e) o[n][e] += float(acc_pv[e]) * (1.f / 255.f);
      }
    } else {
      uint32_t pa[kBlockN / 16][4];  // P as the A fragments of m16n8k16, 16 keys each
      for (int j = 0; j < kBlockN / 8; ++j) {
        pa[j / 2][(j % 2) * 2] = pack_bf16(sc[j][0], sc[j][1]);
        pa[j / 2][(j % 2) * 2 + 1] = pack_bf16(sc[j][2], sc[j][3]);
      }
      // O += P V: V's B fragments by transposing ldmatrix from its row-major tile.
      for (int t = 0; t < kBlockN / 16; ++t) {
        const int key = t * 16 + (lane % 8) + ((lane / 8) % 2) * 8;
        for (int n = 0; n < kD / 16; ++n) {
          uint32_t vb[4];
          ldmatrix_x4_trans(vb, v_s + key * kVPitch + n * 16 + (lane / 16) * 8);
          mma_bf16(o[2 * n], pa[t], vb[0], vb[1]);
          mma_bf16(o[2 * n + 1], pa[t], vb[2], vb[3]);
        }
      }
    }
    __syncthreads();  // every warp is done with this stage before the next iteration loads into it
  }

  for (int r = 0; r < 2; ++r) {
    if (row[r] >= p.len_q) continue;
    const float inv = 1.f / quad_sum(l[r]);
    __nv_bfloat16* out = p.out + b * p.o_stride[0] + h * p.o_stride[1] + row[r] * p.o_stride[2];
    const float* sv = p.scale_v + b * p.sv_stride[0] + h * p.sv_stride[1];
    for (int n = 0; n < kD / 8; ++n) {
      const int d = n * 8 + quad * 2;
      const float s0 = kInt8V ? sv[d] * inv : inv, s1 = kInt8V ? sv[d + 1] * inv : inv;
      *reinterpret_cast<uint32_t*>(out + d) = pack_bf16(o[n][2 * r] * s0, o[n][2 * r + 1] * s1);
    }
  }
}

// Launches one instance on `stream` (host-side calls only, no sync).
template <QK kQK, bool kInt8V>
void launch_attn_kernel(const char* op, const AttnParams& p, cudaStream_t stream) {
  const dim3 grid((p.len_q + kBlockM - 1) / kBlockM, p.batch * p.heads);
  constexpr int smem = AttnSmem<kQK, kInt8V>::kBytes;
  // Above 48 KB a kernel must opt in, on each device it runs on; a failure here is the launch's
  // error too, which check_launched reports.
  cudaFuncSetAttribute(attn_kernel<kQK, kInt8V>, cudaFuncAttributeMaxDynamicSharedMemorySize, smem);
  attn_kernel<kQK, kInt8V><<<grid, kThreads, smem, stream>>>(p);
  check_launched(op);
}

[[noreturn]] void not_built(const char* op, const char* built) {
  throw std::invalid_argument(std::string(op) + ": this extension builds the attention for " + built + " only");
}

}  // namespace

}  // namespace gn_kernels::attn
