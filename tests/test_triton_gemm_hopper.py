"""The Hopper Gluon tile-wise GEMM (gn_kernels/triton_gemm_hopper.py): numbers against the float64
reference on an sm_90 GPU, when triton_scaled_mm takes it and when not, and what ptxas makes of it
(compiled for sm_90a without a GPU).

Each K block's product is scaled and added in float32: int8 block sums are exact (FP32_ACC bounds
the rest), FP8 ones are summed in the tensor cores' own accumulation over the 128-deep block
(HOPPER_FP8_PROMOTED), as for the Triton tile-wise kernel."""

import pytest
import torch

from gn_kernels import triton_scaled_mm
from gn_kernels.heuristics import triton_mm as configs
from gn_kernels.testing import FP32_ACC, HOPPER_FP8_PROMOTED, assert_gemm_close
from kernels import gluon_tilewise_sm90a_report

BF16, F16, F32 = torch.bfloat16, torch.float16, torch.float32
E4M3, E5M2, I8 = torch.float8_e4m3fn, torch.float8_e5m2, torch.int8
GLUON = configs.GLUON_TABLES["fp8_tilewise"]
ON_SM90 = torch.cuda.is_available() and torch.cuda.get_device_capability() == (9, 0)
needs_sm90 = pytest.mark.skipif(not ON_SM90, reason="the Gluon kernel runs on sm_90 GPUs only")


def _operand(rows, cols, dtype):
    if dtype == I8:
        return torch.randint(-128, 128, (rows, cols), device="cuda", dtype=I8)
    return (torch.randn(rows, cols, device="cuda") * 16).to(dtype)


def _expand(scale, rows, cols):
    return scale.double().repeat_interleave(rows, 0).repeat_interleave(cols, 1)


@pytest.fixture
def gluon_calls(monkeypatch):
    """Counts the Gluon kernel's launches."""
    from gn_kernels import triton_gemm_hopper

    calls = []
    launch = triton_gemm_hopper.gluon_tilewise_mm
    monkeypatch.setattr(triton_gemm_hopper, "gluon_tilewise_mm", lambda *a: calls.append(a) or launch(*a))
    return calls


# K blocks: 5 (two pairs and one alone), 1, 2, 9, 4; M: one row, a partial tile, and more tiles than
# an H100 has SMs (4097 rows: 33 x 3 tiles, x 2 for the 2x256x256 groups' M). 256-wide groups take
# the K that are whole numbers of them.
SHAPES = [pytest.param(groups, M, K, id=f"{name}-M{M}-K{K}")
          for name, groups in [("deepseek", (1, 128, 128)), ("2x256x256", (2, 256, 256))]
          for M, K in [(1, 640), (129, 128), (129, 256), (1000, 1152), (4097, 512)] if K % groups[2] == 0]
# The table's entry at every dtype; one warpgroup with two programs an SM (fewer registers a thread)
# at FP8 and int8 into bfloat16 and float32.
ONE_WARPGROUP = next(c for c in configs.CANDIDATES["fp8_tilewise"] if c.gluon and c.num_warps == 4)
KERNELS = [pytest.param(GLUON, dtype, out_dtype, id=f"table-{dtype}-{out_dtype}")
           for dtype in (E4M3, E5M2, I8) for out_dtype in (BF16, F16, F32)]
KERNELS += [pytest.param(ONE_WARPGROUP, dtype, out_dtype, id=f"one_warpgroup-{dtype}-{out_dtype}")
            for dtype in (E4M3, I8) for out_dtype in (BF16, F32)]


@needs_sm90
@pytest.mark.parametrize("cfg,dtype,out_dtype", KERNELS)
@pytest.mark.parametrize("groups,M,K", SHAPES)
def test_gluon_tile_scaled_matches_reference(M, K, groups, cfg, dtype, out_dtype, gluon_calls, monkeypatch):
    monkeypatch.setattr(configs, "pick", lambda *_: cfg)
    qm, qn, qk = groups
    M, N = M * qm, 384 if qn == 128 else 512
    torch.manual_seed(M + K)
    A, B = _operand(M, K, dtype), _operand(N, K, dtype).t()
    # Heavy-tailed scales (2**-14 .. 1, a further 2**-7 for int8's wider values), one per group, and a
    # group of zeros in each; sums stay within float16's range.
    low, high = (-21, -6) if dtype == I8 else (-14, 1)
    sA = torch.exp2(torch.randint(low, high, (M // qm, K // qk), device="cuda").float())
    sB = torch.exp2(torch.randint(low, high, (N // qn, K // qk), device="cuda").float()).t()
    sA[0, -1] = 0.0
    sB[0, 0] = 0.0
    bias = torch.randn(N, device="cuda", dtype=BF16)
    out = triton_scaled_mm(A, B, sA, sB, out_dtype, bias)
    assert len(gluon_calls) == 1
    assert out.dtype == out_dtype
    assert_gemm_close(out, A.double() * _expand(sA, qm, qk), B.double() * _expand(sB, qk, qn),
                      FP32_ACC if dtype == I8 else HOPPER_FP8_PROMOTED, bias=bias.float())


@needs_sm90
@pytest.mark.parametrize("case", ["column groups narrower than a tile", "K groups shorter than a block",
                                  "B row-major", "row-wise scales"])
def test_gluon_kernel_takes_only_whole_tiles_that_tma_can_read(case, gluon_calls):
    """Otherwise triton_scaled_mm runs its Triton kernels, still right."""
    M, N, K = 300, 256, 512
    groups = {"column groups narrower than a tile": (1, 64, 128), "K groups shorter than a block": (1, 128, 64)}
    qm, qn, qk = groups.get(case, (1, 128, 128))
    A, B = _operand(M, K, E4M3), _operand(N, K, E4M3).t()
    if case == "B row-major":
        B = B.contiguous()
    rowwise = case == "row-wise scales"
    sA = torch.rand((M, 1) if rowwise else (M // qm, K // qk), device="cuda") + 0.5
    sB = torch.rand((1, N) if rowwise else (K // qk, N // qn), device="cuda") + 0.5
    out = triton_scaled_mm(A, B, sA, sB, F32)
    assert not gluon_calls
    ref_A = A.double() * (sA.double() if rowwise else _expand(sA, qm, qk))
    ref_B = B.double() * (sB.double() if rowwise else _expand(sB, qk, qn))
    assert_gemm_close(out, ref_A, ref_B, HOPPER_FP8_PROMOTED)


@pytest.mark.parametrize("cfg", [c for c in configs.CANDIDATES["fp8_tilewise"] if c.gluon], ids=lambda c: c.name)
@pytest.mark.parametrize("dtype,out_dtype,bias", [("float8_e4m3fn", "bfloat16", False), ("int8", "float32", True)])
def test_gluon_kernel_keeps_its_wgmmas_asynchronous_and_its_registers_on_sm90a(dtype, out_dtype, bias, cfg):
    pytest.importorskip("triton.experimental.gluon.language.nvidia.hopper")
    report = gluon_tilewise_sm90a_report(dtype, out_dtype, bias, cfg)
    assert "Potential Performance Loss" not in report, report
    assert "0 bytes spill stores" in report, report
