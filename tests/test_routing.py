"""gn_kernels.scaled_mm and explain: the granularity read from the scales, the route taken and the
reasons given for the others, forced backends, and (on the H100) every backend's result for one
call within the derived bound of the same reference."""

import pytest
import torch

from gn_kernels import explain, scaled_mm
from gn_kernels.quant import (FP4_DTYPE, quantize_fp8_blockwise, quantize_fp8_groupwise, quantize_fp8_rowwise,
                              quantize_int8_rowwise, quantize_mx, quantize_nvfp4)
from gn_kernels.routing import ROUTES, granularity, operand_kind
from gn_kernels.testing import FP32_ACC, HOPPER_FP8_FAST, HOPPER_FP8_PROMOTED, INT32_ACC, assert_gemm_close, expand_scales
from kernels import require_op

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


def _operands(kind: str, M=64, N=256, K=256):
    """(A, B, scale_A, scale_B, output_scale) of one granularity, quantized as gn_kernels.quant makes them."""
    torch.manual_seed(M + N + K)
    x, w = torch.randn(M, K, device=DEVICE), torch.randn(N, K, device=DEVICE)
    if kind == "row":
        (xq, sx), (wq, sw) = quantize_fp8_rowwise(x), quantize_fp8_rowwise(w)
    elif kind == "int8":
        (xq, sx), (wq, sw) = quantize_int8_rowwise(x), quantize_int8_rowwise(w)
    elif kind == "tensor":
        (xq, sx), (wq, sw) = quantize_fp8_rowwise(x), quantize_fp8_rowwise(w)
        sx, sw = sx.amax().reshape(()), sw.amax().reshape(())  # one scale each, the codes reused
    elif kind == "block":
        (xq, sx), (wq, sw) = quantize_fp8_groupwise(x), quantize_fp8_blockwise(w)
    elif kind in ("mxfp8", "mxfp4"):
        dtype = torch.float8_e4m3fn if kind == "mxfp8" else FP4_DTYPE
        (xq, sx), (wq, sw) = quantize_mx(x, dtype), quantize_mx(w, dtype)
    else:
        (xq, sx, xt), (wq, sw, wt) = quantize_nvfp4(x), quantize_nvfp4(w)
        return xq, wq.t(), sx, sw.t(), (xt * wt).reshape(1)
    return xq, wq.t(), sx, sw.t(), None


@pytest.mark.parametrize("kind,expected", [("row", "row"), ("int8", "row"), ("tensor", "tensor"), ("block", "block"),
                                           ("mxfp8", "mx"), ("mxfp4", "mx"), ("nvfp4", "nv")])
def test_granularity_is_read_from_the_scales(kind, expected):
    A, B, sA, sB, _ = _operands(kind)
    assert granularity(A, B, sA, sB) == expected


def test_explain_names_the_route_and_the_reasons():
    A, B, sA, sB, _ = _operands("row", N=40)  # N = 40: not a multiple of 16, so CUTLASS refuses it
    text = explain(A, B, sA, sB)
    assert text.splitlines()[0] == "granularity row, fp8 operands (64, 256) @ (256, 40)"
    assert "passes over cutlass_row_scaled_fp8_mm (cutlass): " in text
    assert text.splitlines()[-1] == "takes triton_scaled_mm (triton)"


@pytest.mark.parametrize("kind,op", [("mxfp8", "cutlass_mxfp8_mm"), ("mxfp4", "cutlass_mxfp4_mm"),
                                     ("nvfp4", "cutlass_nvfp4_mm")])
def test_block_formats_try_the_sm120a_kernel_first(kind, op):
    A, B, sA, sB, output_scale = _operands(kind)
    lines = explain(A, B, sA, sB, output_scale=output_scale).splitlines()
    on_sm120 = DEVICE == "cuda" and torch.cuda.get_device_capability() == (12, 0)
    assert lines[1].startswith(f"takes {op} (cutlass)" if on_sm120 else f"passes over {op} (cutlass): ")
    assert on_sm120 or lines[-1] == "takes triton_block_scaled_mm (triton)"


def test_forced_backend_that_cannot_run_raises_with_the_reasons():
    A, B, sA, sB, _ = _operands("row", N=40)
    with pytest.raises(ValueError, match=r"(?s)no kernel takes these arguments:.*passes over cutlass_row_scaled_fp8_mm"):
        scaled_mm(A, B, sA, sB, backend="cutlass")
    with pytest.raises(ValueError, match=r"backend must be one of \['auto', 'cutlass', 'triton'\]; got 'cublas'"):
        scaled_mm(A, B, sA, sB, backend="cublas")


def test_unreadable_scales_raise():
    A, B, _, _, _ = _operands("row")
    with pytest.raises(ValueError, match=r"scales of shapes \(64,\) and \(256,\) are neither"):
        scaled_mm(A, B, torch.ones(64, device=DEVICE), torch.ones(256, device=DEVICE))


def _dequantized(A, B, sA, sB, kind):
    from gn_kernels.quant import dequantize_mx, dequantize_nvfp4

    if kind in ("mxfp8", "mxfp4"):
        return dequantize_mx(A, sA).double(), dequantize_mx(B.t(), sB.t()).double().t()
    if kind == "nvfp4":
        return dequantize_nvfp4(A, sA, torch.ones(())).double(), dequantize_nvfp4(B.t(), sB.t(), torch.ones(())).double().t()
    sa = sA.double().expand(A.shape[0], 1) if sA.numel() == 1 else sA.double()
    sb = sB.double().expand(1, B.shape[1]) if sB.numel() == 1 else sB.double()
    return A.double() * expand_scales(sa, A.shape), B.double() * expand_scales(sb, B.shape)


def _accumulation(kind, backend):
    if kind in ("mxfp8", "mxfp4", "nvfp4") and backend == "cutlass":
        return HOPPER_FP8_FAST  # SM120's block-scaled accumulator: undocumented, held to the loosest model
    if DEVICE == "cpu" or kind in ("mxfp8", "mxfp4", "nvfp4"):
        return FP32_ACC  # the interpreter's float32 sums; MX and NV products summed in float32
    return INT32_ACC if kind == "int8" else HOPPER_FP8_PROMOTED


@pytest.mark.parametrize("kind", ["row", "int8", "tensor", "block", "mxfp8", "mxfp4", "nvfp4"])
@pytest.mark.parametrize("backend", ["cutlass", "triton"])
def test_every_backend_gives_the_reference_product(kind, backend):
    A, B, sA, sB, output_scale = _operands(kind)
    gran = granularity(A, B, sA, sB)
    route = next((r for r in ROUTES if (r.granularity, r.operands, r.backend) == (gran, operand_kind(A), backend)),
                 None)
    if route is None:
        pytest.skip(f"no {backend} route for {kind}")
    if backend == "cutlass" and DEVICE == "cpu":
        pytest.skip("CUTLASS kernels need a CUDA GPU")
    if backend == "cutlass":
        require_op(route.op)
    out = scaled_mm(A, B, sA, sB, out_dtype=torch.float32, backend=backend, output_scale=output_scale)
    deq_A, deq_B = _dequantized(A, B, sA, sB, kind)
    if output_scale is not None:
        deq_A = deq_A * output_scale.double()
    assert_gemm_close(out, deq_A, deq_B, _accumulation(kind, backend))
