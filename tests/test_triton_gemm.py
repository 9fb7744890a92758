"""triton_mm: checks and fake kernel, and numbers against the float64 reference.

Without a GPU the kernel runs under TRITON_INTERPRET=1 (tests/conftest.py) on CPU tensors at
small shapes; with one, on CUDA tensors. Tolerances come from gn_kernels.testing: products of
bfloat16, float16 and FP8 values are exact in float32, so float32 accumulation is bounded by
FP32_ACC; float16 accumulation by FP16_ACC; int8 is exact. On Hopper, Triton's FP8 dot sums each
K block in the tensor cores before adding it to float32, which HOPPER_FP8_PROMOTED bounds.
"""

import pytest
import torch
from torch._subclasses.fake_tensor import FakeTensorMode

from gn_kernels import triton_mm, triton_scaled_mm
from gn_kernels.heuristics import triton_mm as configs
from gn_kernels.heuristics.triton_mm import MmConfig
from gn_kernels.testing import (FP16_ACC, FP32_ACC, HOPPER_FP8_FAST, HOPPER_FP8_PROMOTED, INT32_ACC, Accumulation,
                                assert_gemm_close)
from kernels import fake_cuda

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
BF16, F16, F32 = torch.bfloat16, torch.float16, torch.float32
E4M3, E5M2, I8 = torch.float8_e4m3fn, torch.float8_e5m2, torch.int8


def _operand(rows, cols, dtype):
    if dtype == I8:
        return torch.randint(-128, 128, (rows, cols), device=DEVICE, dtype=I8)
    return torch.randn(rows, cols, device=DEVICE).to(dtype)


# Every test runs both kernels: the pointer one and the persistent TMA one (which falls back to the
# pointer kernel for rows TMA cannot read), with (interpreter, GPU) configurations.
KERNELS = {
    "pointer": (configs.INTERPRETER, MmConfig(64, 64, 64, 4, 4, 3)),
    "persistent": (configs.INTERPRETER._replace(persistent=True, subtile=True),
                   MmConfig(128, 128, 64, 4, 8, 3, persistent=True, subtile=True)),
}


@pytest.fixture(autouse=True, params=list(KERNELS))
def kernel(request, monkeypatch):
    cfg = KERNELS[request.param][DEVICE == "cuda"]
    monkeypatch.setattr(configs, "pick", lambda *_: cfg)


def _fp8_accumulation(fast: bool = False) -> Accumulation:
    # The interpreter sums in float32; on Hopper FP8 sums leave the tensor cores every 128 products
    # (PROMOTE_K) unless fast accumulation keeps them there.
    if DEVICE == "cpu":
        return FP32_ACC
    return HOPPER_FP8_FAST if fast else HOPPER_FP8_PROMOTED


LAYOUTS = {
    "row-major": lambda A, B: (A, B),
    "B column-major": lambda A, B: (A, B.t().contiguous().t()),
    "A column-major": lambda A, B: (A.t().contiguous().t(), B),
    "strided rows": lambda A, B: (torch.cat([A, A]).view(2, *A.shape).transpose(0, 1)[:, 0], B),
}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("M,N,K", [(1, 40, 64), (7, 33, 100), (70, 24, 130)])
@pytest.mark.parametrize("dtype,acc_dtype,out_dtype", [
    (BF16, None, None), (F16, None, F32), (F16, F16, None), (E4M3, None, BF16), (E5M2, None, F16),
])
def test_float_inputs_match_reference(M, N, K, dtype, acc_dtype, out_dtype, layout):
    torch.manual_seed(M * N + K)
    A, B = LAYOUTS[layout](_operand(M, K, dtype), _operand(K, N, dtype))
    out = triton_mm(A, B, out_dtype, acc_dtype)
    acc = {F32: FP32_ACC, F16: FP16_ACC}[acc_dtype or F32] if dtype in (BF16, F16) else _fp8_accumulation()
    assert out.dtype == (out_dtype or {BF16: BF16, F16: F16}.get(dtype, BF16)) and out.shape == (M, N)
    assert_gemm_close(out, A.double(), B.double(), acc)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("M,N,K", [(1, 40, 64), (33, 17, 200)])
def test_int8_is_exact(M, N, K, layout):
    torch.manual_seed(M + K)
    A, B = LAYOUTS[layout](_operand(M, K, I8), _operand(K, N, I8))
    out = triton_mm(A, B)
    assert out.dtype == torch.int32 and torch.equal(out.cpu(), (A.cpu().long() @ B.cpu().long()).int())


def test_extreme_int8_and_empty_shapes():
    A = torch.full((3, 96), -128, device=DEVICE, dtype=I8)
    assert torch.equal(triton_mm(A, A.t()).cpu(), torch.full((3, 3), 96 * 128 * 128, dtype=torch.int32))
    assert triton_mm(_operand(0, 8, BF16), _operand(8, 5, BF16)).shape == (0, 5)
    zero_k = triton_mm(_operand(4, 0, F16), _operand(0, 6, F16), F32)
    assert zero_k.dtype == F32 and torch.equal(zero_k.cpu(), torch.zeros(4, 6))


BAD = [
    ("mixed dtypes", lambda: (fake_cuda(8, 16, dtype=BF16), fake_cuda(16, 8, dtype=F16)), {},
     TypeError, r"triton_mm: A and B must have the same dtype; got torch.bfloat16 and torch.float16"),
    ("float32 inputs", lambda: (fake_cuda(8, 16, dtype=F32), fake_cuda(16, 8, dtype=F32)), {},
     TypeError, r"triton_mm: A must have dtype"),
    ("K disagrees", lambda: (fake_cuda(8, 16, dtype=BF16), fake_cuda(12, 8, dtype=BF16)), {},
     ValueError, r"must agree on K"),
    ("float16 accumulation of bfloat16", lambda: (fake_cuda(8, 16, dtype=BF16), fake_cuda(16, 8, dtype=BF16)),
     {"acc_dtype": F16}, TypeError, r"acc_dtype for torch.bfloat16 inputs must be one of \[torch.float32\]"),
    ("int8 into bfloat16", lambda: (fake_cuda(8, 16, dtype=I8), fake_cuda(16, 8, dtype=I8)),
     {"out_dtype": BF16}, TypeError, r"out_dtype for torch.int8 inputs must be one of \[torch.int32\]"),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_input_raises_clear_error(case):
    _, make, kwargs, error, pattern = case
    with FakeTensorMode(), pytest.raises(error, match=pattern):
        triton_mm(*make(), **kwargs)


def test_fake_kernel_gives_shape_and_default_dtypes():
    with FakeTensorMode():
        assert triton_mm(fake_cuda(5, 32, dtype=E4M3), fake_cuda(32, 7, dtype=E4M3)).dtype == BF16
        out = triton_mm(fake_cuda(5, 32, dtype=F16), fake_cuda(32, 7, dtype=F16))
    assert out.shape == (5, 7) and out.dtype == F16


def test_cpu_tensors_need_the_interpreter(monkeypatch):
    monkeypatch.setenv("TRITON_INTERPRET", "0")
    with pytest.raises(ValueError, match=r"triton_mm: A must be a CUDA tensor \(or a CPU one under TRITON_INTERPRET=1\)"):
        triton_mm(torch.ones(2, 2, dtype=BF16), torch.ones(2, 2, dtype=BF16))


# ---- triton_scaled_mm -------------------------------------------------------------------------------


def _expand(scale, rows, cols):
    return scale.double().repeat_interleave(rows, 0).repeat_interleave(cols, 1)


def _accumulation(dtype, tilewise: bool) -> Accumulation:
    if dtype == I8:  # row-wise: the int32 sum is exact; tile-wise: each exact block sum is scaled in float32
        return FP32_ACC if tilewise else INT32_ACC
    return _fp8_accumulation()


@pytest.mark.parametrize("dtype,fast", [(I8, False), (E4M3, False), (E4M3, True), (E5M2, False)])
@pytest.mark.parametrize("M,N,K", [(1, 48, 64), (37, 20, 96), (64, 64, 640)])
@pytest.mark.parametrize("single_A,single_B", [(False, False), (True, False), (True, True)])
def test_row_scaled_matches_reference(M, N, K, dtype, fast, single_A, single_B):
    torch.manual_seed(M + N + K)
    A, B = _operand(M, K, dtype), _operand(N, K, dtype).t()
    # int8 scales as quantize_int8_rowwise makes them (amax / 127), so sums fit float16.
    unit = 1 / 127 if dtype == I8 else 1.0
    sA = (torch.rand((1, 1) if single_A else (M, 1), device=DEVICE) + 0.5) * unit
    sB = torch.tensor(0.75 * unit, device=DEVICE) if single_B else (torch.rand(1, N, device=DEVICE) + 0.5) * unit
    bias = torch.randn(N, device=DEVICE, dtype=BF16)
    out = triton_scaled_mm(A, B, sA, sB, F16, bias, use_fast_accum=fast)
    assert out.dtype == F16
    acc = _fp8_accumulation(fast) if dtype != I8 else _accumulation(dtype, False)
    assert_gemm_close(out, A.double() * sA.double(), B.double() * sB.double(), acc, bias=bias.float())


@pytest.mark.parametrize("dtype", [I8, E4M3])
@pytest.mark.parametrize("groups", [(1, 128, 128), (2, 8, 32), (3, 1, 64)], ids=["deepseek", "2x8x32", "3x1x64"])
@pytest.mark.parametrize("M", [1, 7, 45])
def test_tile_scaled_matches_reference(M, groups, dtype):
    qm, qn, qk = groups
    M, N, K = M * qm, 256, 256
    torch.manual_seed(M + qk)
    A, B = _operand(M, K, dtype), _operand(N, K, dtype).t()
    # Heavy-tailed scales (2**-6 .. 2**4), one per group.
    sA = torch.exp2(torch.randint(-6, 5, (M // qm, K // qk), device=DEVICE).float())
    sB = torch.exp2(torch.randint(-6, 5, (N // qn, K // qk), device=DEVICE).float()).t()  # a weight's, transposed
    out = triton_scaled_mm(A, B, sA, sB, F32)
    assert_gemm_close(out, A.double() * _expand(sA, qm, qk), B.double() * _expand(sB, qk, qn),
                      _accumulation(dtype, True))


def test_scaled_empty_k_gives_the_bias():
    bias = torch.arange(4.0, device=DEVICE)
    out = triton_scaled_mm(_operand(3, 0, I8), _operand(0, 4, I8), torch.ones(3, 1, device=DEVICE),
                           torch.ones(1, 4, device=DEVICE), F32, bias)
    assert torch.equal(out.cpu(), bias.cpu().expand(3, 4))


def _scaled_fakes(M=8, N=32, K=64, dtype=E4M3):
    return fake_cuda(M, K, dtype=dtype), fake_cuda(K, N, dtype=dtype)


SCALED_BAD = [
    ("bfloat16 operands", lambda: (fake_cuda(8, 64, dtype=BF16), fake_cuda(64, 32, dtype=BF16),
                                   fake_cuda(8, 1, dtype=F32), fake_cuda(1, 32, dtype=F32)),
     TypeError, r"triton_scaled_mm: A must have dtype"),
    ("scales neither row- nor tile-wise", lambda: (*_scaled_fakes(), fake_cuda(8, 3, dtype=F32), fake_cuda(3, 32, dtype=F32)),
     ValueError, r"scales must be row-wise .* got scale_A \(8, 3\) and scale_B \(3, 32\)"),
    ("group of K not a multiple of 32", lambda: (*_scaled_fakes(), fake_cuda(8, 8, dtype=F32), fake_cuda(8, 4, dtype=F32)),
     ValueError, r"QK\s+a multiple of 32"),
    ("float16 scale", lambda: (*_scaled_fakes(), fake_cuda(8, 1, dtype=F16), fake_cuda(1, 32, dtype=F32)),
     TypeError, r"scale_A must have dtype float32"),
]


@pytest.mark.parametrize("case", SCALED_BAD, ids=[c[0] for c in SCALED_BAD])
def test_scaled_bad_input_raises_clear_error(case):
    _, make, error, pattern = case
    with FakeTensorMode(), pytest.raises(error, match=pattern):
        triton_scaled_mm(*make())


def test_scaled_bias_shape_is_checked_and_fake_gives_dtype():
    with FakeTensorMode():
        A, B = _scaled_fakes()
        sA, sB = fake_cuda(8, 1, dtype=F32), fake_cuda(1, 32, dtype=F32)
        assert triton_scaled_mm(A, B, sA, sB, F16).dtype == F16
        with pytest.raises(ValueError, match=r"bias must have shape \(N,\) = \(32,\); got \(16,\)"):
            triton_scaled_mm(A, B, sA, sB, BF16, fake_cuda(16, dtype=BF16))
