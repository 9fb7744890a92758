"""SM80 INT8 attention (attn_int8_qk, attn_int8): checks and fake kernel on the CPU; on a GPU (the H100
runs it through PTX), against the float64 attention of the dequantized inputs, which is what
F.scaled_dot_product_attention computes on them, within the bound gn_kernels.testing derives."""

import pytest
import torch
import torch.nn.functional as F
from torch._subclasses.fake_tensor import FakeTensorMode

from gn_kernels import attn_int8, attn_int8_qk, quant
from gn_kernels.testing import INT32_ACC, check_attention
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
