"""The SM90a block-scaled FP8 GEMM: checks and fake kernel on the CPU, numbers on the GPU.

The reference expands each scale over its block (1x128 of A, 128x128 of B) in float64; the
kernel scales each 128-deep partial product in float32, so HOPPER_FP8_PROMOTED (float32
sums promoted every 128 of K) bounds its error.
"""

import math

import pytest
import torch
from torch._subclasses.fake_tensor import FakeTensorMode

from gn_kernels import cutlass_block_scaled_fp8_mm
from gn_kernels.cutlass_gemm import block_scaled_fp8_mm_with_config, block_scales_for_kernel
from gn_kernels.testing import HOPPER_FP8_PROMOTED, assert_gemm_close
from kernels import fake_cuda, require_op, scaled_instances

FP8, E5M2 = torch.float8_e4m3fn, torch.float8_e5m2
OUT_DTYPES = [torch.bfloat16, torch.float16, torch.float32]
SHORT = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}
INSTANCES = scaled_instances("block_scaled_gemm_instances.h")


def _fake_block_scaled(M=8, N=256, K=256, sA=None, sB=None):
    A, B = fake_cuda(M, K, dtype=FP8), fake_cuda(N, K, dtype=FP8).t()
    sA = fake_cuda(M, K // 128, dtype=torch.float32) if sA is None else sA
    sB = fake_cuda(K // 128, N // 128, dtype=torch.float32) if sB is None else sB
    return A, B, sA, sB


def test_block_scaled_fake_shape_and_bad_inputs():
    with FakeTensorMode():
        out = cutlass_block_scaled_fp8_mm(*_fake_block_scaled(M=5), None, torch.float16)
        assert out.shape == (5, 256) and out.dtype == torch.float16
        with pytest.raises(ValueError, match=r"N \(B.shape\[1\]\) must be a multiple of 128; got 144"):
            cutlass_block_scaled_fp8_mm(*_fake_block_scaled(N=144, sB=fake_cuda(2, 1, dtype=torch.float32)))
        with pytest.raises(ValueError, match=r"scale_A must have shape \(8, 2\); got \(8, 1\)"):
            cutlass_block_scaled_fp8_mm(*_fake_block_scaled(sA=fake_cuda(8, 1, dtype=torch.float32)))
        with pytest.raises(ValueError, match=r"scale_B must have shape \(2, 2\); got \(2, 1\)"):
            cutlass_block_scaled_fp8_mm(*_fake_block_scaled(sB=fake_cuda(2, 1, dtype=torch.float32)))
        with pytest.raises(TypeError, match=r"B must have dtype float8_e4m3fn; got float8_e5m2"):
            A, _, sA, sB = _fake_block_scaled()
            cutlass_block_scaled_fp8_mm(A, fake_cuda(256, 256, dtype=E5M2).t(), sA, sB)


def test_block_scales_reach_the_kernel_in_its_memory_order_with_their_values():
    sA_m_major = torch.arange(6.0).reshape(2, 3).t()  # (3, 2) with M contiguous, as cuBLAS takes it
    sB_row_major = torch.arange(6.0).reshape(2, 3)  # (K/128, N/128) row-major
    sA, sB = block_scales_for_kernel(sA_m_major, sB_row_major)
    assert sA.is_contiguous() and torch.equal(sA, sA_m_major)
    assert sB.t().is_contiguous() and torch.equal(sB, sB_row_major)
    kept_A, kept_B = torch.ones(3, 2), torch.ones(3, 2).t()
    assert block_scales_for_kernel(kept_A, kept_B)[0].data_ptr() == kept_A.data_ptr()
    assert block_scales_for_kernel(kept_A, kept_B)[1].data_ptr() == kept_B.data_ptr()


def _expand(scale, rows, cols):
    return scale.repeat_interleave(rows, 0).repeat_interleave(cols, 1)


def _operands(M, N, K):
    return torch.randn(M, K, device="cuda").to(FP8), torch.randn(N, K, device="cuda").to(FP8).t()


def _heavy_tailed_case(M, N, K):
    """Operands with one all-zero 128x128 block of B, and heavy-tailed scales (A: 2**-8 .. 2**2,
    B: 2**-6 .. 2**2): the largest product (2**4) times a K-term sum of unit normals stays far
    inside float16. Returns A, B, scale_A, scale_B and the dequantized A and B."""
    A, B = _operands(M, N, K)
    B[:128, 128:256] = 0
    sA = torch.exp2(torch.randint(-8, 3, (M, K // 128), device="cuda").float()) * (torch.rand(M, K // 128, device="cuda") + 0.5)
    sB = torch.exp2(torch.randint(-6, 3, (N // 128, K // 128), device="cuda").float()).t()
    return A, B, sA, sB, A.double() * _expand(sA.double(), 1, 128), B.double() * _expand(sB.double(), 128, 128)


@pytest.mark.gpu
@pytest.mark.parametrize("out_dtype", OUT_DTYPES)
@pytest.mark.parametrize("M", [1, 7, 64, 129, 1000, 4097])
def test_block_scaled_matches_reference(M, out_dtype):
    require_op("cutlass_block_scaled_fp8_mm")
    torch.manual_seed(M)
    A, B, sA, sB, A_deq, B_deq = _heavy_tailed_case(M, 384, 1024)
    bias = torch.randn(384, device="cuda", dtype=torch.bfloat16)
    torch.full((M, 384), math.nan, device="cuda", dtype=out_dtype)  # poison the block the output reuses
    out = cutlass_block_scaled_fp8_mm(A, B, sA, sB, bias, out_dtype)
    assert_gemm_close(out, A_deq, B_deq, HOPPER_FP8_PROMOTED, bias=bias.float())


@pytest.mark.gpu
@pytest.mark.parametrize("out,config", INSTANCES, ids=[f"{o}-{c}" for o, c in INSTANCES])
@pytest.mark.parametrize("M", [1, 7, 129, 1000])
def test_every_configuration(M, out, config):
    # K = 2048 gives stream-K configurations enough K blocks to split one tile among CTAs.
    require_op("cutlass_block_scaled_fp8_mm")
    torch.manual_seed(M)
    A, B, sA, sB, A_deq, B_deq = _heavy_tailed_case(M, 256, 2048)
    bias = torch.randn(256, device="cuda", dtype=torch.float32)
    torch.full((M, 256), math.nan, device="cuda", dtype=SHORT[out])
    got = block_scaled_fp8_mm_with_config(A, B, sA, sB, bias, SHORT[out], config=config)
    assert_gemm_close(got, A_deq, B_deq, HOPPER_FP8_PROMOTED, bias=bias)


@pytest.mark.gpu
@pytest.mark.parametrize("out,config", INSTANCES, ids=[f"{o}-{c}" for o, c in INSTANCES])
@pytest.mark.parametrize("K", [128, 384, 640])
def test_odd_numbers_of_k_blocks(K, out, config):
    # The mainloop takes K blocks in pairs: one block never enters its loop, and an odd count
    # ends in the branch that promotes the last two blocks apart.
    require_op("cutlass_block_scaled_fp8_mm")
    torch.manual_seed(K)
    A, B, sA, sB, A_deq, B_deq = _heavy_tailed_case(129, 256, K)
    got = block_scaled_fp8_mm_with_config(A, B, sA, sB, None, SHORT[out], config=config)
    assert_gemm_close(got, A_deq, B_deq, HOPPER_FP8_PROMOTED)


@pytest.mark.gpu
def test_block_scaled_takes_either_scale_order_and_graph_replay():
    require_op("cutlass_block_scaled_fp8_mm")
    A, B = _operands(33, 256, 512)
    sA = torch.rand(33, 4, device="cuda") + 0.5
    sB = torch.rand(4, 2, device="cuda") + 0.5
    want = cutlass_block_scaled_fp8_mm(A, B, sA, sB.t().contiguous().t())
    torch.testing.assert_close(cutlass_block_scaled_fp8_mm(A, B, sA.t().contiguous().t(), sB), want, rtol=0, atol=0)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        out = cutlass_block_scaled_fp8_mm(A, B, sA, sB)
    sA.mul_(2)
    graph.replay()
    torch.testing.assert_close(out, cutlass_block_scaled_fp8_mm(A, B, sA, sB), rtol=0, atol=0)
