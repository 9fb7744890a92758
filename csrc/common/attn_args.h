// The torch side of AttnParams: the attention ops' tensors checked again (the Python ops check
// them first), so that a direct call into an extension cannot read or write out of bounds, and
// the launch on torch's current stream.
#pragma once

#include <ATen/ATen.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include <cmath>

#include "attn_params.h"

namespace gn_kernels::attn {

inline void check_rows(const char* op, const at::Tensor& t) {
  TORCH_CHECK(t.dim() == 4 && t.size(3) == kD && t.stride(3) == 1 &&
                  reinterpret_cast<uintptr_t>(t.data_ptr()) % 16 == 0,
              op, ": (B, H, L, 128) tensors with contiguous rows starting on 16-byte boundaries expected");
  for (int i = 0; i < 3; ++i) {  // a dimension of size 1 is never stepped along
    TORCH_CHECK(t.size(i) == 1 || (t.stride(i) * t.element_size()) % 16 == 0, op,
                ": every row must start on a 16-byte boundary");
  }
}

// Per-token scales of `like` (B, H, L, D): float32 (B, H, L) with L contiguous, or E8M0
// (B, H, L, 4) with the blocks contiguous.
inline void check_token_scales(const char* op, QK qk, const at::Tensor& s, const at::Tensor& like) {
  if (qk == QK::kInt8) {
    TORCH_CHECK(s.scalar_type() == at::kFloat && s.sizes() == like.sizes().slice(0, 3) &&
                    (s.size(2) == 1 || s.stride(2) == 1),
                op, ": float32 (B, H, L) scales with L contiguous expected");
  } else {
    TORCH_CHECK(s.scalar_type() == at::kFloat8_e8m0fnu && s.dim() == 4 &&
                    s.sizes().slice(0, 3) == like.sizes().slice(0, 3) && s.size(3) == kD / kMmaK && s.stride(3) == 1,
                op, ": float8_e8m0fnu (B, H, L, 4) scales with the 4 blocks contiguous expected");
  }
}

inline at::ScalarType qk_dtype(QK qk) {
  if (qk == QK::kInt8) return at::kChar;
  return qk == QK::kE4m3 ? at::kFloat8_e4m3fn : at::kFloat8_e5m2;
}

// MXFP8 q picks E5M2 codes or, for any other dtype, E4M3 (whose check then names what is wrong).
inline QK mxfp8_codes(const at::Tensor& q) {
  return q.scalar_type() == at::kFloat8_e5m2 ? QK::kE5m2 : QK::kE4m3;
}

inline void copy_strides(int64_t (&dst)[3], const at::Tensor& t) {
  for (int i = 0; i < 3; ++i) dst[i] = t.stride(i);
}

// Checks every argument and launches on the current stream; scale_v is given exactly when v is INT8.
inline void launch_checked(const char* op, QK qk, const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                           const at::Tensor& scale_q, const at::Tensor& scale_k, const at::Tensor* scale_v,
                           const at::Tensor& out, bool causal, LaunchAttn launch) {
  const bool int8_v = scale_v != nullptr;
  for (const at::Tensor* t : {&q, &k, &v, &out}) check_rows(op, *t);
  TORCH_CHECK(q.scalar_type() == qk_dtype(qk) && k.scalar_type() == qk_dtype(qk) &&
                  out.scalar_type() == at::kBFloat16 && v.scalar_type() == (int8_v ? at::kChar : at::kBFloat16),
              op, ": q and k of ", c10::toString(qk_dtype(qk)), ", ", int8_v ? "int8" : "bfloat16",
              " v and a bfloat16 out expected");
  TORCH_CHECK(k.sizes() == v.sizes() && out.sizes() == q.sizes() && k.size(0) == q.size(0) &&
                  k.size(1) == q.size(1) && k.size(2) >= 1,
              op, ": q (B, H, Lq, 128), k and v (B, H, Lk >= 1, 128) expected");
  check_token_scales(op, qk, scale_q, q);
  check_token_scales(op, qk, scale_k, k);
  if (int8_v) {
    TORCH_CHECK(scale_v->scalar_type() == at::kFloat && scale_v->sizes() == at::IntArrayRef({q.size(0), q.size(1), kD}) &&
                    scale_v->stride(2) == 1,
                op, ": float32 (B, H, 128) scale_v with the channel contiguous expected");
  }
  if (q.numel() == 0) return;
  AttnParams p{static_cast<const int8_t*>(q.data_ptr()), static_cast<const int8_t*>(k.data_ptr()), v.data_ptr(),
               scale_q.data_ptr(), scale_k.data_ptr(), int8_v ? scale_v->data_ptr<float>() : nullptr,
               reinterpret_cast<__nv_bfloat16*>(out.data_ptr())};
  copy_strides(p.q_stride, q);
  copy_strides(p.k_stride, k);
  copy_strides(p.v_stride, v);
  copy_strides(p.o_stride, out);
  copy_strides(p.sq_stride, scale_q);
  copy_strides(p.sk_stride, scale_k);
  if (int8_v) p.sv_stride[0] = scale_v->stride(0), p.sv_stride[1] = scale_v->stride(1);
  p.batch = q.size(0), p.heads = q.size(1), p.len_q = q.size(2), p.len_k = k.size(2);
  p.scale_log2 = static_cast<float>(M_LOG2E / std::sqrt(double(kD)));
  p.causal = causal;
  p.qk = qk;
  p.int8_v = int8_v;
  c10::cuda::CUDAGuard guard(q.device());
  launch(op, p, c10::cuda::getCurrentCUDAStream(q.get_device()).stream());
}

}  // namespace gn_kernels::attn
