"""The Hopper attention kernel behind gn_kernels.triton_attention, in Gluon (Triton's tile-level
language with explicit layouts): TMA loads into a ring of shared-memory stages, and the softmax of
key block j computed while the WGMMA of block j-1's P·V runs, which the Triton compiler does not
schedule by itself (it waits on every QKᵀ WGMMA right after issuing it)."""

from __future__ import annotations

import torch
import triton
from triton.experimental import gluon
from triton.experimental.gluon import language as gl
from triton.experimental.gluon.language.nvidia.hopper import mbarrier, tma, warpgroup_mma, warpgroup_mma_wait
from triton.experimental.gluon.nvidia.hopper import TensorDescriptor

from .heuristics.triton_attention import AttnConfig

# Triton 3.6 names the CTA-wide barrier thread_barrier; later versions barrier.
_cta_barrier = getattr(gl, "thread_barrier", None) or gl.barrier
GL_DTYPES = {torch.bfloat16: gl.bfloat16, torch.float16: gl.float16, torch.int8: gl.int8,
             torch.float8_e4m3fn: gl.float8e4nv, torch.float8_e5m2: gl.float8e5}


@gluon.jit
def _load(desc, smem, bar, b, kv_h, block, n_blocks, STAGES: gl.constexpr):
    """Starts the TMA load of block `block` of K or V (if there is one) into its stage of the ring."""
    stage = block % STAGES
    there = block < n_blocks
    mbarrier.expect(bar.index(stage), desc.block_type.nbytes, pred=there)
    tma.async_copy_global_to_shared(desc, [b, kv_h, block * desc.block_type.shape[2], 0], bar.index(stage),
                                    smem.index(stage), pred=there)


@gluon.jit
def _pv(p, v_smem, v_bar, block, acc, STAGES: gl.constexpr, p_layout: gl.constexpr):
    """Issues acc += P·V for block `block` once its values have landed; returns the token to wait on."""
    stage = block % STAGES
    mbarrier.wait(v_bar.index(stage), (block // STAGES) & 1)
    v = v_smem.index(stage).reshape([v_smem.shape[3], v_smem.shape[4]])
    return warpgroup_mma(gl.convert_layout(p.to(v_smem.dtype), p_layout), v, acc, is_async=True)


@gluon.jit
def _scores(q, k_smem, k_bar, block, STAGES: gl.constexpr, s_layout: gl.constexpr, ACC: gl.constexpr):
    """Issues block `block`'s QKᵀ WGMMA once its keys have landed; returns the token to wait on."""
    stage = block % STAGES
    mbarrier.wait(k_bar.index(stage), (block // STAGES) & 1)
    BLOCK_N: gl.constexpr = k_smem.shape[3]
    k = k_smem.index(stage).reshape([BLOCK_N, k_smem.shape[4]]).permute((1, 0))
    zero = gl.zeros([q.shape[0], BLOCK_N], ACC, s_layout)
    return warpgroup_mma(q, k, zero, use_acc=False, is_async=True)


@gluon.jit
def _softmax(qk, m_i, l_i, row_scale, sk_base, block, whole_blocks, rm, Lk,
             BLOCK_N: gl.constexpr, s_layout: gl.constexpr, CAUSAL: gl.constexpr, SCALED: gl.constexpr):
    """The online softmax of one block of scores in log2 units: its probabilities (unnormalized),
    the new row maxima and sums, and the factor that rescales the rows' earlier output."""
    rn = block * BLOCK_N + gl.arange(0, BLOCK_N, layout=gl.SliceLayout(0, s_layout))
    s = qk.to(gl.float32)
    if SCALED:
        s = s * row_scale[:, None] * gl.load(sk_base + rn, mask=rn < Lk, other=0.0)[None, :]
    if block >= whole_blocks:  # keys past Lk or, for CAUSAL, after some of the block's queries
        keep = rn[None, :] < Lk
        if CAUSAL:
            keep = keep & (rn[None, :] <= rm[:, None])
        s = gl.where(keep, s, float("-inf"))
    # Every row keeps key 0 in block 0 (Lk >= 1, and causal query i sees key 0), so m_new is finite
    # from the first block on and exp2 never sees -inf - (-inf).
    if SCALED:
        m_new = gl.maximum(m_i, gl.max(s, 1))
        p = gl.exp2(s - m_new[:, None])
    else:  # row_scale is the positive 1/sqrt(D) in log2 units: max(s * c) = max(s) * c, one FFMA a score
        m_new = gl.maximum(m_i, gl.max(s, 1) * row_scale)
        p = gl.exp2(s * row_scale[:, None] - m_new[:, None])
    alpha = gl.exp2(m_i - m_new)
    return p, m_new, l_i * alpha + gl.sum(p, 1), alpha


@gluon.jit
def _gluon_attn_kernel(q_desc, k_desc, v_desc, o_ptr, sq_ptr, sk_ptr, Lq, Lk, H, KV_GROUP, qk_scale,
                       s_ob, s_oh, s_ol, s_sqb, s_sqh, s_skb, s_skh,
                       STAGES: gl.constexpr, CAUSAL: gl.constexpr, SCALED: gl.constexpr, num_warps: gl.constexpr):
    BLOCK_M: gl.constexpr = q_desc.block_type.shape[2]
    BLOCK_N: gl.constexpr = k_desc.block_type.shape[2]
    D: gl.constexpr = q_desc.block_type.shape[3]
    QK_BITS: gl.constexpr = q_desc.dtype.primitive_bitwidth
    ACC: gl.constexpr = gl.int32 if q_desc.dtype == gl.int8 else gl.float32
    s_layout: gl.constexpr = gl.NVMMADistributedLayout(version=[3, 0], warps_per_cta=[num_warps, 1],
                                                       instr_shape=[16, BLOCK_N, 256 // QK_BITS])
    o_layout: gl.constexpr = gl.NVMMADistributedLayout(version=[3, 0], warps_per_cta=[num_warps, 1],
                                                       instr_shape=[16, D, 16])
    p_layout: gl.constexpr = gl.DotOperandLayout(operand_index=0, parent=o_layout, k_width=2)
    rows_s: gl.constexpr = gl.SliceLayout(1, s_layout)
    rows_o: gl.constexpr = gl.SliceLayout(1, o_layout)

    pid, blocks = gl.program_id(0), gl.cdiv(Lq, BLOCK_M)
    if CAUSAL:  # heads fastest and the longest query blocks first, as the Triton kernel
        heads = gl.num_programs(0) // blocks
        bh, start_m = pid % heads, (blocks - 1 - pid // heads) * BLOCK_M
    else:
        start_m, bh = (pid % blocks) * BLOCK_M, pid // blocks
    b, h = bh // H, bh % H
    kv_h = h // KV_GROUP

    q_smem = gl.allocate_shared_memory(q_desc.dtype, q_desc.block_type.shape, q_desc.layout)
    k_smem = gl.allocate_shared_memory(k_desc.dtype, [STAGES] + k_desc.block_type.shape, k_desc.layout)
    v_smem = gl.allocate_shared_memory(v_desc.dtype, [STAGES] + v_desc.block_type.shape, v_desc.layout)
    q_bar = gl.allocate_shared_memory(gl.int64, [1], mbarrier.MBarrierLayout())
    k_bar = gl.allocate_shared_memory(gl.int64, [STAGES, 1], mbarrier.MBarrierLayout())
    v_bar = gl.allocate_shared_memory(gl.int64, [STAGES, 1], mbarrier.MBarrierLayout())
    mbarrier.init(q_bar, count=1)
    for i in gl.static_range(STAGES):
        mbarrier.init(k_bar.index(i), count=1)
        mbarrier.init(v_bar.index(i), count=1)

    end = Lk
    whole = Lk // BLOCK_N  # blocks every query of this block sees in full
    if CAUSAL:
        end = gl.minimum(Lk, start_m + BLOCK_M)
        whole = gl.minimum(whole, start_m // BLOCK_N)
    n_blocks = gl.cdiv(end, BLOCK_N)

    mbarrier.expect(q_bar, q_desc.block_type.nbytes)
    tma.async_copy_global_to_shared(q_desc, [b, h, start_m, 0], q_bar, q_smem)
    for i in gl.static_range(STAGES):
        _load(k_desc, k_smem, k_bar, b, kv_h, i, n_blocks, STAGES)
        _load(v_desc, v_smem, v_bar, b, kv_h, i, n_blocks, STAGES)

    rm = start_m + gl.arange(0, BLOCK_M, layout=rows_s)
    # Scores in log2 units, so the online softmax runs on exp2.
    row_scale = gl.full([BLOCK_M], qk_scale, gl.float32, rows_s)
    if SCALED:
        row_scale = row_scale * gl.load(sq_ptr + b * s_sqb + h * s_sqh + rm, mask=rm < Lq, other=0.0)
    sk_base = sk_ptr + b * s_skb + kv_h * s_skh
    m_i = gl.full([BLOCK_M], float("-inf"), gl.float32, rows_s)
    l_i = gl.zeros([BLOCK_M], gl.float32, rows_s)
    acc = gl.zeros([BLOCK_M, D], gl.float32, o_layout)

    mbarrier.wait(q_bar, 0)
    # q from registers: a 64-row WGMMA with N = 64 that reads both operands from shared memory
    # needs about as many cycles of its bandwidth (128 bytes a clock) as of tensor-core time.
    q = q_smem.reshape([BLOCK_M, D]).load(gl.DotOperandLayout(operand_index=0, parent=s_layout,
                                                               k_width=32 // QK_BITS))
    qk = _scores(q, k_smem, k_bar, 0, STAGES, s_layout, ACC)
    qk = warpgroup_mma_wait(0, deps=[qk])
    p, m_i, l_i, alpha = _softmax(qk, m_i, l_i, row_scale, sk_base, 0, whole, rm, Lk, BLOCK_N, s_layout,
                                  CAUSAL, SCALED)
    for j in range(1, n_blocks):
        qk = _scores(q, k_smem, k_bar, j, STAGES, s_layout, ACC)
        acc = _pv(p, v_smem, v_bar, j - 1, acc, STAGES, p_layout)
        # Block j's scores are ready while block j-1's P·V still runs: its softmax overlaps that WGMMA.
        qk = warpgroup_mma_wait(1, deps=[qk])
        p, m_i, l_i, alpha = _softmax(qk, m_i, l_i, row_scale, sk_base, j, whole, rm, Lk, BLOCK_N, s_layout,
                                      CAUSAL, SCALED)
        acc = warpgroup_mma_wait(0, deps=[acc])
        acc = acc * gl.convert_layout(alpha, rows_o)[:, None]
        # Block j-1's stage takes block j-1+STAGES once no WGMMA reads it. One warpgroup's wait above says
        # so (a WGMMA is issued by its whole warpgroup); two warpgroups must meet first.
        if num_warps > 4:
            _cta_barrier()
        _load(k_desc, k_smem, k_bar, b, kv_h, j - 1 + STAGES, n_blocks, STAGES)
        _load(v_desc, v_smem, v_bar, b, kv_h, j - 1 + STAGES, n_blocks, STAGES)
    acc = warpgroup_mma_wait(0, deps=[_pv(p, v_smem, v_bar, n_blocks - 1, acc, STAGES, p_layout)])

    out = acc / gl.convert_layout(l_i, rows_o)[:, None]
    ro = start_m + gl.arange(0, BLOCK_M, layout=rows_o)
    rd = gl.arange(0, D, layout=gl.SliceLayout(0, o_layout))
    o_ptrs = o_ptr + b * s_ob + h * s_oh + ro[:, None] * s_ol + rd[None, :]
    gl.store(o_ptrs, out.to(o_ptr.dtype.element_ty), mask=(ro < Lq)[:, None])


def _descriptor(t, block_rows: int) -> TensorDescriptor:
    block = [1, 1, block_rows, t.shape[-1]]
    layout = gl.NVMMASharedLayout.get_default_for(block, GL_DTYPES[t.dtype])
    return TensorDescriptor(t, list(t.shape), list(t.stride()), block, layout)


def tma_ready(*tensors) -> bool:
    """TMA reads a tensor whose base is 16-byte aligned and whose outer strides are multiples of 16 bytes."""
    return all(t.data_ptr() % 16 == 0 and all(s * t.element_size() % 16 == 0 for s in t.stride()[:-1])
               for t in tensors)


def gluon_attention(q, k, v, out, causal: bool, scale_q, scale_k, qk_scale: float, cfg: AttnConfig) -> None:
    """As triton_attention_kernels.attention, for sm_90 with D in (64, 128) and TMA-ready q, k, v."""
    B, H, Lq, _ = q.shape
    scaled = scale_q is not None
    sq, sk = (scale_q, scale_k) if scaled else (out, out)  # unused pointers when not scaled
    _gluon_attn_kernel[(triton.cdiv(Lq, cfg.block_m) * B * H,)](
        _descriptor(q, cfg.block_m), _descriptor(k, cfg.block_n), _descriptor(v, cfg.block_n),
        out, sq, sk, Lq, k.shape[2], H, H // k.shape[1], qk_scale, *out.stride()[:3],
        *(sq.stride()[:2] if scaled else (0, 0)), *(sk.stride()[:2] if scaled else (0, 0)),
        STAGES=cfg.num_stages, CAUSAL=causal, SCALED=scaled, num_warps=cfg.num_warps,
    )
