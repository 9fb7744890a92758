import math

import pytest
import torch
from torch._subclasses.fake_tensor import FakeTensorMode

from gn_kernels import cutlass_fp8_mm
from gn_kernels.testing import HOPPER_FP8_PROMOTED, assert_gemm_close
from kernels import fake_cuda, require_op

FP8 = torch.float8_e4m3fn
OUT_DTYPES = [torch.bfloat16, torch.float16, torch.float32]


# ---- checks and fake kernel (CPU, fake CUDA tensors) -------------------------------------------


@pytest.mark.parametrize("out_dtype", OUT_DTYPES)
@pytest.mark.parametrize("M", [0, 1, 7, 4097])
def test_fake_shape_and_dtype(M, out_dtype):
    with FakeTensorMode():
        A, B = fake_cuda(M, 64, dtype=FP8), fake_cuda(32, 64, dtype=FP8).t()
        out = cutlass_fp8_mm(A, B, out_dtype)
    assert out.shape == (M, 32) and out.dtype == out_dtype and out.device.type == "cuda"


BAD_INPUTS = [
    # (description, A builder, B builder, out_dtype, error type, message pattern)
    ("A bf16", lambda: fake_cuda(8, 32, dtype=torch.bfloat16), lambda: fake_cuda(16, 32, dtype=FP8).t(),
     torch.bfloat16, TypeError, r"cutlass_fp8_mm: A must have dtype float8_e4m3fn; got bfloat16"),
    ("B e5m2", lambda: fake_cuda(8, 32, dtype=FP8), lambda: fake_cuda(16, 32, dtype=torch.float8_e5m2).t(),
     torch.bfloat16, TypeError, r"B must have dtype float8_e4m3fn; got float8_e5m2"),
    ("out int32", lambda: fake_cuda(8, 32, dtype=FP8), lambda: fake_cuda(16, 32, dtype=FP8).t(),
     torch.int32, TypeError, r"out_dtype must be one of bfloat16, float16, float32; got int32"),
    ("B row-major", lambda: fake_cuda(8, 32, dtype=FP8), lambda: fake_cuda(32, 16, dtype=FP8),
     torch.bfloat16, ValueError, r"B must be column-major"),
    ("A column-major", lambda: fake_cuda(32, 8, dtype=FP8).t(), lambda: fake_cuda(16, 32, dtype=FP8).t(),
     torch.bfloat16, ValueError, r"A must be row-major"),
    ("K mismatch", lambda: fake_cuda(8, 32, dtype=FP8), lambda: fake_cuda(16, 48, dtype=FP8).t(),
     torch.bfloat16, ValueError, r"must agree on K"),
    ("N not multiple of 16", lambda: fake_cuda(8, 32, dtype=FP8), lambda: fake_cuda(24, 32, dtype=FP8).t(),
     torch.bfloat16, ValueError, r"N \(B.shape\[1\]\) must be a multiple of 16; got 24"),
    ("K not multiple of 16", lambda: fake_cuda(8, 40, dtype=FP8), lambda: fake_cuda(16, 40, dtype=FP8).t(),
     torch.bfloat16, ValueError, r"K \(A.shape\[1\]\) must be a multiple of 16; got 40"),
    ("A 3-D", lambda: fake_cuda(2, 8, 32, dtype=FP8), lambda: fake_cuda(16, 32, dtype=FP8).t(),
     torch.bfloat16, ValueError, r"A must be 2-D"),
    ("A misaligned view", lambda: fake_cuda(300, dtype=FP8)[4:260].view(8, 32), lambda: fake_cuda(16, 32, dtype=FP8).t(),
     torch.bfloat16, ValueError, r"A must start on a 16-byte boundary; got storage offset 4"),
]


@pytest.mark.parametrize("case", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_raises_clear_error_in_fake_and_eager_checks(case):
    _, make_A, make_B, out_dtype, error, pattern = case
    with FakeTensorMode(), pytest.raises(error, match=pattern):
        cutlass_fp8_mm(make_A(), make_B(), out_dtype)


def test_cpu_tensors_are_refused_before_any_kernel():
    A = torch.zeros(8, 32).to(FP8)
    B = torch.zeros(16, 32).to(FP8).t()
    with pytest.raises(ValueError, match=r"cutlass_fp8_mm: A must be on a CUDA device; got cpu"):
        cutlass_fp8_mm(A, B)


# ---- numbers on the GPU ---------------------------------------------------------------------------


def _operands(M, N, K, scale=1.0):
    A = (torch.randn(M, K, device="cuda") * scale).to(FP8)
    B = (torch.randn(N, K, device="cuda") * scale).to(FP8).t()
    return A, B


def _run_poisoned(A, B, out_dtype):
    """Run after freeing a NaN-filled block of the output's size, which the allocator hands back:
    an element the kernel fails to write stays NaN and fails the check."""
    torch.full((A.shape[0], B.shape[1]), math.nan, device="cuda", dtype=out_dtype)
    return cutlass_fp8_mm(A, B, out_dtype)


@pytest.mark.gpu
@pytest.mark.parametrize("out_dtype", OUT_DTYPES)
@pytest.mark.parametrize("N,K", [(16, 16), (48, 272), (4096, 4096)])
@pytest.mark.parametrize("M", [1, 7, 64, 129, 1000, 4097])
def test_matches_reference(M, N, K, out_dtype):
    require_op("cutlass_fp8_mm")
    torch.manual_seed(M + N + K)
    A, B = _operands(M, N, K)
    out = _run_poisoned(A, B, out_dtype)
    assert out.shape == (M, N) and out.dtype == out_dtype
    assert_gemm_close(out, A.float(), B.float(), HOPPER_FP8_PROMOTED)


@pytest.mark.gpu
@pytest.mark.parametrize("out_dtype", [torch.bfloat16, torch.float32])
def test_values_near_e4m3_max(out_dtype):
    require_op("cutlass_fp8_mm")
    torch.manual_seed(0)
    M, N, K = 129, 64, 512
    sign = lambda *s: torch.randint(0, 2, s, device="cuda") * 2 - 1  # noqa: E731
    A = (sign(M, K) * 448.0).to(FP8)
    B = (sign(N, K) * torch.tensor([448.0, 416.0], device="cuda").repeat(K // 2)).to(FP8).t()
    assert_gemm_close(cutlass_fp8_mm(A, B, out_dtype), A.float(), B.float(), HOPPER_FP8_PROMOTED)


@pytest.mark.gpu
def test_zero_rows_and_columns_give_exact_zeros():
    require_op("cutlass_fp8_mm")
    A, B = _operands(200, 64, 128)
    A[17] = 0
    B[:, 5] = 0
    out = cutlass_fp8_mm(A, B, torch.float32)
    assert torch.equal(out[17], torch.zeros_like(out[17]))
    assert torch.equal(out[:, 5], torch.zeros_like(out[:, 5]))
    assert_gemm_close(out, A.float(), B.float(), HOPPER_FP8_PROMOTED)


@pytest.mark.gpu
def test_empty_M_and_K():
    require_op("cutlass_fp8_mm")
    A, B = _operands(0, 32, 64)
    assert cutlass_fp8_mm(A, B).shape == (0, 32)
    A, B = _operands(5, 32, 0)
    assert torch.equal(cutlass_fp8_mm(A, B, torch.float32), torch.zeros(5, 32, device="cuda"))


@pytest.mark.gpu
def test_cuda_graph_replay_matches_eager_on_new_data():
    # Capture happens on a side stream: a kernel launched on any stream but the current
    # one would either fail the capture or be left out of the graph, and then the
    # replay would not recompute the product of the new data.
    require_op("cutlass_fp8_mm")
    A, B = _operands(96, 128, 256)
    cutlass_fp8_mm(A, B)  # warm-up outside the capture: first-call setup
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        out = cutlass_fp8_mm(A, B)
    A2, B2 = _operands(96, 128, 256)
    A.copy_(A2)
    B.copy_(B2)
    graph.replay()
    torch.testing.assert_close(out, cutlass_fp8_mm(A2, B2), rtol=0, atol=0)


@pytest.mark.gpu
def test_torch_compile_fullgraph():
    require_op("cutlass_fp8_mm")
    A, B = _operands(33, 64, 128)
    compiled = torch.compile(lambda a, b: cutlass_fp8_mm(a, b) * 2, fullgraph=True)
    torch.testing.assert_close(compiled(A, B), cutlass_fp8_mm(A, B) * 2, rtol=0, atol=0)


@pytest.mark.gpu
def test_mixed_devices_are_refused():
    A = torch.zeros(8, 32, device="cuda").to(FP8)
    B = torch.zeros(16, 32).to(FP8).t()
    with pytest.raises(ValueError, match="B must be on a CUDA device"):
        cutlass_fp8_mm(A, B)
