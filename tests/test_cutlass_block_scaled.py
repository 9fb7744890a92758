"""The SM120a block-scaled GEMMs (MXFP8, MXFP4, NVFP4), host side on the CPU.

No GPU at hand runs sm_120a code, so these hold the host side to references: the block-scale
packing to the layout CUTLASS's kernels read (evaluated on the host by the extension), the
checks and fake kernels, and the dispatch. The numeric tests run only on a compute-capability
12.0 GPU.
"""

from types import ModuleType

import pytest
import torch
from torch._subclasses.fake_tensor import FakeTensorMode

from gn_kernels import KernelUnavailableError, cutlass_mxfp4_mm, cutlass_mxfp8_mm, cutlass_nvfp4_mm, quant
from gn_kernels._build import FAMILIES
from gn_kernels.cutlass_block_scaled import packed_scale_count, scale_factors, unit_scale_factors
from gn_kernels.dispatch import family_for, load_family
from gn_kernels.testing import HOPPER_FP8_FAST, assert_gemm_close
from kernels import fake_cuda, require_op

E4M3, E5M2, E8M0, FP4 = torch.float8_e4m3fn, torch.float8_e5m2, torch.float8_e8m0fnu, quant.FP4_DTYPE


def sm120a_extension() -> ModuleType:
    module = load_family(FAMILIES["120a"])
    if isinstance(module, ModuleType):
        return module
    if torch.cuda.is_available():  # a GPU build compiles only the families that run on it
        pytest.skip(f"gn_kernels._C_sm120a is not built for this GPU ({module})")
    raise module  # without a GPU every family is built: its absence is a broken build


# ---- block-scale layout against CUTLASS's ------------------------------------------------------


@pytest.mark.parametrize("rows,K,block", [(1, 32, 32), (130, 96, 32), (256, 512, 32), (7, 48, 16), (129, 1024, 16)])
def test_packing_matches_the_layout_the_kernels_read(rows, K, block):
    offsets = sm120a_extension().scale_factor_offsets(rows, K, block)
    scales = torch.randint(1, 255, (rows, K // block), dtype=torch.uint8)
    packed = quant.pack_block_scales_nv(scales)
    assert packed.numel() == packed_scale_count(rows, K // block) and int(offsets.max()) < packed.numel()
    assert torch.equal(packed[offsets], scales)


def test_scale_factors_pack_b_by_its_columns_and_pass_packed_scales_through():
    sA = torch.randint(0, 255, (5, 4), dtype=torch.uint8).view(E8M0)
    w_scales = torch.randint(0, 255, (48, 4), dtype=torch.uint8).view(E8M0)  # quantize_mx(W) of W (48, 128)
    sfa, sfb = scale_factors(sA, w_scales.t())
    assert torch.equal(sfa.view(torch.uint8), quant.pack_block_scales_nv(sA).view(torch.uint8))
    assert torch.equal(sfb.view(torch.uint8), quant.pack_block_scales_nv(w_scales).view(torch.uint8))
    assert scale_factors(sfa, sfb)[0] is sfa


def test_unit_scale_factors_are_e8m0_ones_covering_k():
    sfa, sfb = unit_scale_factors(3, 272, 48, torch.device("cpu"))  # K = 48: two blocks, padded to 4
    assert sfa.numel() == 128 * 4 and sfb.numel() == 384 * 4 and bool((sfa == 127).all())
    assert float(sfa[:1].view(E8M0).float()) == 1.0


def test_unit_scale_factors_are_shared_between_calls():
    cpu = torch.device("cpu")
    sfa, sfb = unit_scale_factors(3, 272, 48, cpu)
    again, _ = unit_scale_factors(100, 16, 64, cpu)  # fewer scales than the buffer holds: a prefix of it
    assert again.data_ptr() == sfb.data_ptr() and again.numel() == 128 * 4
    bigger, _ = unit_scale_factors(1000, 16, 4096, cpu)  # more: a new buffer, all ones, kept for later calls
    assert bigger.numel() == 1024 * 128 and bool((bigger == 127).all())
    assert unit_scale_factors(1, 16, 32, cpu)[0].data_ptr() == bigger.data_ptr()


# ---- checks and fake kernels ------------------------------------------------------------------------


def _mx(M, N, K, a=E4M3, b=E4M3, fp4=False, block=32, scale=E8M0):
    cols = K // 2 if fp4 else K
    A = fake_cuda(M, cols, dtype=FP4 if fp4 else a)
    B = fake_cuda(N, cols, dtype=FP4 if fp4 else b).t()
    return A, B, fake_cuda(M, K // block, dtype=scale), fake_cuda(N, K // block, dtype=scale).t()


@pytest.mark.parametrize("M", [0, 1, 7, 4097])
def test_fake_shapes_and_dtypes(M):
    with FakeTensorMode():
        assert cutlass_mxfp8_mm(*_mx(M, 32, 128, E5M2, E4M3), out_dtype=torch.float16).shape == (M, 32)
        assert cutlass_mxfp4_mm(*_mx(M, 48, 64, fp4=True)).dtype == torch.bfloat16
        A, B, sA, sB = _mx(M, 16, 64, fp4=True, block=16, scale=E4M3)
        out = cutlass_nvfp4_mm(A, B, sA, sB, fake_cuda(dtype=torch.float32), None, torch.float32)
        assert out.shape == (M, 16) and out.dtype == torch.float32
        packed_A = fake_cuda(packed_scale_count(M, 4), dtype=E8M0)
        _, B, _, sB = _mx(M, 32, 128)
        assert cutlass_mxfp8_mm(fake_cuda(M, 128, dtype=E4M3), B, packed_A, sB).shape == (M, 32)


BAD = [
    ("e8m0 scales for nvfp4", lambda: (cutlass_nvfp4_mm, (*_mx(8, 16, 64, fp4=True, block=16), fake_cuda(dtype=torch.float32))),
     TypeError, r"cutlass_nvfp4_mm: scale_A must have dtype float8_e4m3fn; got float8_e8m0fnu"),
    ("fp8 operands for mxfp4", lambda: (cutlass_mxfp4_mm, _mx(8, 16, 64)),
     TypeError, r"cutlass_mxfp4_mm: A must have dtype float4_e2m1fn_x2; got float8_e4m3fn"),
    ("scale_B untransposed", lambda: (cutlass_mxfp8_mm, (*_mx(8, 16, 64)[:3], fake_cuda(16, 2, dtype=E8M0))),
     ValueError, r"scale_B must have shape \(2, 16\), or \(512,\) already packed"),
    ("K not multiple of 32", lambda: (cutlass_mxfp8_mm, _mx(8, 16, 48, block=16)),
     ValueError, r"K \(A.shape\[1\]\) must be a multiple of 32; got 48"),
    ("FP4 K not multiple of 32", lambda: (cutlass_mxfp4_mm, _mx(8, 16, 48, fp4=True, block=16)),
     ValueError, r"A.shape\[1\] \(K/2: two FP4 values a byte\) must be a multiple of 16; got 24"),
    ("N not multiple of 16", lambda: (cutlass_mxfp8_mm, _mx(8, 24, 64)),
     ValueError, r"N \(B.shape\[1\]\) must be a multiple of 16; got 24"),
    ("output scale of two values", lambda: (cutlass_nvfp4_mm, (*_mx(8, 16, 64, fp4=True, block=16, scale=E4M3),
                                                               fake_cuda(2, dtype=torch.float32))),
     ValueError, r"output_scale must hold one value"),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_input_raises_clear_error(case):
    _, make, error, pattern = case
    with FakeTensorMode(), pytest.raises(error, match=pattern):
        op, args = make()
        op(*args)


def test_dispatch_runs_these_on_compute_capability_12_only():
    for op in ("cutlass_mxfp8_mm", "cutlass_mxfp4_mm", "cutlass_nvfp4_mm", "cutlass_row_scaled_fp8_mm"):
        assert family_for(op, (12, 0)).arch == "120a"
    with pytest.raises(KernelUnavailableError, match=r"cutlass_mxfp8_mm: no kernel runs on compute capability 9.0"):
        family_for("cutlass_mxfp8_mm", (9, 0))


# ---- numbers, on an SM120 GPU -------------------------------------------------------------------------


@pytest.mark.gpu
@pytest.mark.parametrize("fmt", ["mxfp8", "mxfp4", "nvfp4"])
@pytest.mark.parametrize("M", [1, 7, 129, 1000])
def test_matches_reference_of_the_dequantized_operands(fmt, M):
    require_op(f"cutlass_{fmt}_mm")
    torch.manual_seed(M)
    N, K = 272, 1024
    x, w = torch.randn(M, K, device="cuda"), torch.randn(N, K, device="cuda")
    bias = torch.randn(N, device="cuda")
    if fmt == "nvfp4":
        (qx, sx, tx), (qw, sw, tw) = quant.quantize_nvfp4(x), quant.quantize_nvfp4(w)
        out = cutlass_nvfp4_mm(qx, qw.t(), sx, sw.t(), tx * tw, bias)
        A, B = quant.dequantize_nvfp4(qx, sx, tx), quant.dequantize_nvfp4(qw, sw, tw).t()
    else:
        dtype = E4M3 if fmt == "mxfp8" else FP4
        (qx, sx), (qw, sw) = quant.quantize_mx(x, dtype, "nv"), quant.quantize_mx(w, dtype, "nv")
        out = (cutlass_mxfp8_mm if fmt == "mxfp8" else cutlass_mxfp4_mm)(qx, qw.t(), sx, sw.t(), bias)
        A, B = quant.dequantize_mx(qx, sx), quant.dequantize_mx(qw, sw).t()
    # The SM120 accumulator's precision is not documented: held to Hopper's fast FP8 model.
    assert_gemm_close(out, A.double(), B.double(), HOPPER_FP8_FAST, bias=bias)
