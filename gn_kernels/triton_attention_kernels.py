"""The Triton attention kernel behind gn_kernels.triton_attention (which holds the checks and schemas):
a flash-attention forward pass, online softmax in float32, optionally with quantized Q and K."""

from __future__ import annotations

import math

import torch
import triton
import triton.language as tl

from .checks import triton_interpreting
from .dispatch import runs_gluon_hopper
from .heuristics import triton_attention as configs
from .triton_gemm_kernels import _load_operand, _output_target

LOG2E = 1.4426950408889634
# The online softmax folds each row's scale into the subtraction of its maximum, which needs the
# scale above zero: a zero scale_q (a query of zeros, whose scores are all zero) becomes the
# smallest normal float, whose scores come out zero as they should; a negative or NaN one makes
# its row NaN (triton_attention's docstring). Both kernels, Triton and Gluon, share it.
FLT_MIN = tl.constexpr(1.1754943508222875e-38)


@triton.jit
def _attn_step(acc, l_i, m_i, q, row_scale, k_base, v_base, sk_base, rm, start_n, Lk, s_kl, s_vl, kv_mask,
               BLOCK_N: tl.constexpr, SCALED: tl.constexpr, QK_ACC: tl.constexpr, UPCAST: tl.constexpr,
               INTERPRET: tl.constexpr, MASKED: tl.constexpr, CAUSAL: tl.constexpr):
    """One block of keys into the online softmax. MASKED: the block may hold keys past Lk or,
    if CAUSAL, keys after some of its queries; the others skip the mask and its selects."""
    rn = start_n + tl.arange(0, BLOCK_N)
    # Rows past Lk read row Lk - 1 rather than take a load mask (their scores are masked): with
    # masked loads in the second loop, ptxas serialized every WGMMA of the kernel (C7515).
    rows = tl.minimum(rn, Lk - 1) if MASKED else rn
    k = _load_operand(k_base + rows[:, None] * s_kl, kv_mask, UPCAST)
    qk = tl.dot(q, tl.trans(k), out_dtype=QK_ACC).to(tl.float32)
    s = qk * tl.load(sk_base + rows)[None, :] if SCALED else qk
    if MASKED:
        keep = rn[None, :] < Lk
        if CAUSAL:  # query i sees keys j <= i, as F.scaled_dot_product_attention(is_causal=True)
            keep = keep & (rn[None, :] <= rm[:, None])
        s = tl.where(keep, s, float("-inf"))
    # row_scale > 0 (see FLT_MIN), so max(s * c) = max(s) * c: the scale folds into the
    # subtraction of the maximum, one FFMA per score.
    m_new = tl.maximum(m_i, tl.max(s, 1) * row_scale)
    # A row that has seen no key yet keeps m = -inf; shift by 0 there so exp2 gives 0, not NaN.
    shift = tl.where(m_new == float("-inf"), 0.0, m_new)
    p = tl.math.exp2(s * row_scale[:, None] - shift[:, None])
    alpha = tl.math.exp2(m_i - shift)
    l_i = l_i * alpha + tl.sum(p, 1)
    v = _load_operand(v_base + rows[:, None] * s_vl, kv_mask, False)
    if INTERPRET:  # the interpreter keeps p in float32: more accurate than the GPU's rounding to v's dtype
        acc = acc * alpha[:, None] + tl.dot(p, v.to(tl.float32))
    else:
        acc = acc * alpha[:, None] + tl.dot(p.to(v.dtype), v)
    return acc, l_i, m_new


@triton.jit
def _attn_kernel(q_ptr, k_ptr, v_ptr, o_ptr, sq_ptr, sk_ptr, Lq, Lk, H, KV_GROUP, qk_scale,
                 s_qb, s_qh, s_ql, s_kb, s_kh, s_kl, s_vb, s_vh, s_vl, s_ob, s_oh, s_ol,
                 s_sqb, s_sqh, s_skb, s_skh,
                 D: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_D: tl.constexpr,
                 CAUSAL: tl.constexpr, SCALED: tl.constexpr, QK_ACC: tl.constexpr, UPCAST: tl.constexpr,
                 INTERPRET: tl.constexpr):
    pid, blocks = tl.program_id(0), tl.cdiv(Lq, BLOCK_M)
    if CAUSAL:  # heads fastest and the longest query blocks first: see attention()
        heads = tl.num_programs(0) // blocks
        bh, start_m = pid % heads, (blocks - 1 - pid // heads) * BLOCK_M
    else:  # one head's query blocks side by side, so that they read its K and V from L2 together
        start_m, bh = (pid % blocks) * BLOCK_M, pid // blocks
    b, h = bh // H, bh % H
    kv_h = h // KV_GROUP  # grouped-query attention: KV_GROUP query heads share one K/V head
    rm = start_m + tl.arange(0, BLOCK_M)
    rd = tl.arange(0, BLOCK_D)
    d_ok = rd < D
    q_mask = (rm[:, None] < Lq) & d_ok[None, :]
    q = _load_operand(q_ptr + b * s_qb + h * s_qh + rm[:, None] * s_ql + rd[None, :], q_mask, UPCAST)
    kv_mask = None if D == BLOCK_D else d_ok[None, :]
    # Scores in log2 units, so the online softmax runs on exp2.
    row_scale = tl.full((BLOCK_M,), qk_scale, tl.float32)
    if SCALED:
        sq = tl.load(sq_ptr + b * s_sqb + h * s_sqh + rm, mask=rm < Lq, other=1.0)
        row_scale = tl.where(sq >= 0, tl.maximum(row_scale * sq, FLT_MIN), float("nan"))
    m_i = tl.full((BLOCK_M,), float("-inf"), tl.float32)
    l_i = tl.zeros((BLOCK_M,), tl.float32)
    acc = tl.zeros((BLOCK_M, BLOCK_D), tl.float32)
    k_base = k_ptr + b * s_kb + kv_h * s_kh + rd[None, :]
    v_base = v_ptr + b * s_vb + kv_h * s_vh + rd[None, :]
    sk_base = sk_ptr + b * s_skb + kv_h * s_skh
    # Keys [0, whole) fill whole blocks that every query of this block sees; the blocks from
    # there to the end may cross Lk or, for CAUSAL, the diagonal, and take the mask.
    whole = (Lk // BLOCK_N) * BLOCK_N
    end = Lk
    if CAUSAL:
        whole = tl.minimum(whole, (start_m // BLOCK_N) * BLOCK_N)
        end = tl.minimum(Lk, start_m + BLOCK_M)
    for start_n in range(0, whole, BLOCK_N):
        acc, l_i, m_i = _attn_step(acc, l_i, m_i, q, row_scale, k_base, v_base, sk_base, rm, start_n, Lk,
                                   s_kl, s_vl, kv_mask, BLOCK_N, SCALED, QK_ACC, UPCAST, INTERPRET, False, CAUSAL)
    for start_n in range(whole, end, BLOCK_N):
        acc, l_i, m_i = _attn_step(acc, l_i, m_i, q, row_scale, k_base, v_base, sk_base, rm, start_n, Lk,
                                   s_kl, s_vl, kv_mask, BLOCK_N, SCALED, QK_ACC, UPCAST, INTERPRET, True, CAUSAL)
    out = acc / l_i[:, None]
    tl.store(o_ptr + b * s_ob + h * s_oh + rm[:, None] * s_ol + rd[None, :], out.to(o_ptr.dtype.element_ty), mask=q_mask)


def _gluon_fits(q, k, v) -> bool:
    """Whether the Hopper Gluon kernel takes these inputs: an sm_90 GPU, head dim 64 or 128, and
    q, k, v that TMA can read; and a Triton with Gluon's Hopper module."""
    if q.shape[-1] not in (64, 128) or not runs_gluon_hopper(q, "gn_kernels.triton_attention_hopper"):
        return False
    from .triton_attention_hopper import tma_ready

    return tma_ready(q, k, v)


def attention(q, k, v, out, causal: bool, scale_q=None, scale_k=None, cfg: configs.AttnConfig | None = None) -> None:
    """out = softmax(q k^T / sqrt(D) [* scale_q scale_k]) v over (batch, heads, len, D) tensors whose
    last dimension is contiguous; on torch's current stream. The configuration from the
    heuristics unless one is given (a sweep's)."""
    B, H, Lq, D = q.shape
    Hkv, Lk = k.shape[1], k.shape[2]
    interpreting = triton_interpreting()
    cfg = cfg or configs.pick(scale_q is not None, interpreting, not interpreting and _gluon_fits(q, k, v), causal)
    if cfg.gluon:
        from .triton_attention_hopper import gluon_attention

        gluon_attention(q, k, v, out, causal, scale_q, scale_k, LOG2E / math.sqrt(D), cfg)
        return
    block_m, block_n = cfg.block_m, cfg.block_n
    # 8-bit tensor-core products take K >= 32: a D of 16 loads 32 columns, the last 16 masked to zeros.
    block_d = max(triton.next_power_of_2(D), 32 if q.element_size() == 1 else 16)
    scaled = scale_q is not None
    target = _output_target(out, interpreting)
    sq, sk = (scale_q, scale_k) if scaled else (q, k)  # unused pointers when not scaled
    # A causal query block's work grows with its position. Launched shortest first, the longest come
    # last and the GPU's last round runs a few of them on a few SMs: list scheduling of the
    # benchmark's 2048 blocks on 264 slots (132 SMs, two programs each) ends 16% past the balanced
    # time that way, 0.4% longest first. On the H200 causal triton_attn went from 441 to 473 TFLOPS,
    # int8 q/k 405 to 463 (benchmarks/results/h200_attn_longest_first.md).
    _attn_kernel[(triton.cdiv(Lq, block_m) * B * H,)](
        q, k, v, target, sq, sk, Lq, Lk, H, H // Hkv, LOG2E / math.sqrt(D),
        *q.stride()[:3], *k.stride()[:3], *v.stride()[:3], *target.stride()[:3],
        *(sq.stride()[:2] if scaled else (0, 0)), *(sk.stride()[:2] if scaled else (0, 0)),
        D=D, BLOCK_M=block_m, BLOCK_N=block_n, BLOCK_D=block_d, CAUSAL=causal, SCALED=scaled,
        QK_ACC=tl.int32 if q.dtype == torch.int8 else tl.float32,
        UPCAST=interpreting and q.dtype != torch.int8, INTERPRET=interpreting,
        num_warps=cfg.num_warps, num_stages=cfg.num_stages,
    )
    if target is not out:
        out.copy_(target)
