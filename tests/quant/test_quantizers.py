"""Every quantizer against hand-worked values, its edge cases, and its round-trip error bound."""

import math

import pytest
import torch

from gn_kernels import quant as Q
from gn_kernels.quant.formats import e2m1_values, unpack_nibbles

E4M3, E5M2 = torch.float8_e4m3fn, torch.float8_e5m2
NAN, INF = math.nan, math.inf


def row(*values, pad_to=None):
    v = list(values) + [0.0] * ((pad_to or len(values)) - len(values))
    return torch.tensor([v])


# ---- hand-worked values ------------------------------------------------------------------------


def test_fp8_rowwise_scale_one_keeps_values_and_rounds_ties_to_even():
    # amax 448 gives scale 1: 1.0625 lies halfway between 1.0 and 1.125 (odd mantissa) -> 1.0;
    # 1.1875 between 1.125 and 1.25 -> 1.25; 0.0009765625 = 2**-10 halfway between 0 and 2**-9 -> 0.
    q, s = Q.quantize_fp8_rowwise(row(448.0, 1.0625, 1.1875, -2**-10, 3.0), impl="reference")
    assert s.tolist() == [[1.0]]
    assert q.float().tolist() == [[448.0, 1.0, 1.25, -0.0, 3.0]]


def test_int8_rowwise_rounds_ties_to_even_and_maps_amax_to_127():
    q, s = Q.quantize_int8_rowwise(row(-127.0, 0.5, 1.5, 2.5, -0.5, 126.49), impl="reference")
    assert s.tolist() == [[1.0]]
    assert q.tolist() == [[-127, 0, 2, 2, 0, 126]]


def test_e5m2_rowwise():
    q, s = Q.quantize_fp8_rowwise(row(57344.0, 3.5, 1.125), E5M2, impl="reference")
    # e5m2 has 2 mantissa bits: 3.5 is exact, 1.125 is halfway between 1.0 and 1.25 -> 1.0
    assert s.tolist() == [[1.0]] and q.float().tolist() == [[57344.0, 3.5, 1.0]]


def test_mx_ocp_scale_is_floor_log2_minus_emax_and_saturates():
    x = row(500.0, 1.0, pad_to=32)  # floor(log2 500) = 8, e4m3 emax 8 -> e = 0 (code 127)
    q, s = Q.quantize_mx(x, E4M3, "ocp")
    assert s.view(torch.uint8).tolist() == [[127]]
    assert q.float()[0, :2].tolist() == [448.0, 1.0]  # 500 saturates to e4m3's max


def test_mx_nv_scale_rounds_up_so_nothing_saturates():
    x = row(500.0, 1.0, pad_to=32)  # ceil(log2(500 / 448)) = 1 -> scale 2 (code 128)
    q, s = Q.quantize_mx(x, E4M3, "nv")
    assert s.view(torch.uint8).tolist() == [[128]]
    assert q.float()[0, :2].tolist() == [256.0, 0.5]  # 250 rounds to 256 (e4m3 spacing 32 above 256)


def test_mxfp4_codes_and_scale():
    # amax 6 -> floor(log2 6) - 2 = 0 (scale 1): every E2M1 value maps to itself
    values = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, -0.5, -6.0, 0.25, 5.0]
    q, s = Q.quantize_mx(row(*values, pad_to=32), Q.FP4_DTYPE, "ocp")
    assert q.dtype == Q.FP4_DTYPE and q.shape == (1, 16) and s.view(torch.uint8).tolist() == [[127]]
    assert e2m1_values(unpack_nibbles(q))[0, :12].tolist() == values[:10] + [0.0, 4.0]


def test_mx_e8m0_scale_limits():
    tiny = row(2.0**-120, pad_to=32)  # floor(log2) - 8 = -128 -> clamped to -127 (code 0)
    q, s = Q.quantize_mx(tiny, E4M3, "ocp")
    assert s.view(torch.uint8).tolist() == [[0]] and q.float()[0, 0] == 128.0
    assert Q.dequantize_mx(q, s)[0, 0] == 2.0**-120
    huge = row(3.0e38, pad_to=32)  # floor(log2) = 127 -> e = 119 (code 246)
    q, s = Q.quantize_mx(huge, E4M3, "ocp")
    assert s.view(torch.uint8).tolist() == [[246]]
    top = torch.tensor([[254]], dtype=torch.uint8).view(torch.float8_e8m0fnu)  # 2**127
    assert Q.dequantize_mx(torch.ones(1, 32, dtype=E4M3), top)[0, 0] == 2.0**127


def test_nvfp4_block_and_tensor_scales():
    x = row(6.0, 3.0, -1.0, pad_to=16)
    q, s, ts = Q.quantize_nvfp4(x, tensor_scale=torch.tensor(0.5))
    # block scale = 6 / (6 * 0.5) = 2 (exact in e4m3); elements = x / (2 * 0.5)
    assert s.float().tolist() == [[2.0]] and ts.item() == 0.5
    assert e2m1_values(unpack_nibbles(q))[0, :3].tolist() == [6.0, 3.0, -1.0]
    _, _, ts = Q.quantize_nvfp4(torch.full((2, 16), 2688.0))
    assert ts.item() == 2688.0 / (448 * 6)


def test_int4_pack_order_and_saturation():
    x = torch.tensor([[-8, 7, 3, -1, 20, -20]], dtype=torch.int8)
    packed = Q.pack_int4(x)
    assert packed.view(torch.uint8).tolist() == [[0x78, 0xF3, 0x87]]
    assert Q.unpack_int4(packed).tolist() == [[-8, 7, 3, -1, 7, -8]]


# ---- zeros and non-finite inputs ----------------------------------------------------------------

GROUPED = [
    ("fp8_rowwise", lambda x: Q.quantize_fp8_rowwise(x, impl="reference"), Q.dequantize_fp8_rowwise),
    ("fp8_groupwise", lambda x: Q.quantize_fp8_groupwise(x, impl="reference"), Q.dequantize_fp8_groupwise),
    ("int8_rowwise", lambda x: Q.quantize_int8_rowwise(x, impl="reference"), Q.dequantize_int8_rowwise),
    ("mxfp8", lambda x: Q.quantize_mx(x, E4M3), Q.dequantize_mx),
    ("mxfp4_nv", lambda x: Q.quantize_mx(x, Q.FP4_DTYPE, "nv"), Q.dequantize_mx),
    ("nvfp4", lambda x: Q.quantize_nvfp4(x, torch.tensor(1.0))[:2],
     lambda q, s: Q.dequantize_nvfp4(q, s, torch.tensor(1.0))),
]


@pytest.mark.parametrize("name,quantize,dequantize", GROUPED, ids=[g[0] for g in GROUPED])
def test_all_zero_group_dequantizes_to_exact_zeros(name, quantize, dequantize):
    x = torch.randn(3, 256)
    x[1] = 0
    out = dequantize(*quantize(x))
    assert torch.equal(out[1], torch.zeros(256)) and torch.isfinite(out).all()


@pytest.mark.parametrize("bad", [NAN, INF, -INF])
@pytest.mark.parametrize("name,quantize,dequantize", GROUPED, ids=[g[0] for g in GROUPED])
def test_non_finite_input_poisons_only_its_group(name, quantize, dequantize, bad):
    x = torch.randn(3, 256)
    x[1, 5] = bad
    out = dequantize(*quantize(x))
    assert torch.isnan(out[1, 5])
    assert torch.isfinite(out[0]).all() and torch.isfinite(out[2]).all()


def test_fp8_blockwise_zero_and_nan_blocks():
    x = torch.randn(256, 256)
    x[:128, :128] = 0
    x[200, 200] = NAN
    q, s = Q.quantize_fp8_blockwise(x)
    assert s[0, 0] == 0 and torch.isnan(s[1, 1]) and torch.isfinite(s[0, 1])
    out = Q.dequantize_fp8_blockwise(q, s)
    assert torch.equal(out[:128, :128], torch.zeros(128, 128)) and torch.isnan(out[128:, 128:]).all()


def test_tensorwise_zero_tensor():
    q, s = Q.quantize_fp8_tensorwise(torch.zeros(4, 8))
    assert s.item() == 0 and torch.equal(Q.dequantize_fp8_tensorwise(q, s), torch.zeros(4, 8))


def test_tensorwise_given_scale_divides_rounds_to_even_and_saturates():
    # scale 0.5: x / 0.5 = 2x. 2 * 0.53125 = 1.0625 sits halfway between the E4M3 neighbours 1.0 and
    # 1.125: even mantissa 1.0 wins; 2 * 0.59375 = 1.1875 between 1.125 and 1.25 goes to 1.25.
    x = row(0.53125, 0.59375, -3.0, 300.0, -1e30, INF, -INF, 0.0)
    q, s = Q.quantize_fp8_tensorwise(x, scale=torch.tensor(0.5))
    assert s.item() == 0.5
    assert q.float().tolist() == [[1.0, 1.25, -6.0, 448.0, -448.0, 448.0, -448.0, 0.0]]
    q, _ = Q.quantize_fp8_tensorwise(row(1e9, -INF), E5M2, scale=torch.tensor(1.0))
    assert q.float().tolist() == [[57344.0, -57344.0]]


def test_tensorwise_given_scale_nan_and_unusable_scales():
    q, _ = Q.quantize_fp8_tensorwise(row(NAN, -NAN, 1.0), scale=torch.tensor(1.0))
    assert q.view(torch.uint8).tolist() == [[0x7F, 0x7F, 0x38]]  # NaN byte, sign dropped; 1.0 = 0x38
    for bad in (0.0, -1.0, INF, NAN):
        q, s = Q.quantize_fp8_tensorwise(row(1.0, NAN, INF), scale=torch.tensor(bad))
        assert q.view(torch.uint8).tolist() == [[0, 0, 0]]
        # 0 * scale: zeros for a finite scale, NaN (never a finite wrong value) for inf or NaN
        torch.testing.assert_close(Q.dequantize_fp8_tensorwise(q, s), row(0.0, 0.0, 0.0) * bad,
                                   rtol=0, atol=0, equal_nan=True)


def test_tensorwise_given_scale_argument_errors():
    with pytest.raises(ValueError, match="scale must be a one-element float32 tensor"):
        Q.quantize_fp8_tensorwise(torch.zeros(2, 4), scale=torch.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="scale must be a one-element float32 tensor"):
        Q.quantize_fp8_tensorwise(torch.zeros(2, 4), scale=torch.tensor(1.0, dtype=torch.float64))
    with pytest.raises(TypeError, match="dtype must be one of"):
        Q.quantize_fp8_tensorwise(torch.zeros(2, 4), torch.int8, scale=torch.tensor(1.0))


# ---- round trip within half an ulp at the scale ---------------------------------------------------


def _half_ulp(v: torch.Tensor, mantissa_bits: int, min_normal_exp: int) -> torch.Tensor:
    """Half the spacing of a float format around |v| (in the format's units)."""
    e = torch.floor(torch.log2(v.abs().clamp(min=2.0**min_normal_exp)))
    return 2.0 ** (e - mantissa_bits - 1)


def _inputs():
    g = torch.Generator().manual_seed(0)
    normal = torch.randn(64, 512, generator=g)
    # Student's t with 2 degrees of freedom (heavy tails): a normal over sqrt(chi-squared(2) / 2).
    chi2 = torch.randn(2, 64, 512, generator=g).square().sum(0)
    heavy = torch.randn(64, 512, generator=g) / (chi2 / 2).sqrt() * torch.rand(64, 1, generator=g) * 100
    return [normal, heavy]


@pytest.mark.parametrize("dtype,bits,emin", [(E4M3, 3, -6), (E5M2, 2, -14)])
def test_fp8_round_trips_within_half_ulp(dtype, bits, emin):
    for x in _inputs():
        for quantize, group in [(Q.quantize_fp8_rowwise, 512), (Q.quantize_fp8_groupwise, 128)]:
            q, s = quantize(x, dtype, impl="reference")
            scale = s.repeat_interleave(group, dim=-1)
            err = (q.float() * scale - x).abs()
            # half an ulp of the scaled value, plus float32 rounding of x * inv (2**-24 relative)
            bound = _half_ulp(x / scale, bits, emin) * scale * (1 + 2.0**-20) + x.abs() * 2.0**-23
            assert (err <= bound).all()


def test_int8_round_trips_within_half_step():
    for x in _inputs():
        q, s = Q.quantize_int8_rowwise(x, impl="reference")
        assert ((q.float() * s - x).abs() <= 0.5 * s * (1 + 2.0**-20) + x.abs() * 2.0**-23).all()


@pytest.mark.parametrize("dtype,bits,emin", [(E4M3, 3, -6), (E5M2, 2, -14), (Q.FP4_DTYPE, 1, 0)])
def test_mx_nv_round_trips_within_half_ulp(dtype, bits, emin):
    for x in _inputs():
        q, s = Q.quantize_mx(x, dtype, "nv")
        scale = s.float().repeat_interleave(32, dim=-1)
        err = (Q.dequantize_mx(q, s) - x).abs()
        assert (err <= _half_ulp(x / scale, bits, emin) * scale).all()


def test_nvfp4_round_trips_within_half_ulp_or_saturation():
    far_below = torch.randn(4, 64, generator=torch.Generator().manual_seed(3))
    far_below[1:3] *= 1e-5  # blocks whose E4M3 scale is subnormal next to the tensor's max
    far_below[3] *= 1e-7  # and blocks whose scale rounds to zero: they flush to zeros
    for x in _inputs() + [far_below]:
        q, s, ts = Q.quantize_nvfp4(x)
        denom = s.float().repeat_interleave(16, dim=-1) * ts
        v = x / denom
        err = (Q.dequantize_nvfp4(q, s, ts) - x).abs()
        # Rounding the block scale to E4M3 can leave the block max above 6: by at most 2**-4
        # relative for a normal E4M3 scale, by more for a block far below the tensor's max,
        # whose scale is an E4M3 subnormal. Those values saturate to 6.
        allowed = torch.maximum(_half_ulp(v, 1, 0), v.abs() - 6) * denom * (1 + 2.0**-20)
        # A zero scale means amax / (6 * ts) fell below half E4M3's smallest subnormal, 2**-10.
        allowed = torch.where(denom == 0, 2.0**-10 * 6 * ts, allowed)
        assert (err <= allowed).all()
    # the subnormal-scale and zero-scale cases were exercised
    assert ((s.float() < 2.0**-6) & (s.float() > 0)).any() and (s.float() == 0).any()


# ---- argument errors ----------------------------------------------------------------------------


def test_block_size_error_names_block_and_shape():
    with pytest.raises(ValueError, match=r"divisible by the block size 32; got shape \(2, 48\)"):
        Q.quantize_mx(torch.zeros(2, 48), E4M3)
    with pytest.raises(ValueError, match=r"block size 128; got shape \(100, 256\)"):
        Q.quantize_fp8_blockwise(torch.zeros(100, 256))
    with pytest.raises(ValueError, match=r"block size 16"):
        Q.quantize_nvfp4(torch.zeros(4, 24))


def test_dtype_errors():
    with pytest.raises(TypeError, match="x must be float32, bfloat16 or float16; got torch.int32"):
        Q.quantize_fp8_rowwise(torch.zeros(2, 4, dtype=torch.int32))
    with pytest.raises(TypeError, match="dtype must be one of"):
        Q.quantize_fp8_rowwise(torch.zeros(2, 4), torch.int8)
    with pytest.raises(TypeError, match="compute_scale_method must be one of"):
        Q.quantize_mx(torch.zeros(2, 32), E4M3, "floor")
    with pytest.raises(ValueError, match=r"quantize_fp8_rowwise_transposed: x must be a matrix \(R, C\); got shape \(2, 3, 4\)"):
        Q.quantize_fp8_rowwise_transposed(torch.zeros(2, 3, 4))
    with pytest.raises(ValueError, match=r"quantize_fp8_rowwise_both_ways: x must be a matrix \(R, C\); got shape \(5,\)"):
        Q.quantize_fp8_rowwise_both_ways(torch.zeros(5))
    with pytest.raises(TypeError, match="quantize_fp8_rowwise_both_ways: dtype must be one of"):
        Q.quantize_fp8_rowwise_both_ways(torch.zeros(2, 4), torch.int8)
    with pytest.raises(ValueError, match=r"quantize_fp8_groupwise_transposed: R \(the groups run along x's columns\) "
                                         r"must be divisible by 128; got shape \(100, 128\)"):
        Q.quantize_fp8_groupwise_transposed(torch.zeros(100, 128))
    with pytest.raises(ValueError, match=r"quantize_fp8_blockwise_transposed: R and C must be divisible by 128; "
                                         r"got shape \(128, 64\)"):
        Q.quantize_fp8_blockwise_transposed(torch.zeros(128, 64))
    with pytest.raises(ValueError, match=r"quantize_fp8_blockwise_transposed: x must be a matrix"):
        Q.quantize_fp8_blockwise_transposed(torch.zeros(2, 128, 128))
    with pytest.raises(TypeError, match="quantize_int8_rowwise_transposed: x must be float32"):
        Q.quantize_int8_rowwise_transposed(torch.zeros(2, 4, dtype=torch.int8))
    with pytest.raises(TypeError, match="pack_int4: x must be int8"):
        Q.pack_int4(torch.zeros(2, 4))


def test_leading_dimensions():
    x = torch.randn(2, 3, 256)
    q, s = Q.quantize_fp8_groupwise(x, impl="reference")
    assert q.shape == x.shape and s.shape == (2, 3, 2)
    q, s = Q.quantize_mx(x, Q.FP4_DTYPE)
    assert q.shape == (2, 3, 128) and s.shape == (2, 3, 8)
