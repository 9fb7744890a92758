"""triton_block_scaled_mm: MXFP8, MXFP4 and NVFP4 products against the float64 product of the
operands dequantized by gn_kernels.quant (the OCP MX v1.0 and NVFP4 decodings), and the checks.

Each decoded product (element times its power-of-two or E4M3 block scale) is exact in bfloat16
(at most 4 + 4 significant bits), as are the products of two of them in float32, so the only
error is the float32 sum over K: FP32_ACC bounds it; nvfp4's output scale adds one rounding,
inside FP32_ACC's epilogue allowance.
"""

import pytest
import torch
from torch._subclasses.fake_tensor import FakeTensorMode

from gn_kernels import triton_block_scaled_mm
from gn_kernels.quant import FP4_DTYPE, dequantize_mx, dequantize_nvfp4, quantize_mx, quantize_nvfp4
from gn_kernels.testing import FP32_ACC, assert_gemm_close
from kernels import fake_cuda

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
E4M3, E5M2, E8M0 = torch.float8_e4m3fn, torch.float8_e5m2, torch.float8_e8m0fnu


def _heavy(rows, cols):
    """Normal values with a heavy tail of block magnitudes (2**-8 .. 2**8 per row), and one
    all-zero 32-wide block, so that scales span many exponents and a block's scale is the
    smallest the format has."""
    x = torch.randn(rows, cols, device=DEVICE) * torch.exp2(torch.randint(-8, 9, (rows, 1), device=DEVICE).float())
    x[0, :32] = 0
    return x


@pytest.mark.parametrize("M,N,K", [(1, 16, 64), (37, 40, 96), (130, 72, 320)])
@pytest.mark.parametrize("fmt,a_dtype,b_dtype", [("mxfp8", E4M3, E4M3), ("mxfp8", E5M2, E4M3), ("mxfp4", FP4_DTYPE, FP4_DTYPE)])
@pytest.mark.parametrize("method", ["ocp", "nv"])
def test_mx_matches_reference(M, N, K, fmt, a_dtype, b_dtype, method):
    torch.manual_seed(M + N + K)
    (xq, xs), (wq, ws) = quantize_mx(_heavy(M, K), a_dtype, method), quantize_mx(_heavy(N, K), b_dtype, method)
    out = triton_block_scaled_mm(xq, wq.t(), xs, ws.t(), fmt, torch.float32)
    assert out.shape == (M, N) and out.dtype == torch.float32
    assert_gemm_close(out, dequantize_mx(xq, xs).double(), dequantize_mx(wq, ws).double().t(), FP32_ACC)


@pytest.mark.parametrize("M,N,K", [(1, 16, 32), (37, 40, 96), (130, 72, 320)])
@pytest.mark.parametrize("out_dtype", [torch.bfloat16, torch.float32])
def test_nvfp4_matches_reference(M, N, K, out_dtype):
    torch.manual_seed(M * N + K)
    (xq, xs, xt), (wq, ws, wt) = quantize_nvfp4(_heavy(M, K)), quantize_nvfp4(_heavy(N, K))
    out = triton_block_scaled_mm(xq, wq.t(), xs, ws.t(), "nvfp4", out_dtype, (xt * wt).reshape(1))
    ref_A, ref_B = dequantize_nvfp4(xq, xs, xt).double(), dequantize_nvfp4(wq, ws, wt).double().t()
    assert_gemm_close(out, ref_A, ref_B, FP32_ACC)


def test_row_major_weight_copy_gives_the_same_bits():
    """B in either memory order: strides are followed, not assumed."""
    torch.manual_seed(3)
    (xq, xs), (wq, ws) = quantize_mx(torch.randn(9, 64, device=DEVICE), E4M3), quantize_mx(
        torch.randn(24, 64, device=DEVICE), E4M3)
    column_major = triton_block_scaled_mm(xq, wq.t(), xs, ws.t(), "mxfp8")
    row_major = triton_block_scaled_mm(xq, wq.t().contiguous(), xs, ws.t().contiguous(), "mxfp8")
    assert torch.equal(column_major, row_major)


def _fakes(fmt="mxfp8", M=8, N=16, K=64):
    dtype, scale, block = {"mxfp8": (E4M3, E8M0, 32), "mxfp4": (FP4_DTYPE, E8M0, 32),
                           "nvfp4": (FP4_DTYPE, E4M3, 16)}[fmt]
    stored = K // 2 if fmt != "mxfp8" else K
    return (fake_cuda(M, stored, dtype=dtype), fake_cuda(stored, N, dtype=dtype),
            fake_cuda(M, K // block, dtype=scale), fake_cuda(K // block, N, dtype=scale))


BAD = [
    ("unknown format", lambda: (*_fakes(), "mxfp6"), ValueError, r"format must be one of \['mxfp8', 'mxfp4', 'nvfp4'\]"),
    ("bfloat16 operands", lambda: (fake_cuda(8, 64, dtype=torch.bfloat16), *_fakes()[1:], "mxfp8"), TypeError,
     r"triton_block_scaled_mm: A must have dtype float8_e4m3fn, float8_e5m2"),
    ("float32 scales", lambda: (*_fakes()[:2], fake_cuda(8, 2, dtype=torch.float32), _fakes()[3], "mxfp8"), TypeError,
     r"scale_A must have dtype float8_e8m0fnu"),
    ("scales per 16 for mx", lambda: (*_fakes()[:2], fake_cuda(8, 4, dtype=E8M0), _fakes()[3], "mxfp8"), ValueError,
     r"scale_A for mxfp8 must have shape \(8, 2\)"),
    ("K not a multiple of the block", lambda: (fake_cuda(8, 48, dtype=E4M3), fake_cuda(48, 16, dtype=E4M3),
                                               fake_cuda(8, 1, dtype=E8M0), fake_cuda(1, 16, dtype=E8M0), "mxfp8"),
     ValueError, r"K \(the logical K, 1 values per stored element\) must be a multiple of 32; got 48"),
    ("nvfp4 without output scale", lambda: (*_fakes("nvfp4"), "nvfp4"), ValueError, r"output_scale .* is required for nvfp4"),
    ("output scale for mx", lambda: (*_fakes(), "mxfp8", torch.bfloat16, fake_cuda(1, dtype=torch.float32)), ValueError,
     r"taken by nothing else; got one for mxfp8"),
    ("two-element output scale", lambda: (*_fakes("nvfp4"), "nvfp4", torch.bfloat16, fake_cuda(2, dtype=torch.float32)), ValueError,
     r"output_scale must have one element"),
    ("int32 output", lambda: (*_fakes(), "mxfp8", torch.int32), TypeError, r"out_dtype must be one of"),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_input_raises_a_clear_error(case):
    _, make, error, message = case
    with FakeTensorMode(), pytest.raises(error, match=message):
        triton_block_scaled_mm(*make())


def test_fake_kernel_gives_shape_and_dtype():
    with FakeTensorMode():
        out = triton_block_scaled_mm(*_fakes("mxfp4", M=5, N=24, K=128), "mxfp4", torch.float16)
    assert out.shape == (5, 24) and out.dtype == torch.float16
