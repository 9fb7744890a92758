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

from gn_kernels import triton_mm
from gn_kernels.heuristics import triton_mm as configs
from gn_kernels.testing import FP16_ACC, FP32_ACC, HOPPER_FP8_PROMOTED, Accumulation, assert_gemm_close
from kernels import fake_cuda

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
BF16, F16, F32 = torch.bfloat16, torch.float16, torch.float32
E4M3, E5M2, I8 = torch.float8_e4m3fn, torch.float8_e5m2, torch.int8


def _operand(rows, cols, dtype):
    if dtype == I8:
        return torch.randint(-128, 128, (rows, cols), device=DEVICE, dtype=I8)
    return torch.randn(rows, cols, device=DEVICE).to(dtype)


def _fp8_accumulation() -> Accumulation:
    if DEVICE == "cpu":
        return FP32_ACC
    return Accumulation(HOPPER_FP8_PROMOTED.name, "fp8_promoted", promotion_k=configs.GPU[1].block_k)


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
