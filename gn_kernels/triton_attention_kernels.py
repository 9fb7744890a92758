"""The Triton attention kernel behind gn_kernels.triton_attention (which holds the checks and schemas):
a flash-attention forward pass, online softmax in float32, optionally with quantized Q and K."""

from __future__ import annotations

import math

import torch
import triton
import triton.language as tl
from triton.tools.tensor_descriptor import TensorDescriptor

from .checks import triton_interpreting
from .heuristics import triton_attention as configs
from .triton_gemm_kernels import _output_target

LOG2E = 1.4426950408889634


@triton.jit
def _load_rows(desc, b, h, start, ROWS: tl.constexpr, BLOCK_D: tl.constexpr, UPCAST: tl.constexpr):
    """Rows [start, start + ROWS) of head h of batch b, through the tensor's TMA descriptor: rows past
    its length and columns past its D read as zeros, with no mask."""
    x = desc.load([b, h, start, 0]).reshape(ROWS, BLOCK_D)
    return x.to(tl.float32) if UPCAST else x


@triton.jit
def _attn_step(acc, l_i, m_i, q, row_scale, k_desc, v_desc, sk_base, rm, b, kv_h, start_n, Lk,
               BLOCK_N: tl.constexpr, BLOCK_D: tl.constexpr, SCALED: tl.constexpr, QK_ACC: tl.constexpr,
               UPCAST: tl.constexpr, INTERPRET: tl.constexpr, MASKED: tl.constexpr, CAUSAL: tl.constexpr):
    """One block of keys into the online softmax. MASKED: the block may hold keys past Lk or,
    if CAUSAL, keys after some of its queries; the others skip the mask and its selects."""
    rn = start_n + tl.arange(0, BLOCK_N)
    k = _load_rows(k_desc, b, kv_h, start_n, BLOCK_N, BLOCK_D, UPCAST)
    qk = tl.dot(q, tl.trans(k), out_dtype=QK_ACC).to(tl.float32)
    if SCALED:
        # Past Lk the key scale reads row Lk - 1 (its scores are masked): a masked load here made
        # ptxas serialize every WGMMA of the kernel (C7515).
        rows = tl.minimum(rn, Lk - 1) if MASKED else rn
        s = qk * row_scale[:, None] * tl.load(sk_base + rows)[None, :]
    else:
        s = qk  # times row_scale below, folded into the subtraction of the maximum
    if MASKED:
        keep = rn[None, :] < Lk
        if CAUSAL:  # query i sees keys j <= i, as F.scaled_dot_product_attention(is_causal=True)
            keep = keep & (rn[None, :] <= rm[:, None])
        s = tl.where(keep, s, float("-inf"))
    if SCALED:
        m_new = tl.maximum(m_i, tl.max(s, 1))
    else:  # row_scale is the positive 1/sqrt(D) in log2 units: max(s * c) = max(s) * c
        m_new = tl.maximum(m_i, tl.max(s, 1) * row_scale)
    # A row that has seen no key yet keeps m = -inf; shift by 0 there so exp2 gives 0, not NaN.
    shift = tl.where(m_new == float("-inf"), 0.0, m_new)
    if SCALED:
        p = tl.math.exp2(s - shift[:, None])
    else:
        p = tl.math.exp2(s * row_scale[:, None] - shift[:, None])  # one FFMA per score
    alpha = tl.math.exp2(m_i - shift)
    l_i = l_i * alpha + tl.sum(p, 1)
    v = _load_rows(v_desc, b, kv_h, start_n, BLOCK_N, BLOCK_D, False)
    if INTERPRET:  # the interpreter keeps p in float32: more accurate than the GPU's rounding to v's dtype
        acc = acc * alpha[:, None] + tl.dot(p, v.to(tl.float32))
    else:
        acc = acc * alpha[:, None] + tl.dot(p.to(v.dtype), v)
    return acc, l_i, m_new


@triton.jit
def _attn_kernel(q_desc, k_desc, v_desc, o_ptr, sq_ptr, sk_ptr, Lq, Lk, H, KV_GROUP, qk_scale,
                 s_ob, s_oh, s_ol, s_sqb, s_sqh, s_skb, s_skh,
                 D: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_D: tl.constexpr,
                 CAUSAL: tl.constexpr, SCALED: tl.constexpr, QK_ACC: tl.constexpr, UPCAST: tl.constexpr,
                 INTERPRET: tl.constexpr):
    start_m = tl.program_id(0) * BLOCK_M
    bh = tl.program_id(1)
    b, h = bh // H, bh % H
    kv_h = h // KV_GROUP  # grouped-query attention: KV_GROUP query heads share one K/V head
    rm = start_m + tl.arange(0, BLOCK_M)
    rd = tl.arange(0, BLOCK_D)
    q = _load_rows(q_desc, b, h, start_m, BLOCK_M, BLOCK_D, UPCAST)
    # Scores in log2 units, so the online softmax runs on exp2.
    row_scale = tl.full((BLOCK_M,), qk_scale, tl.float32)
    if SCALED:
        row_scale *= tl.load(sq_ptr + b * s_sqb + h * s_sqh + rm, mask=rm < Lq, other=0.0)
    m_i = tl.full((BLOCK_M,), float("-inf"), tl.float32)
    l_i = tl.zeros((BLOCK_M,), tl.float32)
    acc = tl.zeros((BLOCK_M, BLOCK_D), tl.float32)
    sk_base = sk_ptr + b * s_skb + kv_h * s_skh
    # Keys [0, whole) fill whole blocks that every query of this block sees; the blocks from
    # there to the end may cross Lk or, for CAUSAL, the diagonal, and take the mask.
    whole = (Lk // BLOCK_N) * BLOCK_N
    end = Lk
    if CAUSAL:
        whole = tl.minimum(whole, (start_m // BLOCK_N) * BLOCK_N)
        end = tl.minimum(Lk, start_m + BLOCK_M)
    for start_n in range(0, whole, BLOCK_N):
        acc, l_i, m_i = _attn_step(acc, l_i, m_i, q, row_scale, k_desc, v_desc, sk_base, rm, b, kv_h, start_n, Lk,
                                   BLOCK_N, BLOCK_D, SCALED, QK_ACC, UPCAST, INTERPRET, False, CAUSAL)
    for start_n in range(whole, end, BLOCK_N):
        acc, l_i, m_i = _attn_step(acc, l_i, m_i, q, row_scale, k_desc, v_desc, sk_base, rm, b, kv_h, start_n, Lk,
                                   BLOCK_N, BLOCK_D, SCALED, QK_ACC, UPCAST, INTERPRET, True, CAUSAL)
    out = acc / l_i[:, None]
    o_mask = (rm[:, None] < Lq) & (rd < D)[None, :]
    tl.store(o_ptr + b * s_ob + h * s_oh + rm[:, None] * s_ol + rd[None, :], out.to(o_ptr.dtype.element_ty), mask=o_mask)


def _rows_descriptor(t: torch.Tensor, rows: int, block_d: int) -> TensorDescriptor:
    """A TMA descriptor of a (batch, heads, len, D) tensor that reads (rows, block_d) blocks of one
    head. TMA needs a 16-byte aligned start and 16-byte multiples between rows, heads and batches;
    a view that breaks that (one starting or with heads an odd number of elements apart: D is a
    multiple of 16) is copied first."""
    size = t.element_size()
    if t.data_ptr() % 16 or any(s * size % 16 for s in t.stride()[:3]):
        t = t.clone(memory_format=torch.contiguous_format)
    return TensorDescriptor(t, list(t.shape), list(t.stride()), [1, 1, rows, block_d])


def attention(q, k, v, out, causal: bool, scale_q=None, scale_k=None, cfg: configs.AttnConfig | None = None) -> None:
    """out = softmax(q k^T / sqrt(D) [* scale_q scale_k]) v over (batch, heads, len, D) tensors whose
    last dimension is contiguous; on torch's current stream. The configuration from the
    heuristics unless one is given (a sweep's)."""
    B, H, Lq, D = q.shape
    Hkv, Lk = k.shape[1], k.shape[2]
    interpreting = triton_interpreting()
    cfg = cfg or configs.pick(scale_q is not None, interpreting)
    # 8-bit tensor-core products take K >= 32: a D of 16 reads 32 columns, the last 16 zeros.
    block_d = max(triton.next_power_of_2(D), 32 if q.element_size() == 1 else 16)
    block_m, block_n = cfg.block_m, cfg.block_n
    scaled = scale_q is not None
    target = _output_target(out, interpreting)
    sq, sk = (scale_q, scale_k) if scaled else (q, k)  # unused pointers when not scaled
    _attn_kernel[(triton.cdiv(Lq, block_m), B * H)](
        _rows_descriptor(q, block_m, block_d), _rows_descriptor(k, block_n, block_d),
        _rows_descriptor(v, block_n, block_d), target, sq, sk, Lq, Lk, H, H // Hkv, LOG2E / math.sqrt(D),
        *target.stride()[:3], *(sq.stride()[:2] if scaled else (0, 0)), *(sk.stride()[:2] if scaled else (0, 0)),
        D=D, BLOCK_M=block_m, BLOCK_N=block_n, BLOCK_D=block_d, CAUSAL=causal, SCALED=scaled,
        QK_ACC=tl.int32 if q.dtype == torch.int8 else tl.float32,
        UPCAST=interpreting and q.dtype != torch.int8, INTERPRET=interpreting,
        num_warps=cfg.num_warps, num_stages=cfg.num_stages,
    )
    if target is not out:
        out.copy_(target)
