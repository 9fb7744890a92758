"""Triton attention (forward) as torch custom ops.

``triton_attn(q, k, v, causal=False)``: q (batch, heads, len_q, D), k and v (batch, kv_heads,
len_kv, D), bfloat16 or float16, kv_heads dividing heads (grouped-query attention), D a multiple
of 16 up to 256; softmax(q k^T / sqrt(D)) v in float32 with an online softmax, out like q in v's
dtype. ``causal`` lets query i see keys j <= i, as ``F.scaled_dot_product_attention(is_causal=True)``.

``triton_scaled_qk_attn(q, k, v, scale_q, scale_k, causal=False)``: q and k int8 or FP8 (one
dtype) with float32 per-token scales scale_q (batch, heads, len_q) and scale_k (batch, kv_heads,
len_kv); the scores are (q k^T) * scale_q[i] * scale_k[j] / sqrt(D); v bfloat16 or float16.
scale_q must be >= 0, as a quantizer makes it (the kernels fold it into the softmax's exponent,
which needs its sign): a zero scale gives its row uniform weights over the keys it sees, a negative
or NaN one a row of NaN. scale_k takes any value.

Both need the last dimension of q, k and v contiguous, len_kv >= 1, and run on CUDA tensors (or
CPU ones under TRITON_INTERPRET=1).
"""

from __future__ import annotations

import torch
from torch import Tensor

from . import checks

V_DTYPES = (torch.bfloat16, torch.float16)
QK_QUANTIZED = (torch.int8, torch.float8_e4m3fn, torch.float8_e5m2)


def _check_attn(op: str, q: Tensor, k: Tensor, v: Tensor, qk_dtypes) -> None:
    for name, t in (("q", q), ("k", k), ("v", v)):
        checks.check_triton_device(op, name, t)
        checks.check_ndim(op, name, t, 4)
        if t.shape[-1] > 1 and t.stride(-1) != 1:
            raise ValueError(f"{op}: {name} must have a contiguous last dimension; got strides {t.stride()}")
    checks.check_same_device(op, q=q, k=k, v=v)
    checks.check_dtype(op, "q", q, qk_dtypes)
    checks.check_dtype(op, "k", k, [q.dtype])
    checks.check_dtype(op, "v", v, V_DTYPES)
    (B, H, _, D), (Bk, Hkv, Lk, Dk) = q.shape, k.shape
    if (Bk, Dk) != (B, D) or tuple(v.shape) != tuple(k.shape):
        raise ValueError(f"{op}: k and v must have shape (batch, kv_heads, len_kv, D) with q's batch and D; "
                         f"got q {tuple(q.shape)}, k {tuple(k.shape)}, v {tuple(v.shape)}")
    if Hkv == 0 or H % Hkv:
        raise ValueError(f"{op}: kv_heads ({Hkv}) must divide heads ({H})")
    if D % 16 or not 16 <= D <= 256:
        raise ValueError(f"{op}: D must be a multiple of 16 from 16 to 256; got {D}")
    if Lk == 0:
        raise ValueError(f"{op}: len_kv must be at least 1: softmax over no keys is undefined")


def _check_token_scales(op: str, q: Tensor, k: Tensor, scale_q: Tensor, scale_k: Tensor) -> None:
    for name, s, like in (("scale_q", scale_q, q), ("scale_k", scale_k, k)):
        checks.check_dtype(op, name, s, [torch.float32])
        checks.check_same_device(op, q=q, **{name: s})
        if tuple(s.shape) != tuple(like.shape[:3]) or (s.shape[-1] > 1 and s.stride(-1) != 1):
            raise ValueError(f"{op}: {name} must be a float32 (batch, heads, len) = {tuple(like.shape[:3])} tensor "
                             f"with len contiguous; got shape {tuple(s.shape)}, strides {s.stride()}")


def _run(q, k, v, causal, scale_q=None, scale_k=None) -> Tensor:
    out = torch.empty(q.shape, dtype=v.dtype, device=q.device)
    if out.numel():
        from .triton_attention_kernels import attention

        attention(q, k, v, out, causal, scale_q, scale_k)
    return out


@torch.library.custom_op("gn_kernels::triton_attn", mutates_args=())
def triton_attn(q: Tensor, k: Tensor, v: Tensor, causal: bool = False) -> Tensor:
    """softmax(q k^T / sqrt(D)) v; see the module docstring."""
    _check_attn("triton_attn", q, k, v, V_DTYPES)
    return _run(q, k, v, causal)


@triton_attn.register_fake
def _(q, k, v, causal=False):
    _check_attn("triton_attn", q, k, v, V_DTYPES)
    return q.new_empty(q.shape, dtype=v.dtype)


@torch.library.custom_op("gn_kernels::triton_scaled_qk_attn", mutates_args=())
def triton_scaled_qk_attn(q: Tensor, k: Tensor, v: Tensor, scale_q: Tensor, scale_k: Tensor,
                          causal: bool = False) -> Tensor:
    """softmax((q k^T) * scale_q scale_k / sqrt(D)) v with quantized q and k; see the module docstring."""
    _check_attn("triton_scaled_qk_attn", q, k, v, QK_QUANTIZED)
    _check_token_scales("triton_scaled_qk_attn", q, k, scale_q, scale_k)
    return _run(q, k, v, causal, scale_q, scale_k)


@triton_scaled_qk_attn.register_fake
def _(q, k, v, scale_q, scale_k, causal=False):
    _check_attn("triton_scaled_qk_attn", q, k, v, QK_QUANTIZED)
    _check_token_scales("triton_scaled_qk_attn", q, k, scale_q, scale_k)
    return q.new_empty(q.shape, dtype=v.dtype)
