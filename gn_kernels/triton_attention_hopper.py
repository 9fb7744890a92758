"""The Hopper attention kernel behind gn_kernels.triton_attention, in Gluon (Triton's tile-level
language with explicit layouts). One warp loads q and then every block of K and V through TMA into
a ring of shared-memory stages (gl.warp_specialize); one or two warpgroups compute, each a partition
of its own with 64 query rows, and hand each stage back through an mbarrier that counts them all.
Each issues block j-1's P·V WGMMA before block j's softmax, an order the Triton compiler does not
choose by itself (it waits on every QKᵀ WGMMA right after issuing it), so that the softmax runs
beside that WGMMA. ptxas (triton 3.6) moves the wait for it to the top of the basic block that holds
it, which is why _softmax keeps the exponentials in the same block as the wait (see there): that
ran 1.026x as fast non-causal and 1.008x causal on an H200
(benchmarks/results/h200_attn_softmax_before_wait.md).

Two kernels share these partitions' bodies (_load_tile, _attend): _gluon_attn_kernel, a program a
tile, and _gluon_attn_walk_kernel, persistent: as many programs as the SMs hold, each walking its
tiles of queries (_tile), the ring of K and V stages running on from one tile to the next, so that a
tile's first blocks load while the last tile's are computed on and its output stored. On the H100
(B4 H8 4096x8192 D128, two runs against a program a tile) the walk ran causal 1.08x as fast with
bfloat16, 1.06-1.07x with FP8 and 1.03x with int8 q and k, non-causal bfloat16 1.01-1.02x; the
configurations take it there (gn_kernels/heuristics/triton_attention.py). Non-causal 8-bit q and k
keep a program a tile: a compile-time switch inside one kernel ran FP8 0.97x as fast as this separate
kernel, whose SASS is byte for byte what it was before the walk existed
(benchmarks/results/h100_sxm_attn_persistent_compile_time.md).

Against the same computation with the loads issued by the computing warps (64x64 blocks, two
programs an SM), two warpgroups sharing one ring over 128 query rows ran 1.07x as fast non-causal
and 1.02x causal on an H200 (benchmarks/results/h200_attn_gluon_producer_partitions.md).

With int8 or FP8 q and k, the keys' scales ride each block's TMA load into the ring (a 3-D
descriptor over scale_k, zero past len_kv) rather than 16 masked global loads a thread per block,
and the row's scale joins 1/sqrt(D) in the exponent's FFMA. Blocks of 128 keys read q from shared
memory and the key scales after the QKᵀ wait, so that neither is held in registers across it and
nothing spills. What each of these gained, measured, is with the configurations in
gn_kernels/heuristics/triton_attention.py.
"""

from __future__ import annotations

import torch
import triton
from triton.experimental import gluon
from triton.experimental.gluon import language as gl
from triton.experimental.gluon.language.nvidia.hopper import mbarrier, tma, warpgroup_mma, warpgroup_mma_wait
from triton.experimental.gluon.nvidia.hopper import TensorDescriptor

from .dispatch import multiprocessor_count, warp_specialized_register_cap
from .heuristics.triton_attention import AttnConfig
from .triton_attention_kernels import FLT_MIN

GL_DTYPES = {torch.bfloat16: gl.bfloat16, torch.float16: gl.float16, torch.int8: gl.int8,
             torch.float8_e4m3fn: gl.float8e4nv, torch.float8_e5m2: gl.float8e5}


@gluon.jit
def _pv(p, v_smem, v_bar, block, acc, STAGES: gl.constexpr, p_layout: gl.constexpr):
    """Issues acc += P·V for block `block` once its values have landed; returns the token to wait on."""
    stage = block % STAGES
    mbarrier.wait(v_bar.index(stage), (block // STAGES) & 1)
    v = v_smem.index(stage).reshape([v_smem.shape[3], v_smem.shape[4]])
    return warpgroup_mma(gl.convert_layout(p.to(v_smem.dtype), p_layout), v, acc, is_async=True)


@gluon.jit
def _scores(q, k_smem, sk_smem, k_bar, block, STAGES: gl.constexpr, s_layout: gl.constexpr, ACC: gl.constexpr,
            SCALED: gl.constexpr):
    """Issues block `block`'s QKᵀ WGMMA once its keys have landed; returns the token to wait on and,
    if SCALED, the keys' scales in shared memory (else 1)."""
    stage = block % STAGES
    mbarrier.wait(k_bar.index(stage), (block // STAGES) & 1)
    BLOCK_N: gl.constexpr = k_smem.shape[3]
    k = k_smem.index(stage).reshape([BLOCK_N, k_smem.shape[4]]).permute((1, 0))
    ROWS: gl.constexpr = q.shape[0]
    zero = gl.zeros([ROWS, BLOCK_N], ACC, s_layout)
    token = warpgroup_mma(q, k, zero, use_acc=False, is_async=True)
    sk = 1.0
    if SCALED:
        sk = sk_smem.index(stage).reshape([BLOCK_N])
    return token, sk


@gluon.jit
def _online(s, m_i, l_i, row_scale):
    """The online softmax of one block of scores, each row's times its row_scale (> 0, log2 units):
    its probabilities (unnormalized), the new row maxima and sums, and the factor that rescales the
    rows' earlier output."""
    # Every row keeps key 0 in block 0 (Lk >= 1, and causal query i sees key 0), so m_new is finite
    # from the first block on and exp2 never sees -inf - (-inf). max(s * c) = max(s) * c for c > 0:
    # one FFMA a score.
    m_new = gl.maximum(m_i, gl.max(s, 1) * row_scale)
    p = gl.exp2(s * row_scale[:, None] - m_new[:, None])
    alpha = gl.exp2(m_i - m_new)
    return p, m_new, l_i * alpha + gl.sum(p, 1), alpha


@gluon.jit
def _exact_float(qk):
    """The scores as float32, exactly. int32 ones (int8 q and k) through the float whose bits are
    0x4B400000 + x, 1.5 * 2^23 + x for |x| <= 2^22 (|q·k| <= 128 * 128 * 128 = 2^21 at D = 128):
    an integer add and a float subtract a score, rather than I2F, the conversion instruction.
    The kernel's I2F went from 263 to 7 and int8, at 128x128 blocks and 4 stages, from 641 to
    644-647 TFLOPS non-causal and 524 to 529-530 causal on an H200
    (benchmarks/results/h200_attn_int8_exponent_trick.md). Folding the subtraction into the key
    scale's multiply (one FFMA, inexact by 0.75 s_k) ran 8% slower non-causal on an H100, and starting
    the WGMMA's accumulator at 0x4B400000 gained 0.5-1.3%, within noise
    (h100_sxm_attn_int8_score_fold.md)."""
    if qk.dtype == gl.int32:
        return (qk + 0x4B400000).to(gl.float32, bitcast=True) - 12582912.0
    return qk.to(gl.float32)


@gluon.jit
def _softmax(qk, m_i, l_i, row_scale, sk, block, whole_blocks, rm, Lk,
             BLOCK_N: gl.constexpr, s_layout: gl.constexpr, CAUSAL: gl.constexpr, SCALED: gl.constexpr):
    """_online on block `block`'s scores, with the keys a query must not see masked out."""
    rn = block * BLOCK_N + gl.arange(0, BLOCK_N, layout=gl.SliceLayout(0, s_layout))
    s = _exact_float(qk)
    if SCALED:
        # Read after the wait: held across it, a thread's 32 scales of a 128-key block spilled.
        s = s * sk.load(gl.SliceLayout(0, s_layout))[None, :]
    # _online is called in each branch rather than after them: ptxas moves the wait for the P·V
    # WGMMA issued before this call to the top of the basic block that follows, so the block after
    # an if would hold the exponentials and the wait would come first (SASS, triton 3.6).
    if block >= whole_blocks:  # keys past Lk or, for CAUSAL, after some of the block's queries
        keep = rn[None, :] < Lk
        if CAUSAL:
            keep = keep & (rn[None, :] <= rm[:, None])
        p, m_new, l_new, alpha = _online(gl.where(keep, s, float("-inf")), m_i, l_i, row_scale)
    else:
        p, m_new, l_new, alpha = _online(s, m_i, l_i, row_scale)
    return p, m_new, l_new, alpha


@gluon.jit
def _tile(r, total, BH, H, KV_GROUP, Lq, Lk, BLOCK_M: gl.constexpr, BLOCK_N: gl.constexpr, CAUSAL: gl.constexpr):
    """The tile a program takes in round r of the persistent walk, and whether there is one: programs
    run the tiles in rounds of gl.num_programs(0), forwards in even rounds and backwards in odd ones,
    so that causal tiles, launched longest first, even out over the rounds. Returns (b, h, kv_h,
    start_m, the tile's blocks of keys, whether round r holds a tile for this program)."""
    P, pid = gl.num_programs(0), gl.program_id(0)
    t = r * P + pid + (r % 2) * (P - 1 - 2 * pid)
    blocks = gl.cdiv(Lq, BLOCK_M)
    if CAUSAL:  # heads fastest and the longest query blocks first
        bh, start_m = t % BH, (blocks - 1 - t // BH) * BLOCK_M
    else:
        start_m, bh = (t % blocks) * BLOCK_M, t // blocks
    end = Lk
    if CAUSAL:
        end = gl.minimum(Lk, start_m + BLOCK_M)
    h = bh % H
    return bh // H, h, h // KV_GROUP, start_m, gl.cdiv(end, BLOCK_N), t < total


@gluon.jit
def _producer(q_desc, k_desc, v_desc, sk_desc, q_smem, k_smem, v_smem, sk_smem, q_bar, k_bar, v_bar, empty, b, h,
              kv_h, start_m, n_blocks):
    """The warp that loads the program's one tile (_load_tile)."""
    _load_tile(q_desc, k_desc, v_desc, sk_desc, q_smem, k_smem, v_smem, sk_smem, q_bar, q_bar, k_bar, v_bar, empty,
               b, h, kv_h, start_m, n_blocks, 0, 0, False)


@gluon.jit
def _walking_producer(q_desc, k_desc, v_desc, sk_desc, q_smem, k_smem, v_smem, sk_smem, q_bar, q_empty, k_bar, v_bar,
                      empty, total, BH, H, KV_GROUP, Lq, Lk, CAUSAL: gl.constexpr):
    """The warp that loads each of the program's tiles (_load_tile). The ring runs on across tiles,
    so that the next tile's first blocks load while the last one's are still being computed on."""
    BLOCK_M: gl.constexpr = q_desc.block_type.shape[2]
    BLOCK_N: gl.constexpr = k_desc.block_type.shape[2]
    it = 0
    tiles = 0
    for r in range(gl.cdiv(total, gl.num_programs(0))):
        b, h, kv_h, start_m, n_blocks, valid = _tile(r, total, BH, H, KV_GROUP, Lq, Lk, BLOCK_M, BLOCK_N, CAUSAL)
        if valid:
            _load_tile(q_desc, k_desc, v_desc, sk_desc, q_smem, k_smem, v_smem, sk_smem, q_bar, q_empty, k_bar,
                       v_bar, empty, b, h, kv_h, start_m, n_blocks, it, tiles & 1, True)
            it += n_blocks
            tiles += 1


@gluon.jit
def _load_tile(q_desc, k_desc, v_desc, sk_desc, q_smem, k_smem, v_smem, sk_smem, q_bar, q_empty, k_bar, v_bar, empty,
               b, h, kv_h, start_m, n_blocks, it, q_phase, PERSISTENT: gl.constexpr):
    """A tile's queries, once the computing warpgroups are done with the last tile's, then its
    n_blocks blocks of K and V into the ring from its it-th fill on, each stage once they have
    handed it back."""
    STAGES: gl.constexpr = k_smem.shape[0]
    BLOCK_N: gl.constexpr = k_desc.block_type.shape[2]
    if PERSISTENT:
        # A fresh barrier's phase before its first completion: the first wait waits for nothing.
        mbarrier.wait(q_empty, q_phase ^ 1)
    mbarrier.expect(q_bar, q_desc.block_type.nbytes)
    tma.async_copy_global_to_shared(q_desc, [b, h, start_m, 0], q_bar, q_smem)
    for j in range(n_blocks):
        stage = (it + j) % STAGES
        mbarrier.wait(empty.index(stage), (((it + j) // STAGES) & 1) ^ 1)
        # sk_desc is None exactly when not SCALED, and Triton compiles a None argument as a
        # constant, so this test is decided when compiling, as SCALED would be.
        if sk_desc is not None:
            mbarrier.expect(k_bar.index(stage), k_desc.block_type.nbytes + sk_desc.block_type.nbytes)
            tma.async_copy_global_to_shared(sk_desc, [b, kv_h, j * BLOCK_N], k_bar.index(stage), sk_smem.index(stage))
        else:
            mbarrier.expect(k_bar.index(stage), k_desc.block_type.nbytes)
        tma.async_copy_global_to_shared(k_desc, [b, kv_h, j * BLOCK_N, 0], k_bar.index(stage), k_smem.index(stage))
        mbarrier.expect(v_bar.index(stage), v_desc.block_type.nbytes)
        tma.async_copy_global_to_shared(v_desc, [b, kv_h, j * BLOCK_N, 0], v_bar.index(stage), v_smem.index(stage))


@gluon.jit
def _consumer(q_smem, k_smem, v_smem, sk_smem, q_bar, k_bar, v_bar, empty, o_ptr, sq_ptr, Lq, Lk, qk_scale,
              s_ob, s_oh, s_ol, s_sqb, s_sqh, b, h, start_m, n_blocks,
              PART: gl.constexpr, PARTS: gl.constexpr, CAUSAL: gl.constexpr, SCALED: gl.constexpr):
    """The warpgroup that computes rows PART * ROWS ... (ROWS: BLOCK_M / PARTS) of the program's one
    tile of queries (_attend)."""
    _attend(q_smem, k_smem, v_smem, sk_smem, q_bar, q_bar, k_bar, v_bar, empty, o_ptr, sq_ptr, Lq, Lk, qk_scale,
            s_ob, s_oh, s_ol, s_sqb, s_sqh, b, h, start_m, n_blocks, 0, 0, PART, PARTS, CAUSAL, SCALED, False)


@gluon.jit
def _walking_consumer(q_smem, k_smem, v_smem, sk_smem, q_bar, q_empty, k_bar, v_bar, empty, o_ptr, sq_ptr, total, BH,
                      H, KV_GROUP, Lq, Lk, qk_scale, s_ob, s_oh, s_ol, s_sqb, s_sqh,
                      PART: gl.constexpr, PARTS: gl.constexpr, CAUSAL: gl.constexpr, SCALED: gl.constexpr):
    """The warpgroup that computes rows PART * ROWS ... of each of the program's tiles of queries."""
    BLOCK_M: gl.constexpr = q_smem.shape[2]
    BLOCK_N: gl.constexpr = k_smem.shape[3]
    it = 0
    tiles = 0
    for r in range(gl.cdiv(total, gl.num_programs(0))):
        b, h, kv_h, start_m, n_blocks, valid = _tile(r, total, BH, H, KV_GROUP, Lq, Lk, BLOCK_M, BLOCK_N, CAUSAL)
        if valid:
            _attend(q_smem, k_smem, v_smem, sk_smem, q_bar, q_empty, k_bar, v_bar, empty, o_ptr, sq_ptr, Lq, Lk,
                    qk_scale, s_ob, s_oh, s_ol, s_sqb, s_sqh, b, h, start_m, n_blocks, it, tiles & 1,
                    PART, PARTS, CAUSAL, SCALED, True)
            it += n_blocks
            tiles += 1


@gluon.jit
def _attend(q_smem, k_smem, v_smem, sk_smem, q_bar, q_empty, k_bar, v_bar, empty, o_ptr, sq_ptr, Lq, Lk, qk_scale,
            s_ob, s_oh, s_ol, s_sqb, s_sqh, b, h, start_m, n_blocks, it, q_phase,
            PART: gl.constexpr, PARTS: gl.constexpr, CAUSAL: gl.constexpr, SCALED: gl.constexpr,
            PERSISTENT: gl.constexpr):
    """Rows PART * ROWS ... of the tile of queries from start_m on against its n_blocks blocks of
    keys, which the ring holds from its it-th fill on."""
    STAGES: gl.constexpr = k_smem.shape[0]
    BLOCK_M: gl.constexpr = q_smem.shape[2]
    ROWS: gl.constexpr = BLOCK_M // PARTS
    BLOCK_N: gl.constexpr = k_smem.shape[3]
    D: gl.constexpr = q_smem.shape[3]
    QK_BITS: gl.constexpr = q_smem.dtype.primitive_bitwidth
    ACC: gl.constexpr = gl.int32 if q_smem.dtype == gl.int8 else gl.float32
    s_layout: gl.constexpr = gl.NVMMADistributedLayout(version=[3, 0], warps_per_cta=[gl.num_warps(), 1],
                                                       instr_shape=[16, BLOCK_N, 256 // QK_BITS])
    o_layout: gl.constexpr = gl.NVMMADistributedLayout(version=[3, 0], warps_per_cta=[gl.num_warps(), 1],
                                                       instr_shape=[16, D, 16])
    p_layout: gl.constexpr = gl.DotOperandLayout(operand_index=0, parent=o_layout, k_width=2)
    rows_s: gl.constexpr = gl.SliceLayout(1, s_layout)
    rows_o: gl.constexpr = gl.SliceLayout(1, o_layout)

    row0 = start_m + PART * ROWS
    whole = Lk // BLOCK_N  # blocks every query of these rows sees in full
    if CAUSAL:
        whole = gl.minimum(whole, row0 // BLOCK_N)
    rm = row0 + gl.arange(0, ROWS, layout=rows_s)
    # Scores in log2 units, so the online softmax runs on exp2.
    row_scale = gl.full([ROWS], qk_scale, gl.float32, rows_s)
    if SCALED:
        sq = gl.load(sq_ptr + b * s_sqb + h * s_sqh + rm, mask=rm < Lq, other=1.0)
        row_scale = gl.where(sq >= 0, gl.maximum(row_scale * sq, FLT_MIN), float("nan"))
    m_i = gl.full([ROWS], float("-inf"), gl.float32, rows_s)
    l_i = gl.zeros([ROWS], gl.float32, rows_s)
    acc = gl.zeros([ROWS, D], gl.float32, o_layout)

    mbarrier.wait(q_bar, q_phase)
    # q from registers for 64-key blocks: a 64-row WGMMA with N = 64 that reads both operands from
    # shared memory needs about as many cycles of its bandwidth (128 bytes a clock) as of tensor-core
    # time. With 128-key blocks that ratio halves, and the registers q would take made them spill.
    q = q_smem.reshape([BLOCK_M, D]).slice(PART * ROWS, ROWS)
    if BLOCK_N < 128:
        q = q.load(gl.DotOperandLayout(operand_index=0, parent=s_layout, k_width=32 // QK_BITS))
    qk, sk = _scores(q, k_smem, sk_smem, k_bar, it, STAGES, s_layout, ACC, SCALED)
    qk = warpgroup_mma_wait(0, deps=[qk])
    p, m_i, l_i, alpha = _softmax(qk, m_i, l_i, row_scale, sk, 0, whole, rm, Lk, BLOCK_N, s_layout,
                                  CAUSAL, SCALED)
    for j in range(1, n_blocks):
        qk, sk = _scores(q, k_smem, sk_smem, k_bar, it + j, STAGES, s_layout, ACC, SCALED)
        acc = _pv(p, v_smem, v_bar, it + j - 1, acc, STAGES, p_layout)
        # Block j's softmax runs while block j-1's P·V does.
        qk = warpgroup_mma_wait(1, deps=[qk])
        p, m_i, l_i, alpha = _softmax(qk, m_i, l_i, row_scale, sk, j, whole, rm, Lk, BLOCK_N, s_layout,
                                      CAUSAL, SCALED)
        acc = warpgroup_mma_wait(0, deps=[acc])
        mbarrier.arrive(empty.index((it + j - 1) % STAGES), count=1)  # no WGMMA of this warpgroup reads it now
        acc = acc * gl.convert_layout(alpha, rows_o)[:, None]
    if PERSISTENT:
        mbarrier.arrive(q_empty, count=1)  # every QKᵀ of the tile is done: the next tile's q may load
    last = it + n_blocks - 1
    acc = warpgroup_mma_wait(0, deps=[_pv(p, v_smem, v_bar, last, acc, STAGES, p_layout)])
    if PERSISTENT:
        mbarrier.arrive(empty.index(last % STAGES), count=1)

    out = acc / gl.convert_layout(l_i, rows_o)[:, None]
    ro = row0 + gl.arange(0, ROWS, layout=rows_o)
    rd = gl.arange(0, D, layout=gl.SliceLayout(0, o_layout))
    o_ptrs = o_ptr + b * s_ob + h * s_oh + ro[:, None] * s_ol + rd[None, :]
    gl.store(o_ptrs, out.to(o_ptr.dtype.element_ty), mask=(ro < Lq)[:, None])


@gluon.jit
def _ring(q_desc, k_desc, v_desc, sk_desc, STAGES: gl.constexpr, SCALED: gl.constexpr, PARTS: gl.constexpr,
          WALK: gl.constexpr):
    """Shared memory and mbarriers: q, the ring of K and V stages (and the keys' scales if SCALED) and
    their barriers; q_empty (the computing warpgroups are done with a tile's q) only for WALK, else q_bar."""
    q_smem = gl.allocate_shared_memory(q_desc.dtype, q_desc.block_type.shape, q_desc.layout)
    k_smem = gl.allocate_shared_memory(k_desc.dtype, [STAGES] + k_desc.block_type.shape, k_desc.layout)
    v_smem = gl.allocate_shared_memory(v_desc.dtype, [STAGES] + v_desc.block_type.shape, v_desc.layout)
    q_bar = gl.allocate_shared_memory(gl.int64, [1], mbarrier.MBarrierLayout())
    q_empty = q_bar
    if WALK:
        q_empty = gl.allocate_shared_memory(gl.int64, [1], mbarrier.MBarrierLayout())
    k_bar = gl.allocate_shared_memory(gl.int64, [STAGES, 1], mbarrier.MBarrierLayout())
    v_bar = gl.allocate_shared_memory(gl.int64, [STAGES, 1], mbarrier.MBarrierLayout())
    empty = gl.allocate_shared_memory(gl.int64, [STAGES, 1], mbarrier.MBarrierLayout())
    sk_smem = q_bar  # unused unless SCALED: the key scales come with their keys, on k_bar
    if SCALED:
        sk_smem = gl.allocate_shared_memory(gl.float32, [STAGES] + sk_desc.block_type.shape, sk_desc.layout)
    mbarrier.init(q_bar, count=1)
    if WALK:
        mbarrier.init(q_empty, count=PARTS)
    for i in gl.static_range(STAGES):
        mbarrier.init(k_bar.index(i), count=1)
        mbarrier.init(v_bar.index(i), count=1)
        mbarrier.init(empty.index(i), count=PARTS)
    return q_smem, k_smem, v_smem, sk_smem, q_bar, q_empty, k_bar, v_bar, empty


@gluon.jit
def _gluon_attn_kernel(q_desc, k_desc, v_desc, sk_desc, o_ptr, sq_ptr, Lq, Lk, H, KV_GROUP, qk_scale,
                       s_ob, s_oh, s_ol, s_sqb, s_sqh,
                       STAGES: gl.constexpr, CAUSAL: gl.constexpr, SCALED: gl.constexpr, PARTS: gl.constexpr,
                       num_warps: gl.constexpr):
    """A program a tile of queries."""
    BLOCK_M: gl.constexpr = q_desc.block_type.shape[2]
    BLOCK_N: gl.constexpr = k_desc.block_type.shape[2]
    pid, blocks = gl.program_id(0), gl.cdiv(Lq, BLOCK_M)
    if CAUSAL:  # heads fastest and the longest query blocks first, as the Triton kernel
        heads = gl.num_programs(0) // blocks
        bh, start_m = pid % heads, (blocks - 1 - pid // heads) * BLOCK_M
    else:
        start_m, bh = (pid % blocks) * BLOCK_M, pid // blocks
    b, h = bh // H, bh % H
    kv_h = h // KV_GROUP
    q_smem, k_smem, v_smem, sk_smem, q_bar, _, k_bar, v_bar, empty = _ring(q_desc, k_desc, v_desc, sk_desc, STAGES,
                                                                           SCALED, PARTS, False)
    end = Lk
    if CAUSAL:
        end = gl.minimum(Lk, start_m + BLOCK_M)
    n_blocks = gl.cdiv(end, BLOCK_N)  # the same for every warpgroup: each hands back every stage
    loads = (q_desc, k_desc, v_desc, sk_desc, q_smem, k_smem, v_smem, sk_smem, q_bar, k_bar, v_bar, empty,
             b, h, kv_h, start_m, n_blocks)
    if PARTS == 1:
        gl.warp_specialize([
            (_consumer, (q_smem, k_smem, v_smem, sk_smem, q_bar, k_bar, v_bar, empty, o_ptr, sq_ptr, Lq, Lk, qk_scale,
                         s_ob, s_oh, s_ol, s_sqb, s_sqh, b, h, start_m, n_blocks, 0, PARTS, CAUSAL, SCALED)),
            (_producer, loads),
        ], [1], [24])
    else:
        gl.warp_specialize([
            (_consumer, (q_smem, k_smem, v_smem, sk_smem, q_bar, k_bar, v_bar, empty, o_ptr, sq_ptr, Lq, Lk, qk_scale,
                         s_ob, s_oh, s_ol, s_sqb, s_sqh, b, h, start_m, n_blocks, 0, PARTS, CAUSAL, SCALED)),
            (_consumer, (q_smem, k_smem, v_smem, sk_smem, q_bar, k_bar, v_bar, empty, o_ptr, sq_ptr, Lq, Lk, qk_scale,
                         s_ob, s_oh, s_ol, s_sqb, s_sqh, b, h, start_m, n_blocks, 1, PARTS, CAUSAL, SCALED)),
            (_producer, loads),
        # 240: the most the second warpgroup can take, with the producer's 24, in 64K (multiples of 8).
        ], [num_warps, 1], [240, 24])


@gluon.jit
def _gluon_attn_walk_kernel(q_desc, k_desc, v_desc, sk_desc, o_ptr, sq_ptr, Lq, Lk, BH, H, KV_GROUP, qk_scale,
                            s_ob, s_oh, s_ol, s_sqb, s_sqh,
                            STAGES: gl.constexpr, CAUSAL: gl.constexpr, SCALED: gl.constexpr, PARTS: gl.constexpr,
                            num_warps: gl.constexpr):
    """Persistent: each program walks its tiles of queries (_tile)."""
    q_smem, k_smem, v_smem, sk_smem, q_bar, q_empty, k_bar, v_bar, empty = _ring(q_desc, k_desc, v_desc, sk_desc,
                                                                                 STAGES, SCALED, PARTS, True)
    total = gl.cdiv(Lq, q_desc.block_type.shape[2]) * BH  # tiles of queries
    loads = (q_desc, k_desc, v_desc, sk_desc, q_smem, k_smem, v_smem, sk_smem, q_bar, q_empty, k_bar, v_bar, empty,
             total, BH, H, KV_GROUP, Lq, Lk, CAUSAL)
    if PARTS == 1:
        gl.warp_specialize([
            (_walking_consumer, (q_smem, k_smem, v_smem, sk_smem, q_bar, q_empty, k_bar, v_bar, empty, o_ptr, sq_ptr,
                                 total, BH, H, KV_GROUP, Lq, Lk, qk_scale, s_ob, s_oh, s_ol, s_sqb, s_sqh,
                                 0, PARTS, CAUSAL, SCALED)),
            (_walking_producer, loads),
        ], [1], [24])
    else:
        gl.warp_specialize([
            (_walking_consumer, (q_smem, k_smem, v_smem, sk_smem, q_bar, q_empty, k_bar, v_bar, empty, o_ptr, sq_ptr,
                                 total, BH, H, KV_GROUP, Lq, Lk, qk_scale, s_ob, s_oh, s_ol, s_sqb, s_sqh,
                                 0, PARTS, CAUSAL, SCALED)),
            (_walking_consumer, (q_smem, k_smem, v_smem, sk_smem, q_bar, q_empty, k_bar, v_bar, empty, o_ptr, sq_ptr,
                                 total, BH, H, KV_GROUP, Lq, Lk, qk_scale, s_ob, s_oh, s_ol, s_sqb, s_sqh,
                                 1, PARTS, CAUSAL, SCALED)),
            (_walking_producer, loads),
        ], [num_warps, 1], [240, 24])


def _descriptor(t, block_rows: int) -> TensorDescriptor:
    block = [1, 1, block_rows, t.shape[-1]]
    layout = gl.NVMMASharedLayout.get_default_for(block, GL_DTYPES[t.dtype])
    return TensorDescriptor(t, list(t.shape), list(t.stride()), block, layout)


def scale_descriptor(scale_k, block_n: int) -> TensorDescriptor:
    """The key scales (batch, kv_heads, len_kv) as TMA reads them, block_n keys a load; copied to rows
    padded to 16 bytes where their strides are not multiples of it. Keys past len_kv read as 0."""
    if not tma_ready(scale_k):
        B, Hkv, Lk = scale_k.shape
        scale_k = scale_k.new_empty(B, Hkv, triton.cdiv(Lk, 4) * 4)[..., :Lk].copy_(scale_k)
    # Unswizzled: one row of block_n floats, read back as one value for each column of the scores.
    layout = gl.NVMMASharedLayout(swizzle_byte_width=0, element_bitwidth=32, rank=3)
    return TensorDescriptor(scale_k, list(scale_k.shape), list(scale_k.stride()), [1, 1, block_n], layout)


def tma_ready(*tensors) -> bool:
    """TMA reads a tensor whose base is 16-byte aligned and whose outer strides are multiples of 16 bytes."""
    return all(t.data_ptr() % 16 == 0 and all(s * t.element_size() % 16 == 0 for s in t.stride()[:-1])
               for t in tensors)


def programs_per_sm(cfg: AttnConfig) -> int:
    """One computing warpgroup takes 64x64 blocks, whose 112 KB of shared memory let two programs
    share an SM; two take 128 rows and one program an SM."""
    return 2 if cfg.num_warps == 4 else 1


def launch_options(cfg: AttnConfig) -> dict:
    """The attention kernel's constexprs and compile options for ``cfg``: one computing warpgroup
    (PARTS) for each 64 of cfg.block_m's rows (cfg.num_warps = 4 PARTS), and the register cap."""
    return dict(STAGES=cfg.num_stages, PARTS=cfg.num_warps // 4, num_warps=4,
                maxnreg=warp_specialized_register_cap(cfg.num_warps, programs_per_sm(cfg)))


def attention_kernel(cfg: AttnConfig):
    """The kernel ``cfg`` launches: persistent (_gluon_attn_walk_kernel, which also takes batch x heads
    after Lk) or a program a tile (_gluon_attn_kernel)."""
    return _gluon_attn_walk_kernel if cfg.persistent else _gluon_attn_kernel


def gluon_attention(q, k, v, out, causal: bool, scale_q, scale_k, qk_scale: float, cfg: AttnConfig) -> None:
    """As triton_attention_kernels.attention, for sm_90 with D in (64, 128) and TMA-ready q, k, v."""
    B, H, Lq, _ = q.shape
    scaled = scale_q is not None
    sk_desc = scale_descriptor(scale_k, cfg.block_n) if scaled else None
    sq = scale_q if scaled else out  # an unused pointer when not scaled
    head = (_descriptor(q, cfg.block_m), _descriptor(k, cfg.block_n), _descriptor(v, cfg.block_n), sk_desc,
            out, sq, Lq, k.shape[2])
    rest = (H, H // k.shape[1], qk_scale, *out.stride()[:3], *(sq.stride()[:2] if scaled else (0, 0)))
    options = dict(CAUSAL=causal, SCALED=scaled, **launch_options(cfg))
    tiles = triton.cdiv(Lq, cfg.block_m) * B * H
    if cfg.persistent:  # as many programs as the SMs hold, walking the B * H heads' tiles
        grid, walk = min(tiles, programs_per_sm(cfg) * multiprocessor_count(q.device.index)), (B * H,)
    else:
        grid, walk = tiles, ()
    attention_kernel(cfg)[(grid,)](*head, *walk, *rest, **options)
