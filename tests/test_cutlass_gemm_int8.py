"""The SM90a INT8 GEMMs: checks and fake kernels on the CPU, numbers on the GPU.

The int32 op is exact, so it is compared with an int64 reference for equality; the
scaled op rounds only in its float32 epilogue and its output cast (INT32_ACC).
"""

import math

import pytest
import torch
from torch._subclasses.fake_tensor import FakeTensorMode

from gn_kernels import cutlass_int8_mm, cutlass_row_scaled_int8_mm
from gn_kernels.cutlass_gemm import int8_mm_with_config
from gn_kernels.testing import INT32_ACC, assert_gemm_close
from kernels import fake_cuda, require_op, scaled_instances

I8 = torch.int8
INSTANCES = scaled_instances("int8_gemm_instances.h")


# ---- checks and fake kernels ----------------------------------------------------------------------


@pytest.mark.parametrize("M", [0, 1, 7, 4097])
def test_fake_shapes_and_dtypes(M):
    with FakeTensorMode():
        A, B = fake_cuda(M, 64, dtype=I8), fake_cuda(32, 64, dtype=I8).t()
        assert cutlass_int8_mm(A, B).dtype == torch.int32
        one = fake_cuda(dtype=torch.float32)
        out = cutlass_row_scaled_int8_mm(A, B, one, one, None, torch.float16)
    assert out.shape == (M, 32) and out.dtype == torch.float16


BAD = [
    ("A fp8", lambda: fake_cuda(8, 32, dtype=torch.float8_e4m3fn), lambda: fake_cuda(16, 32, dtype=I8).t(),
     TypeError, r"cutlass_int8_mm: A must have dtype int8; got float8_e4m3fn"),
    ("B row-major", lambda: fake_cuda(8, 32, dtype=I8), lambda: fake_cuda(32, 16, dtype=I8),
     ValueError, r"B must be column-major"),
    ("N not multiple of 16", lambda: fake_cuda(8, 32, dtype=I8), lambda: fake_cuda(24, 32, dtype=I8).t(),
     ValueError, r"N \(B.shape\[1\]\) must be a multiple of 16; got 24"),
    ("K not multiple of 16", lambda: fake_cuda(8, 40, dtype=I8), lambda: fake_cuda(16, 40, dtype=I8).t(),
     ValueError, r"K \(A.shape\[1\]\) must be a multiple of 16; got 40"),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_input_raises_clear_error(case):
    _, make_A, make_B, error, pattern = case
    with FakeTensorMode(), pytest.raises(error, match=pattern):
        cutlass_int8_mm(make_A(), make_B())


def test_row_scaled_refuses_int32_output_and_bad_scales():
    with FakeTensorMode():
        A, B = fake_cuda(8, 32, dtype=I8), fake_cuda(16, 32, dtype=I8).t()
        sA, sB = fake_cuda(8, 1, dtype=torch.float32), fake_cuda(1, 16, dtype=torch.float32)
        with pytest.raises(TypeError, match=r"cutlass_row_scaled_int8_mm: out_dtype must be one of"):
            cutlass_row_scaled_int8_mm(A, B, sA, sB, None, torch.int32)
        with pytest.raises(ValueError, match=r"scale_A must have shape \(8, 1\)"):
            cutlass_row_scaled_int8_mm(A, B, fake_cuda(8, 2, dtype=torch.float32), sB)


# ---- numbers on the GPU -----------------------------------------------------------------------------


def _operands(M, N, K):
    A = torch.randint(-128, 128, (M, K), device="cuda", dtype=I8)
    B = torch.randint(-128, 128, (N, K), device="cuda", dtype=I8).t()
    return A, B


def _scales(M, N):
    """Row and column scales as quantize_int8_rowwise makes them (amax / 127): products of
    int8 sums over K = 2304 (up to ~3e5) then land well inside float16's range."""
    return (torch.rand(M, 1, device="cuda") + 0.5) / 127, (torch.rand(1, N, device="cuda") + 0.5) / 127


def _exact(A, B):
    return (A.cpu().long() @ B.cpu().long()).to(torch.int32)


@pytest.mark.gpu
@pytest.mark.parametrize("N,K", [(16, 16), (48, 272), (4096, 4096)])
@pytest.mark.parametrize("M", [1, 7, 64, 129, 1000, 4097])
def test_int32_product_is_exact(M, N, K):
    require_op("cutlass_int8_mm")
    torch.manual_seed(M + N + K)
    A, B = _operands(M, N, K)
    assert torch.equal(cutlass_int8_mm(A, B).cpu(), _exact(A, B))


@pytest.mark.gpu
def test_int32_extremes_are_exact():
    # -128 * -128 summed over K = 4096 is 2**26: far from int32's limit, and exact.
    require_op("cutlass_int8_mm")
    A = torch.full((65, 4096), -128, device="cuda", dtype=I8)
    B = torch.full((32, 4096), -128, device="cuda", dtype=I8).t()
    A[3] = 0
    out = cutlass_int8_mm(A, B).cpu()
    assert torch.equal(out, _exact(A, B)) and out[0, 0] == 2**26 and torch.equal(out[3], torch.zeros_like(out[3]))


@pytest.mark.gpu
@pytest.mark.parametrize("out_dtype", [torch.bfloat16, torch.float16, torch.float32])
@pytest.mark.parametrize("M", [1, 7, 64, 129, 1000, 4097])
def test_row_scaled_matches_reference(M, out_dtype):
    require_op("cutlass_row_scaled_int8_mm")
    torch.manual_seed(M)
    N, K = 272, 2304
    A, B = _operands(M, N, K)
    sA, sB = _scales(M, N)
    bias = torch.randn(N, device="cuda", dtype=torch.bfloat16)
    torch.full((M, N), math.nan, device="cuda", dtype=out_dtype)  # poison the block the output reuses
    out = cutlass_row_scaled_int8_mm(A, B, sA, sB, bias, out_dtype)
    assert_gemm_close(out, A.double() * sA.double(), B.double() * sB.double(), INT32_ACC, bias=bias.float())


@pytest.mark.gpu
@pytest.mark.parametrize("out,config", INSTANCES, ids=[f"{o}-{c}" for o, c in INSTANCES])
@pytest.mark.parametrize("M", [1, 7, 129, 1000])
def test_every_configuration(M, out, config):
    require_op("cutlass_int8_mm")
    torch.manual_seed(M)
    N, K = 272, 2304
    A, B = _operands(M, N, K)
    if out == "int32":
        assert torch.equal(int8_mm_with_config(A, B, config=config).cpu(), _exact(A, B))
        return
    out_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[out]
    sA, sB = torch.tensor(1 / 127, device="cuda"), _scales(M, N)[1]
    got = int8_mm_with_config(A, B, sA, sB, None, out_dtype, config=config)
    assert_gemm_close(got, A.double() * sA.double(), B.double() * sB.double(), INT32_ACC)


@pytest.mark.gpu
def test_cuda_graph_replay_and_compile():
    require_op("cutlass_row_scaled_int8_mm")
    A, B = _operands(96, 128, 256)
    sA, sB = _scales(96, 128)
    cutlass_row_scaled_int8_mm(A, B, sA, sB)  # warm-up outside the capture
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        out = cutlass_row_scaled_int8_mm(A, B, sA, sB)
        exact = cutlass_int8_mm(A, B)
    A2, _ = _operands(96, 128, 256)
    A.copy_(A2)
    graph.replay()
    torch.testing.assert_close(out, cutlass_row_scaled_int8_mm(A2, B, sA, sB), rtol=0, atol=0)
    assert torch.equal(exact.cpu(), _exact(A2, B))
    compiled = torch.compile(cutlass_row_scaled_int8_mm, fullgraph=True)
    torch.testing.assert_close(compiled(A, B, sA, sB), cutlass_row_scaled_int8_mm(A, B, sA, sB), rtol=0, atol=0)
