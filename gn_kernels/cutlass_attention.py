"""Quantized attention (forward) on mma.sync GPUs, as torch custom ops (the kernel in
csrc/sm80/attn_kernel.cuh, built into the SM80 family for INT8 and the SM89 and SM120a families
for MXFP8).

``attn_int8_qk(Q, K, V, scale_Q, scale_K, causal=False)``: Q (batch, heads, len_q, 128) and K
(batch, heads, len_kv, 128) int8 with float32 per-token scales scale_Q (batch, heads, len_q) and
scale_K (batch, heads, len_kv), as ``quantize_int8_rowwise`` makes them (its (..., 1) scales
squeezed); V (batch, heads, len_kv, 128) bfloat16. Scores (Q K^T) * scale_Q[i] * scale_K[j] /
sqrt(128), exact in int32 before scaling; softmax in float32; P V in bfloat16 with float32
sums; out bfloat16 like Q. ``causal`` lets query i see keys j <= i, as
``F.scaled_dot_product_attention(is_causal=True)``. Rows must have a contiguous last dimension
and start on 16-byte boundaries (any strides of 16-byte multiples); len_kv >= 1.

``attn_int8(Q, K, V, scale_Q, scale_K, scale_V, causal=False)``: the same with V int8 too and
scale_V float32 (batch, heads, 128), one scale per channel of V (quantize V (batch, heads,
len_kv, 128) over len_kv: amax over tokens / 127). The output is softmax(scores) (V * scale_V);
P enters its product as 8-bit steps of 1/255 of the running row maximum (u8 x s8 tensor cores,
exact int32 sums), which bounds its error by 1/510 of sum_j |v_j| / sum_j exp(S_j - max S).

``attn_mxfp8_qk(Q, K, V, scale_Q, scale_K, causal=False, backend="auto")``: MXFP8 Q and K (both
float8_e4m3fn or both float8_e5m2) with float8_e8m0fnu scales (batch, heads, len, 4), one per 32
channels, as ``quantize_mx(x, dtype)`` makes them from a (batch, heads, len, 128) tensor; V
bfloat16. Each 32-channel block of Q K^T is one FP8 tensor-core product (float32 sums), scaled by
its two block scales and added in float32; the rest is as ``attn_int8_qk``. A NaN scale (E8M0 code
255) or a NaN element makes the scores it touches NaN, and so the rows that see them. Runs on
SM89 and newer: the SM120a family on compute capability 12.0, else the SM89 one (on the H100
through PTX); ``backend="89"`` or ``"120a"`` forces one. SM120's block-scaled MMA could take the
scales in the instruction; this kernel applies them in registers, four multiply-adds per score,
the same code on every GPU it runs on, so the H100 tests the SM120a build's arithmetic.
"""

from __future__ import annotations

import torch
from torch import Tensor

from . import checks
from .dispatch import check_backend, kernel_module
from .quant.formats import MX_BLOCK

HEAD_DIM = 128


def _check_rows(op: str, name: str, t: Tensor) -> None:
    checks.check_cuda(op, name, t)
    checks.check_ndim(op, name, t, 4)
    size = t.element_size()
    # A dimension of size 1 is never stepped along, whatever its stride.
    steps = [s for s, n in zip(t.stride()[:3], t.shape[:3]) if n > 1]
    if t.stride(-1) != 1 or any(s * size % 16 for s in steps) or t.storage_offset() * size % 16:
        raise ValueError(f"{op}: {name} must have a contiguous last dimension and rows starting on 16-byte "
                         f"boundaries; got strides {t.stride()} and storage offset {t.storage_offset()}")


def _check_qkv(op, Q, K, V, qk_dtypes, v_dtype) -> None:
    for name, t in (("Q", Q), ("K", K), ("V", V)):
        _check_rows(op, name, t)
    checks.check_dtype(op, "Q", Q, qk_dtypes)
    checks.check_dtype(op, "K", K, [Q.dtype])
    checks.check_dtype(op, "V", V, [v_dtype])
    B, H, _, D = Q.shape
    if D != HEAD_DIM or tuple(K.shape[:2]) != (B, H) or K.shape[3] != D or tuple(V.shape) != tuple(K.shape):
        raise ValueError(f"{op}: Q must be (batch, heads, len_q, 128) and K, V (batch, heads, len_kv, 128) with "
                         f"Q's batch and heads; got Q {tuple(Q.shape)}, K {tuple(K.shape)}, V {tuple(V.shape)}")
    if K.shape[2] == 0:
        raise ValueError(f"{op}: len_kv must be at least 1: softmax over no keys is undefined")


def _check_attn_int8_qk(op, Q, K, V, scale_Q, scale_K, v_dtype=torch.bfloat16) -> None:
    _check_qkv(op, Q, K, V, [torch.int8], v_dtype)
    checks.check_same_device(op, Q=Q, K=K, V=V, scale_Q=scale_Q, scale_K=scale_K)
    for name, s, like in (("scale_Q", scale_Q, Q), ("scale_K", scale_K, K)):
        checks.check_dtype(op, name, s, [torch.float32])
        if tuple(s.shape) != tuple(like.shape[:3]) or (s.shape[-1] > 1 and s.stride(-1) != 1):
            raise ValueError(f"{op}: {name} must be a float32 (batch, heads, len) = {tuple(like.shape[:3])} tensor "
                             f"with len contiguous; got shape {tuple(s.shape)}, strides {s.stride()}")


@torch.library.custom_op("gn_kernels::attn_int8_qk", mutates_args=())
def attn_int8_qk(Q: Tensor, K: Tensor, V: Tensor, scale_Q: Tensor, scale_K: Tensor, causal: bool = False) -> Tensor:
    """Attention with INT8 Q and K and bfloat16 V, head dim 128 (see the module docstring)."""
    _check_attn_int8_qk("attn_int8_qk", Q, K, V, scale_Q, scale_K)
    out = torch.empty(Q.shape, dtype=torch.bfloat16, device=Q.device)
    kernel_module("attn_int8_qk", Q.device).attn_int8_qk(Q, K, V, scale_Q, scale_K, out, causal)
    return out


@attn_int8_qk.register_fake
def _(Q, K, V, scale_Q, scale_K, causal=False):
    _check_attn_int8_qk("attn_int8_qk", Q, K, V, scale_Q, scale_K)
    return torch.empty(Q.shape, dtype=torch.bfloat16, device=Q.device)


def _check_attn_int8(op, Q, K, V, scale_Q, scale_K, scale_V) -> None:
    _check_attn_int8_qk(op, Q, K, V, scale_Q, scale_K, torch.int8)
    checks.check_same_device(op, Q=Q, scale_V=scale_V)
    checks.check_dtype(op, "scale_V", scale_V, [torch.float32])
    shape = (*Q.shape[:2], HEAD_DIM)
    if tuple(scale_V.shape) != shape or scale_V.stride(-1) != 1:
        raise ValueError(f"{op}: scale_V must be a float32 (batch, heads, 128) = {shape} tensor, one scale per "
                         f"channel of V, with the channel contiguous; got shape {tuple(scale_V.shape)}")


@torch.library.custom_op("gn_kernels::attn_int8", mutates_args=())
def attn_int8(Q: Tensor, K: Tensor, V: Tensor, scale_Q: Tensor, scale_K: Tensor, scale_V: Tensor,
              causal: bool = False) -> Tensor:
    """Attention with INT8 Q, K and V, head dim 128 (see the module docstring)."""
    _check_attn_int8("attn_int8", Q, K, V, scale_Q, scale_K, scale_V)
    out = torch.empty(Q.shape, dtype=torch.bfloat16, device=Q.device)
    kernel_module("attn_int8", Q.device).attn_int8(Q, K, V, scale_Q, scale_K, scale_V, out, causal)
    return out


@attn_int8.register_fake
def _(Q, K, V, scale_Q, scale_K, scale_V, causal=False):
    _check_attn_int8("attn_int8", Q, K, V, scale_Q, scale_K, scale_V)
    return torch.empty(Q.shape, dtype=torch.bfloat16, device=Q.device)


def _check_attn_mxfp8_qk(op, Q, K, V, scale_Q, scale_K, backend) -> None:
    check_backend(op, backend)
    _check_qkv(op, Q, K, V, [torch.float8_e4m3fn, torch.float8_e5m2], torch.bfloat16)
    checks.check_same_device(op, Q=Q, K=K, V=V, scale_Q=scale_Q, scale_K=scale_K)
    for name, s, like in (("scale_Q", scale_Q, Q), ("scale_K", scale_K, K)):
        checks.check_dtype(op, name, s, [torch.float8_e8m0fnu])
        shape = (*like.shape[:3], HEAD_DIM // MX_BLOCK)
        if tuple(s.shape) != shape or s.stride(-1) != 1:
            raise ValueError(f"{op}: {name} must be a float8_e8m0fnu (batch, heads, len, 4) = {shape} tensor, one "
                             f"scale per 32 channels, with the 4 contiguous; got shape {tuple(s.shape)}, "
                             f"strides {s.stride()}")


@torch.library.custom_op("gn_kernels::attn_mxfp8_qk", mutates_args=())
def attn_mxfp8_qk(Q: Tensor, K: Tensor, V: Tensor, scale_Q: Tensor, scale_K: Tensor, causal: bool = False,
                  backend: str = "auto") -> Tensor:
    """Attention with MXFP8 Q and K and bfloat16 V, head dim 128 (see the module docstring)."""
    _check_attn_mxfp8_qk("attn_mxfp8_qk", Q, K, V, scale_Q, scale_K, backend)
    out = torch.empty(Q.shape, dtype=torch.bfloat16, device=Q.device)
    kernel_module("attn_mxfp8_qk", Q.device, backend).attn_mxfp8_qk(Q, K, V, scale_Q, scale_K, out, causal)
    return out


@attn_mxfp8_qk.register_fake
def _(Q, K, V, scale_Q, scale_K, causal=False, backend="auto"):
    _check_attn_mxfp8_qk("attn_mxfp8_qk", Q, K, V, scale_Q, scale_K, backend)
    return torch.empty(Q.shape, dtype=torch.bfloat16, device=Q.device)
