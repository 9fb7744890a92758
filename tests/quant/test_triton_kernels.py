"""Each fused Triton quantizer equals its reference bit for bit.

On the GPU the kernels run compiled; without one, under TRITON_INTERPRET=1 on
CPU tensors (conftest sets it), at the same small and odd shapes.
"""

import math

import pytest
import torch

from gn_kernels import quant as Q

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
E4M3, E5M2 = torch.float8_e4m3fn, torch.float8_e5m2


def _input(shape, dtype=torch.float32, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=g) * torch.exp(torch.randn(shape[:-1] + (1,), generator=g) * 3)
    flat = x.view(-1, shape[-1])
    flat[0] = 0  # an all-zero row
    flat[-1, :3] = torch.tensor([math.nan, math.inf, -math.inf])[: min(3, shape[-1])]
    if flat.shape[0] > 2:  # exact ties of every rounding, scaled so that the row's max is one of them
        ties = torch.tensor([448.0, 1.0625, 1.1875, 0.25, 2.5, 3.5, 5.0, 0.75, 6.0, 127.0, 2.5, -0.5])
        flat[1, : len(ties)] = ties[: shape[-1]]
    return x.to(dtype).to(DEVICE)


def _bits(t):
    return t.view(torch.uint8) if t.element_size() == 1 else t.view(torch.int32) if t.element_size() == 4 else t


def assert_same_bits(got, want):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        assert torch.equal(_bits(g).cpu(), _bits(w).cpu())


CASES = [
    ("fp8_e4m3_rowwise", lambda x, impl: Q.quantize_fp8_rowwise(x, E4M3, impl=impl), (5, 3, 200)),
    ("fp8_e5m2_rowwise", lambda x, impl: Q.quantize_fp8_rowwise(x, E5M2, impl=impl), (7, 1500)),
    ("int8_rowwise", lambda x, impl: Q.quantize_int8_rowwise(x, impl=impl), (9, 2100)),
    ("int8_rowwise_two_pass", lambda x, impl: Q.quantize_int8_rowwise(x, impl=impl), (3, 16400)),
    ("fp8_groupwise", lambda x, impl: Q.quantize_fp8_groupwise(x, impl=impl), (11, 384)),
    ("fp8_e5m2_groupwise", lambda x, impl: Q.quantize_fp8_groupwise(x, E5M2, impl=impl), (3, 2, 128)),
    ("fp8_tensorwise", lambda x, impl: Q.quantize_fp8_tensorwise(x, impl=impl), (13, 96)),
    ("fp8_tensorwise_given_scale",
     lambda x, impl: Q.quantize_fp8_tensorwise(x, scale=torch.tensor(0.37, device=x.device), impl=impl), (13, 96)),
    ("fp8_e5m2_tensorwise_given_scale",
     lambda x, impl: Q.quantize_fp8_tensorwise(x, E5M2, scale=torch.tensor(1e-3, device=x.device), impl=impl), (3, 1000)),
    ("fp8_tensorwise_zero_scale",
     lambda x, impl: Q.quantize_fp8_tensorwise(x, scale=torch.tensor(0.0, device=x.device), impl=impl), (3, 32)),
    ("fp8_blockwise", lambda x, impl: Q.quantize_fp8_blockwise(x, impl=impl), (2, 256, 384)),
    ("mxfp8_e4m3_ocp", lambda x, impl: Q.quantize_mx(x, E4M3, "ocp", impl=impl), (17, 160)),
    ("mxfp8_e5m2_nv", lambda x, impl: Q.quantize_mx(x, E5M2, "nv", impl=impl), (5, 96)),
    ("mxfp4_ocp", lambda x, impl: Q.quantize_mx(x, Q.FP4_DTYPE, "ocp", impl=impl), (19, 224)),
    ("mxfp4_nv", lambda x, impl: Q.quantize_mx(x, Q.FP4_DTYPE, "nv", impl=impl), (2, 3, 64)),
    ("nvfp4_given_scale", lambda x, impl: Q.quantize_nvfp4(x, torch.tensor(0.03, device=x.device), impl=impl), (21, 144)),
    ("nvfp4_zero_scale", lambda x, impl: Q.quantize_nvfp4(x, torch.tensor(0.0, device=x.device), impl=impl), (3, 32)),
]


@pytest.mark.parametrize("name,quantize,shape", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("in_dtype", [torch.float32, torch.bfloat16, torch.float16])
def test_triton_equals_reference_bitwise(name, quantize, shape, in_dtype):
    x = _input(shape, in_dtype)
    assert_same_bits(quantize(x, "triton"), quantize(x, "reference"))


@pytest.mark.parametrize("in_dtype", [torch.float32, torch.bfloat16, torch.float16])
def test_fp4_from_a_view_at_an_odd_offset(in_dtype):
    # The packed kernels read value pairs as whole words; a view starting mid-word must not misalign them.
    values = _input((6, 64), in_dtype)
    x = torch.empty(1 + values.numel(), dtype=in_dtype, device=values.device)[1:].view(6, 64)
    x.copy_(values)
    assert x.data_ptr() % (2 * x.element_size()) != 0
    assert_same_bits(Q.quantize_mx(x, Q.FP4_DTYPE, "nv", impl="triton"), Q.quantize_mx(x, Q.FP4_DTYPE, "nv", impl="reference"))
    ts = torch.tensor(0.01, device=x.device)
    assert_same_bits(Q.quantize_nvfp4(x, ts, impl="triton"), Q.quantize_nvfp4(x, ts, impl="reference"))


def test_e2m1_rounding_at_every_tie_and_neighbour():
    # amax 6 gives the MX scale 1 (floor(log2 6) - 2 = 0): the kernel rounds these values as they are.
    ties = torch.tensor([0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0])
    step = torch.tensor(2.0**-20)
    values = torch.cat([ties, ties - step * ties, ties + step * ties, torch.tensor([0.0, 0.1, 0.5, 0.99, 1.0, 6.0])])
    x = torch.cat([values, -values]).reshape(-1)
    x = torch.cat([x, torch.zeros(-x.numel() % 32)]).reshape(-1, 32)
    x[:, 0] = 6.0
    x = x.to(DEVICE)
    assert_same_bits(Q.quantize_mx(x, Q.FP4_DTYPE, "ocp", impl="triton"), Q.quantize_mx(x, Q.FP4_DTYPE, "ocp", impl="reference"))


def test_nvfp4_computed_tensor_scale_matches():
    x = _input((4, 64))
    x[-1] = 1.0  # a finite tensor, so that its scale is too
    assert_same_bits(Q.quantize_nvfp4(x, impl="triton"), Q.quantize_nvfp4(x, impl="reference"))


def test_zero_rows():
    x = torch.zeros(0, 128, device=DEVICE)
    for impl in ("triton", "reference"):
        q, s = Q.quantize_fp8_groupwise(x, impl=impl)
        assert q.shape == (0, 128) and s.shape == (0, 1)
        q, s = Q.quantize_mx(x, Q.FP4_DTYPE, impl=impl)
        assert q.shape == (0, 64) and s.shape == (0, 4)


TRANSPOSED = [
    ("fp8_e4m3", lambda x, impl: Q.quantize_fp8_rowwise_transposed(x, impl=impl),
     lambda x, impl: Q.quantize_fp8_rowwise(x, impl=impl)),
    ("fp8_e5m2", lambda x, impl: Q.quantize_fp8_rowwise_transposed(x, E5M2, impl=impl),
     lambda x, impl: Q.quantize_fp8_rowwise(x, E5M2, impl=impl)),
    ("int8", lambda x, impl: Q.quantize_int8_rowwise_transposed(x, impl=impl),
     lambda x, impl: Q.quantize_int8_rowwise(x, impl=impl)),
]


@pytest.mark.parametrize("name,transposed,rowwise", TRANSPOSED, ids=[t[0] for t in TRANSPOSED])
@pytest.mark.parametrize("in_dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("shape", [(70, 130), (1, 3), (200, 64)])
def test_transposed_rowwise_is_rowwise_of_the_transpose(name, transposed, rowwise, in_dtype, shape):
    # _input's special rows (zeros, ties, NaN/inf) become special columns: all-zero, tied, non-finite
    # columns of x, i.e. rows of xᵀ; several row tiles of the kernel meet in one column's maximum.
    xt = _input(shape[::-1], in_dtype)
    x, want = xt.t(), rowwise(xt, "reference")
    for source in (x, x.contiguous()):  # strided and contiguous x
        for impl in ("triton", "reference"):
            assert_same_bits(transposed(source, impl), want)


@pytest.mark.parametrize("dtype", [torch.float8_e4m3fn, torch.float8_e5m2])
@pytest.mark.parametrize("in_dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("shape", [(70, 130), (1, 3), (200, 64), (130, 1)])
def test_both_ways_is_rowwise_then_transposed(dtype, in_dtype, shape):
    # Special rows and columns both: _input's special rows, then a column of zeros and a column holding
    # the largest finite value. One kernel's two sets of maxima must not leak into each other.
    x = _input(shape, in_dtype)
    x[:, 0] = 0.0
    x[:, -1] = torch.finfo(in_dtype).max
    want = (*Q.quantize_fp8_rowwise(x, dtype, impl="reference"),
            *Q.quantize_fp8_rowwise_transposed(x, dtype, impl="reference"))
    for source in (x, x.t().contiguous().t()):  # contiguous and strided x
        for impl in ("triton", "reference"):
            assert_same_bits(Q.quantize_fp8_rowwise_both_ways(source, dtype, impl=impl), want)


GROUPS_OF_THE_TRANSPOSE = [
    ("groupwise", Q.quantize_fp8_groupwise_transposed, Q.quantize_fp8_groupwise, [(256, 130), (128, 1), (384, 64)]),
    ("blockwise", Q.quantize_fp8_blockwise_transposed, Q.quantize_fp8_blockwise, [(256, 384), (128, 128)]),
]


@pytest.mark.parametrize("name,transposed,plain,shapes", GROUPS_OF_THE_TRANSPOSE,
                         ids=[g[0] for g in GROUPS_OF_THE_TRANSPOSE])
@pytest.mark.parametrize("dtype", [E4M3, E5M2])
@pytest.mark.parametrize("in_dtype", [torch.float32, torch.bfloat16])
def test_groups_of_the_transpose_are_those_of_a_transposed_copy(name, transposed, plain, shapes, dtype, in_dtype):
    # _input's special rows of xᵀ are special columns of x: all-zero, tied, non-finite groups and blocks.
    for shape in shapes:
        xt = _input(shape[::-1], in_dtype)
        x, want = xt.t(), plain(xt, dtype, impl="reference")
        for source in (x, x.contiguous()):
            for impl in ("triton", "reference"):
                assert_same_bits(transposed(source, dtype, impl=impl), want)


def test_groups_of_the_transpose_of_nothing():
    for impl in ("triton", "reference"):
        q, s = Q.quantize_fp8_groupwise_transposed(torch.zeros(0, 5, device=DEVICE), impl=impl)
        assert q.shape == (5, 0) and s.shape == (5, 0)
        q, s = Q.quantize_fp8_blockwise_transposed(torch.zeros(128, 0, device=DEVICE), impl=impl)
        assert q.shape == (0, 128) and s.shape == (0, 1)


def test_both_ways_of_nothing():
    for impl in ("triton", "reference"):
        q, s, qt, st = Q.quantize_fp8_rowwise_both_ways(torch.zeros(0, 5, device=DEVICE), impl=impl)
        assert q.shape == (0, 5) and s.shape == (0, 1) and qt.shape == (5, 0)
        assert torch.equal(st.cpu(), torch.zeros(5, 1))  # a row of nothing has scale 0
        q, s, qt, st = Q.quantize_fp8_rowwise_both_ways(torch.zeros(4, 0, device=DEVICE), impl=impl)
        assert q.shape == (4, 0) and torch.equal(s.cpu(), torch.zeros(4, 1)) and qt.shape == (0, 4)


def test_transposed_rowwise_of_nothing():
    for impl in ("triton", "reference"):
        q, s = Q.quantize_fp8_rowwise_transposed(torch.zeros(0, 5, device=DEVICE), impl=impl)
        assert q.shape == (5, 0) and torch.equal(s.cpu(), torch.zeros(5, 1))  # a row of nothing has scale 0
        q, s = Q.quantize_int8_rowwise_transposed(torch.zeros(5, 0, device=DEVICE), impl=impl)
        assert q.shape == (0, 5) and s.shape == (0, 1)
