"""triton_attn and triton_scaled_qk_attn against the float64 attention of the dequantized inputs
(gn_kernels.testing.check_attention derives the bound), and their checks. Without a GPU they run
under TRITON_INTERPRET=1 on CPU tensors at small sizes."""

import pytest
import torch
from torch._subclasses.fake_tensor import FakeTensorMode

from gn_kernels import triton_attn, triton_scaled_qk_attn
from gn_kernels.heuristics import triton_attention as configs
from gn_kernels.triton_attention_kernels import attention
from gn_kernels.testing import FP32_ACC, HOPPER_FP8_FAST, INT32_ACC, check_attention, quantize_tokens
from kernels import fake_cuda, gluon_attention_sm90a_build, ptxas_sm90a_report

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
BF16, F16, I8, E4M3 = torch.bfloat16, torch.float16, torch.int8, torch.float8_e4m3fn


def _qkv(B, H, Hkv, Lq, Lk, D, dtype):
    q = torch.randn(B, H, Lq, D, device=DEVICE, dtype=dtype)
    k = torch.randn(B, Hkv, Lk, D, device=DEVICE, dtype=dtype)
    return q, k, torch.randn(B, Hkv, Lk, D, device=DEVICE, dtype=dtype)


def _assert_close(out, *args, **kwargs):
    result = check_attention(out, *args, **kwargs)
    assert result.ok, str(result)


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("B,H,Hkv,Lq,Lk,D", [(1, 2, 2, 37, 37, 64), (2, 4, 2, 20, 45, 32), (1, 2, 1, 50, 17, 128),
                                              (1, 2, 2, 70, 150, 80)])
@pytest.mark.parametrize("dtype", [BF16, F16])
def test_attention_matches_reference(B, H, Hkv, Lq, Lk, D, dtype, causal):
    torch.manual_seed(Lq * Lk + D)
    q, k, v = _qkv(B, H, Hkv, Lq, Lk, D, dtype)
    out = triton_attn(q, k, v, causal)
    assert out.shape == q.shape and out.dtype == dtype
    _assert_close(out, q, k, v, causal, FP32_ACC)


def test_attention_takes_strided_heads_and_agrees_with_sdpa_on_a_peaked_softmax():
    # q, k, v as slices of one (B, L, 3, H, D) projection, transposed to (B, H, L, D): strided in
    # every dimension but the last. Large scores make the softmax nearly one-hot.
    qkv = torch.randn(2, 24, 3, 2, 64, device=DEVICE, dtype=BF16) * 4
    q, k, v = (qkv[:, :, i].transpose(1, 2) for i in range(3))
    out = triton_attn(q, k, v)
    _assert_close(out, q, k, v, False, FP32_ACC)


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("qk_dtype", [I8, E4M3])
@pytest.mark.parametrize("D", [16, 64])  # 8-bit tensor-core products are at least 32 deep: D = 16 is padded
def test_scaled_qk_attention_matches_reference(qk_dtype, causal, D):
    torch.manual_seed(7)
    B, H, Hkv, Lq, Lk = 2, 4, 2, 33, 40
    x_q, x_k, v = _qkv(B, H, Hkv, Lq, Lk, D, torch.float32)
    v = v.to(BF16)
    (q, scale_q), (k, scale_k) = quantize_tokens(x_q, qk_dtype), quantize_tokens(x_k, qk_dtype)
    out = triton_scaled_qk_attn(q, k, v, scale_q, scale_k, causal)
    acc = INT32_ACC if qk_dtype == I8 else (FP32_ACC if DEVICE == "cpu" else HOPPER_FP8_FAST)
    _assert_close(out, q, k, v, causal, acc, scale_q, scale_k)


@pytest.mark.parametrize("causal", [False, True])
def test_scaled_qk_attention_on_zero_negative_and_nan_query_scales(causal):
    # The kernels fold scale_q into the exponent, which needs it >= 0 (see triton_attention): a zero
    # scale gives a uniform row, which the float64 reference computes too; a negative or NaN one
    # gives a row of NaN and leaves the other rows as they were, bit for bit.
    torch.manual_seed(3)
    x_q, x_k, v = _qkv(1, 2, 2, 20, 40, 64, torch.float32)
    v = v.to(BF16)
    (q, scale_q), (k, scale_k) = quantize_tokens(x_q, I8), quantize_tokens(x_k, I8)
    scale_q[:, :, 3] = 0
    out = triton_scaled_qk_attn(q, k, v, scale_q, scale_k, causal)
    _assert_close(out, q, k, v, causal, INT32_ACC, scale_q, scale_k)
    bad = scale_q.clone()
    bad[:, 0, 5], bad[:, 1, 6] = -bad[:, 0, 5], float("nan")
    out_bad = triton_scaled_qk_attn(q, k, v, bad, scale_k, causal)
    assert out_bad[:, 0, 5].isnan().all() and out_bad[:, 1, 6].isnan().all()
    out_bad[:, 0, 5], out_bad[:, 1, 6] = out[:, 0, 5], out[:, 1, 6]
    assert torch.equal(out_bad, out)


ON_SM90 = DEVICE == "cuda" and torch.cuda.get_device_capability() == (9, 0)


def _as_qk(q, k, qk_dtype):
    """q and k in bfloat16, or quantized per token to qk_dtype with their scales (as keyword arguments)."""
    if qk_dtype == BF16:
        return q.to(BF16), k.to(BF16), {}
    (q, scale_q), (k, scale_k) = quantize_tokens(q, qk_dtype), quantize_tokens(k, qk_dtype)
    return q, k, dict(scale_q=scale_q, scale_k=scale_k)


@pytest.mark.skipif(DEVICE == "cpu", reason="too slow for the interpreter")
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("qk_dtype", [BF16, I8, E4M3])
@pytest.mark.parametrize("D", [64, 128])
@pytest.mark.parametrize("kernel", ["picked", "gluon", "gluon_one_warpgroup", "gluon_64_keys"])
def test_attention_over_many_key_blocks(kernel, qk_dtype, D, causal):
    # 1000 keys: eight blocks of 128 through the stages of the Gluon kernel's ring, the last one
    # partial; 300 queries: a partial query block. GQA, two query heads to a K/V head. "picked" runs
    # what the heuristics choose (on sm_90 the Gluon kernel, four stages for 8-bit q and k non-causal),
    # "gluon" HOPPER's three stages (two warpgroups sharing the ring, q read from shared memory); then
    # one warpgroup, and two with blocks of 64 keys (q in registers in both).
    if kernel != "picked" and not ON_SM90:
        pytest.skip("the Gluon kernel is built for sm_90")
    torch.manual_seed(D)
    q, k, v = _qkv(2, 4, 2, 300, 1000, D, torch.float32)
    v = v.to(BF16)
    q, k, scales = _as_qk(q, k, qk_dtype)
    out = torch.empty(q.shape, dtype=BF16, device=DEVICE)
    cfg = {"picked": None, "gluon": configs.HOPPER, "gluon_one_warpgroup": configs.AttnConfig(64, 64, 4, 3, gluon=True),
           "gluon_64_keys": configs.AttnConfig(128, 64, 8, 3, gluon=True)}[kernel]
    attention(q, k, v, out, causal, scales.get("scale_q"), scales.get("scale_k"), cfg=cfg)
    acc = {BF16: FP32_ACC, I8: INT32_ACC, E4M3: HOPPER_FP8_FAST}[qk_dtype]
    _assert_close(out, q, k, v, causal, acc, *scales.values())


@pytest.mark.skipif(not ON_SM90, reason="the Gluon kernel is built for sm_90")
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("qk_dtype", [BF16, I8, E4M3])
@pytest.mark.parametrize("kernel", ["gluon", "gluon_one_warpgroup"])
def test_gluon_kernel_walks_more_tiles_than_it_has_programs(kernel, qk_dtype, causal):
    # The persistent Gluon kernel runs as many programs as the SMs hold, each walking tiles of queries
    # in rounds, backwards in odd ones. Two more heads than SMs, of 300 queries (3 tiles of 128 rows,
    # 5 of 64, the last partial), make 3 or 4 rounds, the last one partial, with the ring and q's
    # buffer carried from tile to tile.
    from gn_kernels.dispatch import multiprocessor_count

    heads = multiprocessor_count(torch.cuda.current_device()) + 2
    heads += heads % 2
    torch.manual_seed(heads)
    q, k, v = _qkv(1, heads, 2, 300, 400, 64, torch.float32)
    v = v.to(BF16)
    q, k, scales = _as_qk(q, k, qk_dtype)
    out = torch.empty(q.shape, dtype=BF16, device=DEVICE)
    cfg = {"gluon": configs.HOPPER, "gluon_one_warpgroup": configs.AttnConfig(64, 64, 4, 3, True, True)}[kernel]
    assert cfg.persistent
    attention(q, k, v, out, causal, scales.get("scale_q"), scales.get("scale_k"), cfg=cfg)
    acc = {BF16: FP32_ACC, I8: INT32_ACC, E4M3: HOPPER_FP8_FAST}[qk_dtype]
    _assert_close(out, q, k, v, causal, acc, *scales.values())


@pytest.mark.parametrize("persistent", [False, True])
def test_gluon_launch_binds_each_argument_to_its_parameter(monkeypatch, persistent):
    # The two Gluon kernels take their scalars in different orders (the walk takes batch x heads
    # after Lk), and a launch that bound one to another's name would go wrong only on a GPU: here
    # each launch is recorded against the kernel's parameter names instead of run.
    from gn_kernels import triton_attention_hopper as hopper

    launched = {}

    class Recorder:
        def __init__(self, kernel):
            self.kernel = kernel

        def __getitem__(self, grid):
            def launch(*args, **constexprs):
                launched.update(zip(self.kernel.arg_names, args), grid=grid, kernel=self.kernel, args=len(args),
                                **constexprs)
            return launch

    kernels = {name: getattr(hopper, name) for name in ("_gluon_attn_kernel", "_gluon_attn_walk_kernel")}
    for name, kernel in kernels.items():
        monkeypatch.setattr(hopper, name, Recorder(kernel))
    monkeypatch.setattr(hopper, "multiprocessor_count", lambda index: 4)
    B, H, Hkv, Lq, Lk = 2, 6, 3, 300, 256
    q, k = torch.empty(B, H, Lq, 128, dtype=I8), torch.empty(B, Hkv, Lk, 128, dtype=I8)
    v, out = torch.empty(B, Hkv, Lk, 128, dtype=BF16), torch.empty(B, H, Lq, 128, dtype=BF16)
    scale_q, scale_k = torch.empty(B, H, Lq), torch.empty(B, Hkv, Lk)
    cfg = configs.AttnConfig(128, 128, 8, 3, True, persistent)
    hopper.gluon_attention(q, k, v, out, True, scale_q, scale_k, 0.5, cfg)
    tiles = 3 * B * H
    expected = dict(Lq=Lq, Lk=Lk, H=H, KV_GROUP=2, qk_scale=0.5, s_ob=out.stride(0), s_oh=out.stride(1),
                    s_ol=out.stride(2), s_sqb=scale_q.stride(0), s_sqh=scale_q.stride(1), CAUSAL=True, SCALED=True,
                    grid=(min(tiles, 4),) if persistent else (tiles,))
    if persistent:
        expected["BH"] = B * H
    assert {name: launched[name] for name in expected} == expected
    assert launched["o_ptr"] is out and launched["sq_ptr"] is scale_q
    assert launched["kernel"] is kernels["_gluon_attn_walk_kernel" if persistent else "_gluon_attn_kernel"]
    assert launched["args"] == launched["kernel"].arg_names.index("STAGES")  # every parameter before the constexprs


def test_gluon_kernel_takes_only_what_tma_can_read():
    from gn_kernels.triton_attention_hopper import tma_ready

    x = torch.empty(2, 4, 40, 64, dtype=BF16)
    assert tma_ready(x, x[:, :2], x.transpose(1, 2))
    assert not tma_ready(x.flatten()[1:65].view(1, 1, 1, 64))  # base 2 bytes past a 16-byte boundary
    assert not tma_ready(torch.empty(1, 1, 40, 68, dtype=BF16)[..., :64])  # rows 136 bytes apart


def test_empty_queries_give_an_empty_output():
    q, k, v = _qkv(1, 2, 2, 0, 5, 32, BF16)
    assert triton_attn(q, k, v).shape == (1, 2, 0, 32)


BAD = [
    ("heads not divisible", lambda: (fake_cuda(1, 3, 8, 64, dtype=BF16), fake_cuda(1, 2, 8, 64, dtype=BF16),
                                     fake_cuda(1, 2, 8, 64, dtype=BF16)), ValueError, r"kv_heads \(2\) must divide heads \(3\)"),
    ("D not a multiple of 16", lambda: (fake_cuda(1, 2, 8, 40, dtype=BF16), fake_cuda(1, 2, 8, 40, dtype=BF16),
                                        fake_cuda(1, 2, 8, 40, dtype=BF16)), ValueError, r"D must be a multiple of 16"),
    ("no keys", lambda: (fake_cuda(1, 2, 8, 64, dtype=BF16), fake_cuda(1, 2, 0, 64, dtype=BF16),
                         fake_cuda(1, 2, 0, 64, dtype=BF16)), ValueError, r"len_kv must be at least 1"),
    ("v of another shape", lambda: (fake_cuda(1, 2, 8, 64, dtype=BF16), fake_cuda(1, 2, 8, 64, dtype=BF16),
                                    fake_cuda(1, 2, 9, 64, dtype=BF16)), ValueError, r"k and v must have shape"),
    ("float32 q", lambda: (fake_cuda(1, 2, 8, 64, dtype=torch.float32), fake_cuda(1, 2, 8, 64, dtype=BF16),
                           fake_cuda(1, 2, 8, 64, dtype=BF16)), TypeError, r"triton_attn: q must have dtype bfloat16, float16"),
    ("last dimension strided", lambda: (fake_cuda(1, 2, 8, 64, dtype=BF16, stride=(1024, 512, 64, 2)),
                                        fake_cuda(1, 2, 8, 64, dtype=BF16), fake_cuda(1, 2, 8, 64, dtype=BF16)),
     ValueError, r"q must have a contiguous last dimension"),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_input_raises_clear_error(case):
    _, make, error, pattern = case
    with FakeTensorMode(), pytest.raises(error, match=pattern):
        triton_attn(*make())


def test_scaled_attention_checks_its_scales_and_fake_gives_v_dtype():
    with FakeTensorMode():
        q, k, v = fake_cuda(1, 2, 8, 64, dtype=I8), fake_cuda(1, 2, 6, 64, dtype=I8), fake_cuda(1, 2, 6, 64, dtype=F16)
        sq, sk = fake_cuda(1, 2, 8, dtype=torch.float32), fake_cuda(1, 2, 6, dtype=torch.float32)
        assert triton_scaled_qk_attn(q, k, v, sq, sk).dtype == F16
        with pytest.raises(ValueError, match=r"scale_k must be a float32 \(batch, heads, len\) = \(1, 2, 6\)"):
            triton_scaled_qk_attn(q, k, v, sq, fake_cuda(1, 2, 8, dtype=torch.float32))
        with pytest.raises(TypeError, match=r"k must have dtype int8; got float8_e4m3fn"):
            triton_scaled_qk_attn(q, fake_cuda(1, 2, 6, 64, dtype=E4M3), v, sq, sk)


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("qk", ["bf16", "i8", "fp8e4nv"])
def test_kernel_keeps_its_wgmmas_asynchronous_on_sm90a(qk, causal):
    # ptxas serializes every WGMMA of a kernel when it cannot keep them in flight (C7515): with
    # Triton 3.6, masked K/V loads in a second loop over the masked blocks did, for int8 and FP8
    # q and k (438 and 443 TFLOPS against 523 and 530 on the H200: benchmarks/results/
    # h200_attn_serialized.md, h200_attn_sweep.md). Compiled as the heuristics launch it, head
    # dim 128, strides multiples of 16; no GPU needed.
    cfg = configs.pick(qk != "bf16", interpreting=False)
    report = ptxas_sm90a_report(
        "gn_kernels.triton_attention_kernels", "_attn_kernel",
        {"q_ptr": f"*{qk}", "k_ptr": f"*{qk}", "v_ptr": "*bf16", "o_ptr": "*bf16", "sq_ptr": "*fp32", "sk_ptr": "*fp32"},
        dict(D=128, BLOCK_M=cfg.block_m, BLOCK_N=cfg.block_n, BLOCK_D=128, CAUSAL=causal, SCALED=qk != "bf16",
             QK_ACC="int32" if qk == "i8" else "float32", UPCAST=False, INTERPRET=False),
        ["Lq", "Lk", "s_qb", "s_qh", "s_ql", "s_kb", "s_kh", "s_kl", "s_vb", "s_vh", "s_vl", "s_ob", "s_oh", "s_ol"],
        cfg.num_warps, cfg.num_stages)
    assert "Used" in report and "registers" in report, report  # ptxas compiled the kernel
    assert "Potential Performance Loss" not in report, report


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("qk", ["bfloat16", "int8", "float8_e4m3fn"])
def test_gluon_kernel_keeps_its_wgmmas_asynchronous_and_its_registers_on_sm90a(qk, causal):
    # Issuing block j+1's QKᵀ before block j's softmax, with block j's P·V in flight across the loop's
    # back edge, made ptxas serialize every WGMMA (C7514) when the loop rescaled the output; and a
    # spill would put local-memory traffic in the inner loop. Head dim 128, as the heuristics launch it.
    report, _ = gluon_attention_sm90a_build(qk, causal, _picked_on_sm90(qk, causal))
    assert "Used" in report and "registers" in report, report  # ptxas compiled the kernel
    assert "Potential Performance Loss" not in report, report
    assert "0 bytes spill stores" in report, report


def _picked_on_sm90(qk: str, causal: bool) -> configs.AttnConfig:
    return configs.pick(qk != "bfloat16", interpreting=False, hopper=True, causal=causal)


def _between_the_waits(qk: str, causal: bool) -> list[str]:
    """The Gluon kernel's SASS (as picked on sm_90a) from the loop's wait for block j's QKᵀ (DEPBAR.LE 1,
    block j-1's P·V still in flight) to the next WGMMA wait, both included."""
    sass = gluon_attention_sm90a_build(qk, causal, _picked_on_sm90(qk, causal))[1].splitlines()
    first = next(i for i, op in enumerate(sass) if op.startswith("WARPGROUP.DEPBAR.LE gsb0, 0x1"))
    second = next(i for i in range(first + 1, len(sass)) if sass[i].startswith("WARPGROUP.DEPBAR"))
    return sass[first:second + 1]


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("qk", ["bfloat16", "int8"])
def test_gluon_kernel_runs_the_softmax_before_waiting_for_the_previous_pv_on_sm90a(qk, causal):
    # The loop issues block j's QKᵀ and block j-1's P·V, waits for the first (DEPBAR.LE 1), runs
    # block j's softmax, then waits for the P·V (DEPBAR.LE 0). ptxas moves that second wait to the top
    # of its basic block; when the exponentials sat in a block of their own after the masking `if`,
    # it landed before them and the softmax no longer overlapped the P·V (1.026x slower non-causal
    # on an H200: benchmarks/results/h200_attn_softmax_before_wait.md). Each of a warpgroup's 128
    # threads holds 64 x BLOCK_N / 128 scores of a block, and must exponentiate them all in between.
    between = _between_the_waits(qk, causal)
    exponentials = sum(op.startswith("MUFU.EX2") for op in between)
    assert exponentials >= 64 * _picked_on_sm90(qk, causal).block_n // 128, between


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("qk", ["int8", "float8_e4m3fn"])
def test_gluon_kernel_reads_the_key_scales_from_its_ring_on_sm90a(qk, causal):
    # The keys' scales come with their keys through TMA (a 3-D load, scale_k being (batch, kv_heads,
    # len_kv)) and are read from shared memory. Loaded by the computing warps from global memory,
    # 16 loads a thread a block, between the QKᵀ wait and the P·V wait, int8 ran at 470-474 TFLOPS
    # non-causal against 514-521 (benchmarks/results/h200_attn_gluon_key_scales.md).
    between = _between_the_waits(qk, causal)
    assert not [op for op in between if op.startswith("LDG")], between
    sass = gluon_attention_sm90a_build(qk, causal, _picked_on_sm90(qk, causal))[1]
    assert "UTMALDG.3D" in sass, "no 3-D TMA load of the key scales"


@pytest.mark.parametrize("causal", [False, True])
def test_gluon_kernel_converts_int32_scores_without_i2f_on_sm90a(causal):
    # int8 q and k give int32 scores; converted by I2F, 64 a thread a 128-key block, they ran at 641
    # TFLOPS non-causal on an H200 against 644-647 through the float-exponent trick (an integer add
    # and a float subtract: benchmarks/results/h200_attn_int8_exponent_trick.md).
    between = _between_the_waits("int8", causal)
    assert not [op for op in between if op.startswith("I2F")], between
