"""The CUTLASS 2.x mma.sync families: SM89 FP8 and SM80 INT4 GEMMs.

Checks and fake kernels run on the CPU; the numbers on any GPU that runs the family (the
H100 runs both through PTX, forced with backend="89" where SM90a would win). INT4 is exact
against an int64 reference; FP8 is held to the staged-accumulation bound of gn_kernels.testing.
"""

import math

import pytest
import torch
from torch._subclasses.fake_tensor import FakeTensorMode

from gn_kernels import cutlass_fp8_mm, cutlass_int4_mm, cutlass_row_scaled_fp8_mm, cutlass_row_scaled_int4_mm
from gn_kernels.dispatch import kernel_family
from gn_kernels.quant import pack_int4, unpack_int4
from gn_kernels.testing import HOPPER_FP8_FAST, INT32_ACC, MMA_SYNC_FP8_STAGED, assert_gemm_close
from kernels import fake_cuda, require_op

E4M3, E5M2, I8 = torch.float8_e4m3fn, torch.float8_e5m2, torch.int8
OUT_DTYPES = [torch.bfloat16, torch.float16, torch.float32]
ACC = {False: MMA_SYNC_FP8_STAGED, True: HOPPER_FP8_FAST}


# ---- checks and fake kernels ----------------------------------------------------------------------


def test_fp8_backend_is_checked_before_anything_runs():
    with FakeTensorMode():
        A, B = fake_cuda(8, 32, dtype=E4M3), fake_cuda(16, 32, dtype=E4M3).t()
        assert cutlass_fp8_mm(A, B, torch.float16, "89").shape == (8, 16)
        with pytest.raises(ValueError, match=r"cutlass_fp8_mm: backend must be 'auto' or one of \['89', '90a', '120a'\]; got '80'"):
            cutlass_fp8_mm(A, B, torch.bfloat16, "80")
        one = fake_cuda(dtype=torch.float32)
        with pytest.raises(ValueError, match=r"cutlass_row_scaled_fp8_mm: backend must be"):
            cutlass_row_scaled_fp8_mm(A, B, one, one, backend="sm89")


@pytest.mark.parametrize("M", [0, 1, 7, 4097])
def test_int4_fake_shapes_and_dtypes(M):
    with FakeTensorMode():
        A, B = fake_cuda(M, 64, dtype=I8), fake_cuda(32, 64, dtype=I8).t()  # K = 128
        assert cutlass_int4_mm(A, B).shape == (M, 32) and cutlass_int4_mm(A, B).dtype == torch.int32
        one = fake_cuda(dtype=torch.float32)
        out = cutlass_row_scaled_int4_mm(A, B, one, one, None, torch.float16)
    assert out.shape == (M, 32) and out.dtype == torch.float16


INT4_BAD = [
    ("A uint8", lambda: fake_cuda(8, 16, dtype=torch.uint8), lambda: fake_cuda(16, 16, dtype=I8).t(),
     TypeError, r"cutlass_int4_mm: A must have dtype int8; got uint8"),
    ("B row-major", lambda: fake_cuda(8, 16, dtype=I8), lambda: fake_cuda(16, 16, dtype=I8),
     ValueError, r"B must be column-major"),
    ("N not multiple of 16", lambda: fake_cuda(8, 16, dtype=I8), lambda: fake_cuda(24, 16, dtype=I8).t(),
     ValueError, r"N \(B.shape\[1\]\) must be a multiple of 16; got 24"),
    ("K not multiple of 32", lambda: fake_cuda(8, 24, dtype=I8), lambda: fake_cuda(16, 24, dtype=I8).t(),
     ValueError, r"A.shape\[1\] \(K/2: two INT4 values a byte\) must be a multiple of 16; got 24"),
    ("K mismatch", lambda: fake_cuda(8, 32, dtype=I8), lambda: fake_cuda(16, 16, dtype=I8).t(),
     ValueError, r"cutlass_int4_mm"),
]


@pytest.mark.parametrize("case", INT4_BAD, ids=[c[0] for c in INT4_BAD])
def test_int4_bad_input_raises_clear_error(case):
    _, make_A, make_B, error, pattern = case
    with FakeTensorMode(), pytest.raises(error, match=pattern):
        cutlass_int4_mm(make_A(), make_B())


def test_row_scaled_int4_refuses_int32_output_and_bad_scales():
    with FakeTensorMode():
        A, B = fake_cuda(8, 16, dtype=I8), fake_cuda(16, 16, dtype=I8).t()
        sA, sB = fake_cuda(8, 1, dtype=torch.float32), fake_cuda(1, 16, dtype=torch.float32)
        with pytest.raises(TypeError, match=r"cutlass_row_scaled_int4_mm: out_dtype must be one of"):
            cutlass_row_scaled_int4_mm(A, B, sA, sB, None, torch.int32)
        with pytest.raises(ValueError, match=r"scale_B must have shape \(1, 16\)"):
            cutlass_row_scaled_int4_mm(A, B, sA, fake_cuda(16, 1, dtype=torch.float32))
        with pytest.raises(TypeError, match=r"scale_A must have dtype float32"):
            cutlass_row_scaled_int4_mm(A, B, sA.half(), sB)


# ---- SM89 FP8 on the GPU ----------------------------------------------------------------------------


def _fp8_operands(M, N, K, a_dtype=E4M3, b_dtype=E4M3, tensorwise=False):
    A = torch.randn(M, K, device="cuda").to(a_dtype)
    B = torch.randn(N, K, device="cuda").to(b_dtype).t()
    if tensorwise:
        sA, sB = torch.tensor(0.75, device="cuda"), torch.tensor([[1.5]], device="cuda")
    else:
        sA, sB = torch.rand(M, 1, device="cuda") + 0.5, torch.rand(1, N, device="cuda") + 0.5
    return A, B, sA, sB, A.double() * sA.double(), B.double() * sB.double()


@pytest.mark.gpu
@pytest.mark.parametrize("fast", [False, True])
@pytest.mark.parametrize("out_dtype", OUT_DTYPES)
@pytest.mark.parametrize("M", [1, 7, 64, 129, 1000, 4097])
def test_sm89_fp8_matches_reference(M, out_dtype, fast):
    require_op("cutlass_row_scaled_fp8_mm", backend="89")
    torch.manual_seed(M)
    N, K = 272, 4096
    A, B, sA, sB, A_deq, B_deq = _fp8_operands(M, N, K)
    bias = torch.randn(N, device="cuda", dtype=torch.bfloat16)
    torch.full((M, N), math.nan, device="cuda", dtype=out_dtype)  # poison the block the output reuses
    out = cutlass_row_scaled_fp8_mm(A, B, sA, sB, bias, out_dtype, fast, backend="89")
    assert_gemm_close(out, A_deq, B_deq, ACC[fast], bias=bias.float())


@pytest.mark.gpu
@pytest.mark.parametrize("fast", [False, True])
@pytest.mark.parametrize("a_dtype,b_dtype", [(E5M2, E4M3), (E4M3, E5M2)])
@pytest.mark.parametrize("tensorwise", [False, True])
def test_sm89_e5m2_operands_and_tensorwise_scales(a_dtype, b_dtype, tensorwise, fast):
    require_op("cutlass_row_scaled_fp8_mm", backend="89")
    A, B, sA, sB, A_deq, B_deq = _fp8_operands(77, 64, 512, a_dtype, b_dtype, tensorwise)
    out = cutlass_row_scaled_fp8_mm(A, B, sA, sB, out_dtype=torch.float32, use_fast_accum=fast, backend="89")
    assert_gemm_close(out, A_deq, B_deq, ACC[fast])


@pytest.mark.gpu
@pytest.mark.parametrize("N,K", [(16, 16), (48, 272)])
def test_sm89_smallest_shapes_and_unscaled_op(N, K):
    require_op("cutlass_fp8_mm", backend="89")
    A, B, sA, sB, A_deq, B_deq = _fp8_operands(3, N, K)
    assert_gemm_close(cutlass_row_scaled_fp8_mm(A, B, sA, sB, backend="89"), A_deq, B_deq, MMA_SYNC_FP8_STAGED)
    assert_gemm_close(cutlass_fp8_mm(A, B, torch.float32, "89"), A.double(), B.double(), MMA_SYNC_FP8_STAGED)


@pytest.mark.gpu
@pytest.mark.parametrize("fast", [False, True])
def test_sm89_values_near_448_with_zero_rows_and_columns(fast):
    require_op("cutlass_row_scaled_fp8_mm", backend="89")
    torch.manual_seed(0)
    M, N, K = 129, 64, 1024
    A = (torch.rand(M, K, device="cuda") * 64 + 384) * torch.randint(0, 2, (M, K), device="cuda").mul(2).sub(1)
    B = (torch.rand(N, K, device="cuda") * 64 + 384) * torch.randint(0, 2, (N, K), device="cuda").mul(2).sub(1)
    A[5], B[9] = 0, 0
    A, B = A.to(E4M3), B.to(E4M3).t()
    sA, sB = torch.full((M, 1), 2.0**-9, device="cuda"), torch.full((1, N), 2.0**-9, device="cuda")
    out = cutlass_row_scaled_fp8_mm(A, B, sA, sB, out_dtype=torch.float32, use_fast_accum=fast, backend="89")
    assert_gemm_close(out, A.double() * 2.0**-9, B.double() * 2.0**-9, ACC[fast])
    assert torch.equal(out[5].cpu(), torch.zeros(N)) and torch.equal(out[:, 9].cpu(), torch.zeros(M))


@pytest.mark.gpu
def test_sm89_extension_refuses_a_strided_scale_instead_of_copying_it():
    # The mma.sync epilogue reads whole aligned vectors, so the extension copies a misaligned scale,
    # but only one that passed its checks: a strided view reaching it directly is refused by name.
    require_op("cutlass_row_scaled_fp8_mm", backend="89")
    _, module = kernel_family("cutlass_row_scaled_fp8_mm", torch.device("cuda"), "89")
    A, B, sA, _, _, _ = _fp8_operands(16, 64, 256)
    strided = torch.ones(129, device="cuda")[1::2]  # 64 values, stride 2, 4 bytes past an aligned start
    out = torch.empty(16, 64, device="cuda", dtype=torch.bfloat16)
    with pytest.raises(RuntimeError, match="scale_B must be a contiguous CUDA float32 tensor of 1 or 64 values"):
        module.scaled_fp8_mm(A, B, sA.flatten(), strided, None, out, False, "checked_before_lookup", 1)


# ---- SM80 INT4 on the GPU ---------------------------------------------------------------------------


def _int4_operands(M, N, K, low=-8, high=8):
    """Packed A (M, K/2) and B (K/2, N) column-major, and their unpacked int8 values."""
    a = torch.randint(low, high, (M, K), dtype=I8)
    w = torch.randint(low, high, (N, K), dtype=I8)
    return pack_int4(a).cuda(), pack_int4(w).cuda().t(), a, w.t()


def _exact(a, b):
    return (a.long() @ b.long()).to(torch.int32)


@pytest.mark.gpu
@pytest.mark.parametrize("N,K", [(16, 32), (48, 544), (4096, 4096)])
@pytest.mark.parametrize("M", [1, 7, 64, 129, 1000, 4097])
def test_int4_product_is_exact(M, N, K):
    require_op("cutlass_int4_mm")
    torch.manual_seed(M + N + K)
    A, B, a, b = _int4_operands(M, N, K)
    assert torch.equal(cutlass_int4_mm(A, B).cpu(), _exact(a, b))


@pytest.mark.gpu
def test_int4_extremes_and_nibble_order_are_exact():
    # -8 * -8 summed over K = 8192 is 2**19; a row of (7, -8) pairs checks which nibble is first.
    require_op("cutlass_int4_mm")
    a = torch.full((33, 8192), -8, dtype=I8)
    a[1, 0::2], a[1, 1::2] = 7, -8
    a[2] = 0
    w = torch.full((16, 8192), -8, dtype=I8)
    w[3, 1::2] = 1
    out = cutlass_int4_mm(pack_int4(a).cuda(), pack_int4(w).cuda().t()).cpu()
    assert torch.equal(out, _exact(a, w.t())) and out[0, 0] == 2**19 and torch.equal(out[2], torch.zeros(16, dtype=torch.int32))
    assert torch.equal(unpack_int4(pack_int4(a)), a)  # the packing the kernel reads round-trips


@pytest.mark.gpu
@pytest.mark.parametrize("out_dtype", OUT_DTYPES)
@pytest.mark.parametrize("M", [1, 7, 129, 1000])
def test_row_scaled_int4_matches_reference(M, out_dtype):
    require_op("cutlass_row_scaled_int4_mm")
    torch.manual_seed(M)
    N, K = 272, 2048
    A, B, a, b = _int4_operands(M, N, K)
    # scales as a symmetric INT4 quantizer makes them (amax / 7): float16 outputs stay in range
    sA, sB = (torch.rand(M, 1, device="cuda") + 0.5) / 7, (torch.rand(1, N, device="cuda") + 0.5) / 7
    bias = torch.randn(N, device="cuda", dtype=torch.float16)
    out = cutlass_row_scaled_int4_mm(A, B, sA, sB, bias, out_dtype)
    assert_gemm_close(out, a.cuda().double() * sA.double(), b.cuda().double() * sB.double(), INT32_ACC,
                      bias=bias.float())
    tensorwise = cutlass_row_scaled_int4_mm(A, B, sA[:1, :1], torch.tensor(0.5, device="cuda"), None, out_dtype)
    assert_gemm_close(tensorwise, a.cuda().double() * float(sA[0, 0]), b.cuda().double() * 0.5, INT32_ACC)


# ---- both: CUDA graphs -------------------------------------------------------------------------------


@pytest.mark.gpu
def test_cuda_graph_replay():
    require_op("cutlass_int4_mm")
    require_op("cutlass_row_scaled_fp8_mm", backend="89")
    A4, B4, _, _ = _int4_operands(96, 128, 256)
    A8, B8, sA, sB, _, _ = _fp8_operands(96, 128, 256)
    cutlass_int4_mm(A4, B4), cutlass_row_scaled_fp8_mm(A8, B8, sA, sB, backend="89")  # warm-up outside the capture
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        out4 = cutlass_int4_mm(A4, B4)
        out8 = cutlass_row_scaled_fp8_mm(A8, B8, sA, sB, backend="89")
    A4_new, _, a_new, _ = _int4_operands(96, 128, 256)
    A8_new = torch.randn(96, 256, device="cuda").to(E4M3)
    A4.copy_(A4_new), A8.copy_(A8_new)
    graph.replay()
    assert torch.equal(out4, cutlass_int4_mm(A4_new, B4))
    torch.testing.assert_close(out8, cutlass_row_scaled_fp8_mm(A8_new, B8, sA, sB, backend="89"), rtol=0, atol=0)
