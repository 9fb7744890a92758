"""mma.sync attentions (SM80 attn_int8_qk and attn_int8, SM89/SM120a attn_mxfp8_qk): checks and fake
kernels on the CPU; on a GPU (the H100 runs the SM80 and SM89 builds through PTX), against the
float64 attention of the dequantized inputs, which is what F.scaled_dot_product_attention computes
on them, within the bound gn_kernels.testing derives."""

import pytest
import torch
import torch.nn.functional as F
from torch._subclasses.fake_tensor import FakeTensorMode

from gn_kernels import attn_int8, attn_int8_qk, attn_mxfp8_qk, quant
from gn_kernels.dispatch import KernelUnavailableError
from gn_kernels.testing import INT32_ACC, MMA_SYNC_FP8_PER_BLOCK, check_attention
from kernels import fake_cuda, require_op


def _quantized(B, H, L, gen_scale=1.0):
    """int8 tokens with their per-token scales, as quantize_int8_rowwise makes them."""
    x = torch.randn(B, H, L, 128, device="cuda") * gen_scale
    q, s = quant.quantize_int8_rowwise(x)
    return q, s.squeeze(-1)


def _check(out, q, k, v, causal, sq, sk, sv=None):
    # attn_int8 rounds P to steps of 1/255 of the running row maximum
    result = check_attention(out, q, k, v, causal, INT32_ACC, sq, sk, sv, p_step=0.0 if sv is None else 1 / 255)
    assert result.ok, str(result)


def _quantized_v(B, H, L):
    """int8 V with one scale per channel: amax over the tokens / 127."""
    v = torch.randn(B, H, L, 128, device="cuda")
    q, s = quant.quantize_int8_rowwise(v.transpose(-1, -2).contiguous())
    return q.transpose(-1, -2).contiguous(), s.squeeze(-1)


@pytest.mark.gpu
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("Lq,Lk", [(1, 1), (7, 33), (64, 64), (130, 200), (257, 129)])
def test_matches_reference(Lq, Lk, causal):
    require_op("attn_int8_qk")
    torch.manual_seed(Lq * 1000 + Lk)
    (q, sq), (k, sk) = _quantized(2, 3, Lq, 3.0), _quantized(2, 3, Lk)
    v = torch.randn(2, 3, Lk, 128, device="cuda", dtype=torch.bfloat16)
    _check(attn_int8_qk(q, k, v, sq, sk, causal), q, k, v, causal, sq, sk)


@pytest.mark.gpu
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("Lq,Lk", [(1, 1), (7, 33), (130, 200), (257, 129), (64, 1000)])
def test_int8_v_matches_reference(Lq, Lk, causal):
    require_op("attn_int8")
    torch.manual_seed(Lq * 1000 + Lk + 1)
    (q, sq), (k, sk) = _quantized(2, 3, Lq, 3.0), _quantized(2, 3, Lk)
    v, sv = _quantized_v(2, 3, Lk)
    _check(attn_int8(q, k, v, sq, sk, sv, causal), q, k, v, causal, sq, sk, sv)


@pytest.mark.gpu
def test_int8_v_bound_catches_a_channel_scale_applied_twice():
    # The P-step term is a worst case (every step rounding the same way), about 0.2 of |v| here;
    # it must still leave the check able to see a channel whose scale is applied twice.
    require_op("attn_int8")
    torch.manual_seed(3)
    (q, sq), (k, sk) = _quantized(1, 2, 64, 3.0), _quantized(1, 2, 256)
    v, sv = _quantized_v(1, 2, 256)
    out = attn_int8(q, k, v, sq, sk, sv)
    wrong = sv.clone()
    wrong[..., 5] *= 2
    assert not check_attention(out, q, k, v, False, INT32_ACC, sq, sk, wrong, p_step=1 / 255).ok


@pytest.mark.gpu
def test_strided_heads_and_sdpa_agreement():
    # (batch, len, heads, D) storage viewed as (batch, heads, len, D), as projections produce it.
    require_op("attn_int8_qk")
    torch.manual_seed(0)
    x = torch.randn(2, 300, 4, 128, device="cuda")
    qx, sx = quant.quantize_int8_rowwise(x)
    q, sq = qx.transpose(1, 2), sx.squeeze(-1).transpose(1, 2).contiguous()
    v = torch.randn(2, 300, 4, 128, device="cuda", dtype=torch.bfloat16).transpose(1, 2)
    out = attn_int8_qk(q, q, v, sq, sq, True)
    _check(out, q, q, v, True, sq, sq)
    deq = q.double() * sq.double()[..., None]
    sdpa = F.scaled_dot_product_attention(deq, deq, v.double(), is_causal=True)
    assert (out.double() - sdpa).abs().max() < 0.05  # loose: the bound above is the real test


@pytest.mark.gpu
def test_cuda_graph_replay():
    require_op("attn_int8_qk")
    (q, sq), (k, sk) = _quantized(1, 2, 100), _quantized(1, 2, 90)
    v = torch.randn(1, 2, 90, 128, device="cuda", dtype=torch.bfloat16)
    attn_int8_qk(q, k, v, sq, sk)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        out = attn_int8_qk(q, k, v, sq, sk)
    q2, _ = _quantized(1, 2, 100)
    q.copy_(q2)
    graph.replay()
    assert torch.equal(out, attn_int8_qk(q2, k, v, sq, sk))


def _fake(B=1, H=2, Lq=8, Lk=16, D=128, qk=torch.int8, vd=torch.bfloat16):
    return (fake_cuda(B, H, Lq, D, dtype=qk), fake_cuda(B, H, Lk, D, dtype=qk), fake_cuda(B, H, Lk, D, dtype=vd),
            fake_cuda(B, H, Lq, dtype=torch.float32), fake_cuda(B, H, Lk, dtype=torch.float32))


def test_fake_gives_bfloat16_like_q():
    with FakeTensorMode():
        out = attn_int8_qk(*_fake(Lq=0), True)
        assert out.shape == (1, 2, 0, 128) and out.dtype == torch.bfloat16
        assert attn_int8_qk(*_fake(Lq=77)).shape == (1, 2, 77, 128)


BAD = [
    ("fp8 q", dict(qk=torch.float8_e4m3fn), TypeError, r"attn_int8_qk: Q must have dtype int8"),
    ("float16 v", dict(vd=torch.float16), TypeError, r"attn_int8_qk: V must have dtype bfloat16"),
    ("head dim 64", dict(D=64), ValueError, r"Q must be \(batch, heads, len_q, 128\)"),
    ("no keys", dict(Lk=0), ValueError, r"len_kv must be at least 1"),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_input_raises_clear_error(case):
    _, kwargs, error, pattern = case
    with FakeTensorMode(), pytest.raises(error, match=pattern):
        attn_int8_qk(*_fake(**kwargs))


def test_attn_int8_checks_v_and_its_scales():
    with FakeTensorMode():
        q, k, _, sq, sk = _fake()
        v8 = fake_cuda(1, 2, 16, 128, dtype=torch.int8)
        assert attn_int8(q, k, v8, sq, sk, fake_cuda(1, 2, 128, dtype=torch.float32)).dtype == torch.bfloat16
        with pytest.raises(ValueError, match=r"scale_V must be a float32 \(batch, heads, 128\) = \(1, 2, 128\)"):
            attn_int8(q, k, v8, sq, sk, fake_cuda(1, 2, 16, dtype=torch.float32))
        with pytest.raises(TypeError, match=r"attn_int8: V must have dtype int8; got bfloat16"):
            attn_int8(q, k, fake_cuda(1, 2, 16, 128, dtype=torch.bfloat16), sq, sk, fake_cuda(1, 2, 128, dtype=torch.float32))


def test_size_one_dimensions_take_any_stride():
    with FakeTensorMode():
        q, k, v, sq, sk = _fake(Lk=1)
        odd = fake_cuda(1, 2, 1, 128, dtype=torch.bfloat16, stride=(256, 128, 1, 1))
        assert attn_int8_qk(q, k.as_strided(k.shape, (256, 128, 3, 1)), odd, sq, sk).shape == q.shape


def test_bad_scales_and_layouts_raise_clear_errors():
    with FakeTensorMode():
        q, k, v, sq, sk = _fake()
        with pytest.raises(ValueError, match=r"scale_K must be a float32 \(batch, heads, len\) = \(1, 2, 16\)"):
            attn_int8_qk(q, k, v, sq, fake_cuda(1, 2, 15, dtype=torch.float32))
        wide = fake_cuda(1, 2, 16, 256, dtype=torch.int8)[..., ::2]
        with pytest.raises(ValueError, match=r"K must have a contiguous last dimension"):
            attn_int8_qk(q, wide, v, sq, sk)


# ---- MXFP8 (attn_mxfp8_qk) ----------------------------------------------------------------------

FP8 = [torch.float8_e4m3fn, torch.float8_e5m2]


def _mx_tokens(B, H, L, dtype, spread=0):
    """MXFP8 tokens and their E8M0 scales from quantize_mx; ``spread`` scales each 32-channel block
    by its own power of two in [2**-spread, 2**spread], so that every block gets a different scale."""
    x = torch.randn(B, H, L, 128, device="cuda")
    if spread:
        x *= torch.exp2(torch.randint(-spread, spread + 1, (B, H, L, 4), device="cuda")).repeat_interleave(32, -1)
    return quant.quantize_mx(x, dtype)


def _check_mx(out, q, sq, k, sk, v, causal):
    q_deq, k_deq = quant.dequantize_mx(q, sq), quant.dequantize_mx(k, sk)  # exact in float32
    result = check_attention(out, q_deq, k_deq, v, causal, MMA_SYNC_FP8_PER_BLOCK)
    assert result.ok, str(result)


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", FP8, ids=["e4m3", "e5m2"])
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("Lq,Lk", [(1, 1), (7, 33), (64, 64), (130, 200), (257, 129)])
def test_mxfp8_matches_reference(Lq, Lk, causal, dtype):
    require_op("attn_mxfp8_qk")
    torch.manual_seed(Lq * 1000 + Lk + 2)
    (q, sq), (k, sk) = _mx_tokens(2, 3, Lq, dtype, spread=6), _mx_tokens(2, 3, Lk, dtype, spread=6)
    v = torch.randn(2, 3, Lk, 128, device="cuda", dtype=torch.bfloat16)
    _check_mx(attn_mxfp8_qk(q, k, v, sq, sk, causal), q, sq, k, sk, v, causal)


@pytest.mark.gpu
def test_mxfp8_bound_catches_block_scales_out_of_order():
    # Each block's scale must meet its own block: the check, given K's scales with two blocks
    # swapped, must reject the kernel's output.
    require_op("attn_mxfp8_qk")
    torch.manual_seed(4)
    (q, sq), (k, sk) = _mx_tokens(1, 2, 64, FP8[0], spread=6), _mx_tokens(1, 2, 256, FP8[0], spread=6)
    v = torch.randn(1, 2, 256, 128, device="cuda", dtype=torch.bfloat16)
    out = attn_mxfp8_qk(q, k, v, sq, sk)
    swapped = sk[..., [1, 0, 2, 3]].contiguous()
    k_deq = quant.dequantize_mx(k, swapped)
    assert not check_attention(out, quant.dequantize_mx(q, sq), k_deq, v, False, MMA_SYNC_FP8_PER_BLOCK).ok


@pytest.mark.gpu
def test_mxfp8_zero_tokens_and_the_smallest_scale():
    # All-zero tokens (their scale is whatever quantize_mx gives a zero block) and keys scaled by
    # the smallest E8M0 value, the subnormal 2**-127, which the kernel must decode exactly.
    require_op("attn_mxfp8_qk")
    torch.manual_seed(5)
    (q, sq), (k, sk) = _mx_tokens(1, 2, 40, FP8[0]), _mx_tokens(1, 2, 90, FP8[0])
    q[:, :, :3] = 0
    k[:, :, 10:20] = 0
    sk_codes = sk.view(torch.uint8)
    sk_codes[:, :, 30] = 0  # 2**-127: these keys score about 0
    v = torch.randn(1, 2, 90, 128, device="cuda", dtype=torch.bfloat16)
    for causal in (False, True):
        _check_mx(attn_mxfp8_qk(q, k, v, sq, sk, causal), q, sq, k, sk, v, causal)


@pytest.mark.gpu
def test_mxfp8_nan_scale_makes_the_rows_that_see_it_nan():
    require_op("attn_mxfp8_qk")
    torch.manual_seed(6)
    (q, sq), (k, sk) = _mx_tokens(1, 2, 70, FP8[0]), _mx_tokens(1, 2, 70, FP8[0])
    sk.view(torch.uint8)[0, 0, 5, 2] = 255  # E8M0 NaN on key 5 of head 0
    v = torch.randn(1, 2, 70, 128, device="cuda", dtype=torch.bfloat16)
    out = attn_mxfp8_qk(q, k, v, sq, sk)
    assert out[0, 0].isnan().all() and out[0, 1].isfinite().all()
    rows_nan = attn_mxfp8_qk(q, k, v, sq, sk, True)[0, 0].isnan().all(-1)
    assert not rows_nan[:5].any() and rows_nan[5:].all()


@pytest.mark.gpu
def test_mxfp8_quantized_heads_view():
    # (batch, len, heads, D) storage viewed as (batch, heads, len, D), scales likewise strided.
    require_op("attn_mxfp8_qk")
    torch.manual_seed(7)
    qx, sx = quant.quantize_mx(torch.randn(2, 150, 4, 128, device="cuda"), FP8[0])
    q, sq = qx.transpose(1, 2), sx.transpose(1, 2)
    v = torch.randn(2, 150, 4, 128, device="cuda", dtype=torch.bfloat16).transpose(1, 2)
    _check_mx(attn_mxfp8_qk(q, q, v, sq, sq, True), q, sq, q, sq, v, True)


@pytest.mark.gpu
def test_mxfp8_backend_choice():
    require_op("attn_mxfp8_qk", "89")
    (q, sq), (k, sk) = _mx_tokens(1, 1, 16, FP8[0]), _mx_tokens(1, 1, 16, FP8[0])
    v = torch.randn(1, 1, 16, 128, device="cuda", dtype=torch.bfloat16)
    assert torch.equal(attn_mxfp8_qk(q, k, v, sq, sk, backend="89"), attn_mxfp8_qk(q, k, v, sq, sk, backend="89"))
    if torch.cuda.get_device_capability() != (12, 0):
        with pytest.raises(KernelUnavailableError, match=r"attn_mxfp8_qk: no kernel runs on compute capability"):
            attn_mxfp8_qk(q, k, v, sq, sk, backend="120a")


def _fake_mx(Lq=8, Lk=16, qd=torch.float8_e4m3fn, kd=torch.float8_e4m3fn, sd=torch.float8_e8m0fnu, blocks=4):
    return (fake_cuda(1, 2, Lq, 128, dtype=qd), fake_cuda(1, 2, Lk, 128, dtype=kd),
            fake_cuda(1, 2, Lk, 128, dtype=torch.bfloat16), fake_cuda(1, 2, Lq, blocks, dtype=sd),
            fake_cuda(1, 2, Lk, blocks, dtype=sd))


def test_mxfp8_fake_gives_bfloat16_like_q():
    with FakeTensorMode():
        out = attn_mxfp8_qk(*_fake_mx(Lq=0), True)
        assert out.shape == (1, 2, 0, 128) and out.dtype == torch.bfloat16
        assert attn_mxfp8_qk(*_fake_mx(qd=torch.float8_e5m2, kd=torch.float8_e5m2)).shape == (1, 2, 8, 128)


BAD_MX = [
    ("int8 q", dict(qd=torch.int8, kd=torch.int8), TypeError, r"Q must have dtype float8_e4m3fn, float8_e5m2; got int8"),
    ("mixed q and k", dict(kd=torch.float8_e5m2), TypeError, r"K must have dtype float8_e4m3fn; got float8_e5m2"),
    ("float32 scales", dict(sd=torch.float32), TypeError, r"scale_Q must have dtype float8_e8m0fnu"),
    ("one scale per token", dict(blocks=1), ValueError, r"scale_Q must be a float8_e8m0fnu \(batch, heads, len, 4\)"),
]


@pytest.mark.parametrize("case", BAD_MX, ids=[c[0] for c in BAD_MX])
def test_mxfp8_bad_input_raises_clear_error(case):
    _, kwargs, error, pattern = case
    with FakeTensorMode(), pytest.raises(error, match=pattern):
        attn_mxfp8_qk(*_fake_mx(**kwargs))


def test_mxfp8_backend_must_be_a_family_that_has_it():
    with FakeTensorMode(), pytest.raises(ValueError, match=r"backend must be 'auto' or one of \['89', '120a'\]"):
        attn_mxfp8_qk(*_fake_mx(), backend="80")
