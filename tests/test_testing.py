"""The shared reference and tolerance: it accepts what rounding allows and rejects what it does not."""

import math

import pytest
import torch

from gn_kernels.testing import (
    FP32_ACC,
    HOPPER_FP8_FAST,
    HOPPER_FP8_PROMOTED,
    INT32_ACC,
    check_gemm,
)


def test_accumulation_bounds_follow_their_models():
    K = 4096
    u = 2.0**-24
    assert FP32_ACC.relative_error(K) == pytest.approx(K * u / (1 - K * u))
    assert INT32_ACC.relative_error(K) == 0
    # 4 WGMMA steps of 32 in each 128-deep chunk at 2**-13, then 32 float32 additions.
    assert HOPPER_FP8_PROMOTED.relative_error(K) == pytest.approx(4 * 2.0**-13 + 32 * u / (1 - 32 * u))
    assert HOPPER_FP8_FAST.relative_error(K) == pytest.approx(128 * 2.0**-13)
    assert HOPPER_FP8_PROMOTED.relative_error(64) == pytest.approx(2 * 2.0**-13 + u / (1 - u))


def _operands(M=33, N=17, K=300):
    g = torch.Generator().manual_seed(0)
    return torch.randn(M, K, generator=g), torch.randn(K, N, generator=g)


def test_float32_matmul_passes_its_bound():
    A, B = _operands()
    assert check_gemm(A @ B, A, B, FP32_ACC).ok


def test_rounding_to_bf16_is_allowed_but_not_more():
    A, B = _operands()
    out = (A.double() @ B.double()).to(torch.bfloat16)
    assert check_gemm(out, A, B, FP32_ACC).ok
    # Four bf16 ulps off (2**-5 relative) is past the half ulp the final rounding allows.
    out[3, 4] *= 1 + 2.0**-5
    result = check_gemm(out, A, B, FP32_ACC)
    assert not result.ok and "(3, 4)" in result.detail


def test_one_wrong_element_fails_and_is_located():
    A, B = _operands()
    out = A @ B
    out[10, 2] += 1e-3 * out.abs().max()
    result = check_gemm(out, A, B, FP32_ACC)
    assert not result.ok and result.worst_ratio > 1 and "(10, 2)" in result.detail


def test_nan_and_inf_never_pass():
    A, B = _operands()
    for bad in (math.nan, math.inf):
        out = A @ B
        out[0, 0] = bad
        assert not check_gemm(out, A, B, FP32_ACC).ok


def test_integer_accumulation_is_exact():
    g = torch.Generator().manual_seed(1)
    A = torch.randint(-128, 128, (9, 64), generator=g)
    B = torch.randint(-128, 128, (64, 5), generator=g)
    out = (A @ B).to(torch.int32)
    assert check_gemm(out, A, B, INT32_ACC).ok
    out[4, 4] += 1
    assert not check_gemm(out, A, B, INT32_ACC).ok


def test_row_subset_checks_only_those_rows():
    A, B = _operands(M=50)
    out = A @ B
    out[7] += 1.0
    rows = torch.tensor([0, 20, 49])
    assert check_gemm(out, A, B, FP32_ACC, rows=rows).ok
    assert not check_gemm(out, A, B, FP32_ACC, rows=torch.tensor([7])).ok


def test_bias_joins_the_reference():
    A, B = _operands()
    bias = torch.randn(B.shape[1]) * 10
    out = A @ B + bias
    assert check_gemm(out, A, B, FP32_ACC, bias=bias).ok
    assert not check_gemm(out, A, B, FP32_ACC).ok
