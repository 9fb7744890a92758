"""The one reference and the one tolerance used by the tests and the benchmarks.

The reference is a float64 matmul of the dequantized operands. The tolerance
is a worst-case bound derived from how a kernel accumulates and rounds, not a
number tuned until tests pass: for an output element

    |out - ref| <= (1 + u_out) * (e_acc(K) * S + e_epi * (S + |bias|)) + u_out * |ref| + tiny_out,
    S = sum_k |a_k b_k|

where u_out is the unit roundoff of the output dtype (round-to-nearest on the
final cast), e_acc(K) bounds the relative error of summing K products in the
kernel's accumulator, e_epi that of the float32 epilogue (scale multiplies and
the bias add: three roundings of 2**-24), and tiny_out is the output dtype's
smallest normal number (the absolute rounding error of results that land in
its subnormals). Products of FP8, INT8 and INT4 values are exact in float32,
so the bound has no product-rounding term; scales apply to the sum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

# Unit roundoff (half an ulp at 1.0) of each floating output dtype.
UNIT_ROUNDOFF = {
    torch.float64: 2.0**-53,
    torch.float32: 2.0**-24,
    torch.float16: 2.0**-11,
    torch.bfloat16: 2.0**-8,
}
# Hopper's FP8 tensor cores keep about 14 significant bits when they add a
# WGMMA step's products into the accumulator (DeepSeek-V3 technical report,
# section 3.3.2, measured on H800): a relative error of 2**-13 per step. That holds for products
# of the running sum's order, as random test data gives: the cut is per product (an accumulator of
# 2**14 takes nothing more from products of 1, benchmarks/results/h100_sxm_wgmma_probe.md), so
# products far below the sum can lose up to 32 * 2**-13 of it a 32-deep step.
HOPPER_FP8_STEP_ROUNDOFF = 2.0**-13
FP8_WGMMA_K = 32  # K consumed by one FP8 WGMMA instruction
EPILOGUE_ROUNDOFF = 3 * 2.0**-24


def _gamma(n: int, u: float) -> float:
    """Higham's bound on the relative error of n-term recursive summation with roundoff u."""
    nu = n * u
    if nu >= 1:
        return math.inf
    return nu / (1 - nu)


def _probabilistic_gamma(n: int, u: float, lam: float = 9.0) -> float:
    """Higham and Mary's probabilistic bound (SIAM J. Sci. Comput. 41(5), 2019, theorem 2.4) on
    the relative error of an n-term dot product whose rounding errors are independent and of mean
    zero: exp(lam sqrt(n) u + n u^2 / (1 - u)) - 1, exceeded with probability at most
    2n exp(-lam^2 (1 - u)^2 / 2), below 1e-12 per element for lam = 9 and n <= 10**5. It keeps a
    check meaningful where the worst case (n u >= 1 for float16 sums past K = 2048) says nothing."""
    return math.expm1(lam * math.sqrt(n) * u + n * u * u / (1 - u))


@dataclass(frozen=True)
class Accumulation:
    """How a kernel sums its K products.

    ``tc_steps(K)`` is the number of additions made in the tensor cores'
    reduced-precision accumulator that feed one output, ``fp32_adds(K)`` the
    number of float32 additions after that. Integer accumulation is exact.
    """

    name: str
    kind: str  # "fp32", "fp16", "fp8_promoted", "fp8_fast", "int32"
    promotion_k: int = 128

    def relative_error(self, K: int) -> float:
        if self.kind == "int32":
            return 0.0
        if self.kind == "fp32":
            return _gamma(K, UNIT_ROUNDOFF[torch.float32])
        if self.kind == "fp16":  # each product and partial sum rounded to float16
            return min(_gamma(K, UNIT_ROUNDOFF[torch.float16]), _probabilistic_gamma(K, UNIT_ROUNDOFF[torch.float16]))
        steps = math.ceil(K / FP8_WGMMA_K)
        if self.kind == "fp8_fast":
            return steps * HOPPER_FP8_STEP_ROUNDOFF
        if self.kind == "fp8_promoted":
            chunk_steps = min(steps, self.promotion_k // FP8_WGMMA_K)
            chunks = math.ceil(K / self.promotion_k)
            return chunk_steps * HOPPER_FP8_STEP_ROUNDOFF + _gamma(chunks, UNIT_ROUNDOFF[torch.float32])
        raise ValueError(f"unknown accumulation kind {self.kind!r}")


FP32_ACC = Accumulation("float32", "fp32")
FP16_ACC = Accumulation("float16", "fp16")
INT32_ACC = Accumulation("int32", "int32")
# CUTLASS's default SM90 FP8 mainloop moves partial sums to float32 once per
# 128-deep K tile (4 WGMMA steps); the fast-accumulation one never does.
HOPPER_FP8_PROMOTED = Accumulation("hopper fp8, promoted every 128 K", "fp8_promoted", promotion_k=128)
HOPPER_FP8_FAST = Accumulation("hopper fp8, fast accumulation", "fp8_fast")
# CUTLASS 2.x FP8 mma.sync (SM89 family) stages its sums: each 64-deep K tile (two 32-deep
# instructions) accumulates apart and is then added into float32. The per-instruction error is
# taken as Hopper's: the SM89 kernels run on Hopper's tensor cores in this project's tests.
MMA_SYNC_FP8_STAGED = Accumulation("mma.sync fp8, staged every 64 K", "fp8_promoted", promotion_k=64)
# MXFP8 attention scores: each 32-deep block (one instruction) is scaled apart and added in float32.
MMA_SYNC_FP8_PER_BLOCK = Accumulation("mma.sync fp8, one 32-deep MX block per float32 add", "fp8_promoted",
                                      promotion_k=32)


def reference_mm(A: Tensor, B: Tensor) -> tuple[Tensor, Tensor]:
    """float64 ``A @ B`` and ``|A| @ |B|`` of dequantized operands (any dtype, any device)."""
    A64, B64 = A.to(torch.float64), B.to(torch.float64)
    return A64 @ B64, A64.abs() @ B64.abs()


def gemm_error_bound(
    ref: Tensor, abs_ref: Tensor, K: int, out_dtype: torch.dtype, acc: Accumulation, abs_bias: Tensor | float = 0.0
) -> Tensor:
    """Elementwise bound on |out - ref| (see the module docstring); ``ref`` includes any bias."""
    if out_dtype in UNIT_ROUNDOFF:
        u_out, tiny = UNIT_ROUNDOFF[out_dtype], torch.finfo(out_dtype).tiny
        e_epi = EPILOGUE_ROUNDOFF
    else:  # integer outputs are exact
        u_out, tiny, e_epi = 0.0, 0.0, 0.0
    computed = acc.relative_error(K) * abs_ref + e_epi * (abs_ref + abs_bias)
    return (1 + u_out) * computed + u_out * ref.abs() + tiny


@dataclass
class GemmCheck:
    ok: bool
    worst_ratio: float  # max |out - ref| / bound; <= 1 passes
    rel_frobenius: float  # ||out - ref|| / ||ref||
    detail: str

    def __str__(self) -> str:
        return self.detail


def check_gemm(
    out: Tensor, A: Tensor, B: Tensor, acc: Accumulation, rows: Tensor | None = None, bias: Tensor | None = None
) -> GemmCheck:
    """Compare ``out`` with the reference of dequantized ``A @ B`` (+ ``bias`` along N).

    ``rows`` (indices into M) restricts the check to those rows, so that a
    benchmark can verify a large output at a fraction of the reference's cost.
    """
    if rows is not None:
        A, out = A[rows], out[rows]
    ref, abs_ref = reference_mm(A, B)
    abs_bias = 0.0
    if bias is not None:
        ref = ref + bias.to(torch.float64)
        abs_bias = bias.to(torch.float64).abs()
    bound = gemm_error_bound(ref, abs_ref, A.shape[-1], out.dtype, acc, abs_bias)
    return _compare(out, ref, bound, f"accumulation = {acc.name}")


def _compare(out: Tensor, ref: Tensor, bound: Tensor, what: str) -> GemmCheck:
    """Elementwise |out - ref| against ``bound``; ``what`` names the accumulation in the report."""
    got = out.to(torch.float64)
    err = (got - ref).abs()
    finite = bool(torch.isfinite(got).all())
    # 0/0 where an exact kernel meets a zero bound passes; NaN outputs never do.
    ratio = torch.where(err == 0, 0.0, err / bound).nan_to_num(nan=math.inf)
    worst = float(ratio.max()) if ratio.numel() else 0.0
    ref_norm = float(ref.norm())
    rel = float((got - ref).norm()) / ref_norm if ref_norm > 0 else float((got - ref).norm())
    ok = finite and worst <= 1.0
    detail = (
        f"{'ok' if ok else 'MISMATCH'}: worst |out-ref|/bound = {worst:.3g}, "
        f"relative Frobenius error = {rel:.3g}, finite = {finite}, {what}"
    )
    if not ok and ratio.numel():
        idx = tuple(int(i) for i in torch.unravel_index(ratio.argmax(), ratio.shape))
        detail += f"; at {idx}: out={float(got[idx])!r}, ref={float(ref[idx])!r}, bound={float(bound[idx]):.3g}"
    return GemmCheck(ok, worst, rel, detail)


def assert_gemm_close(
    out: Tensor, A: Tensor, B: Tensor, acc: Accumulation, rows: Tensor | None = None, bias: Tensor | None = None
) -> None:
    result = check_gemm(out, A, B, acc, rows, bias)
    if not result.ok:
        raise AssertionError(str(result))


# ---- attention -------------------------------------------------------------------------------------

# Relative error of the GPU's approximate exp2 (ex2.approx: 2 ulp of float32) and of one float32
# division or multiplication, with room to spare.
EXP2_ROUNDOFF = 2.0**-21


def check_attention(out: Tensor, q: Tensor, k: Tensor, v: Tensor, causal: bool, qk_acc: Accumulation,
                    scale_q: Tensor | None = None, scale_k: Tensor | None = None, scale_v: Tensor | None = None,
                    p_step: float = 0.0) -> GemmCheck:
    """Compare a flash-attention output with the float64 attention of the dequantized inputs.

    The bound per output element, with P = softmax(S) of the exact scores S (natural-log units):
    the kernel's scores err by at most delta_ij = (e_qk(D) + 4u) * |S|_ij (|S| from |q| |k|, e_qk
    the QK product's accumulation bound, 4u the float32 roundings of the scales, applied to the
    whole sum or, for block scales, to each block's part of it), so each p_j is off by a
    factor within exp(+-2 max_j delta_ij); add p's rounding to v's dtype (u_v), the exp2
    approximation and the float32 sums over len_kv (gamma(L)). A relative error e on each p_j moves
    the normalized output by at most 2e/(1-e) * sum_j p_j |v_j|; the output cast adds u_out |ref|.

    An int8 v comes with per-channel scales ``scale_v`` (batch, heads, D). A kernel that rounds P
    to absolute steps of ``p_step`` of its running row maximum (which only grows, so the final
    maximum bounds it) moves each weight by at most p_step / 2 / l, l = sum_j exp(S_j - max S):
    that adds p_step / 2 * sum_j |v_j| / l, and replaces the rounding of P to v's dtype.
    """
    B, H, Lq, D = q.shape
    group = H // k.shape[1]
    q64 = q.to(torch.float64) * (1 if scale_q is None else scale_q.to(torch.float64)[..., None])
    k64 = k.to(torch.float64) * (1 if scale_k is None else scale_k.to(torch.float64)[..., None])
    v64 = v.to(torch.float64) * (1 if scale_v is None else scale_v.to(torch.float64)[..., None, :])
    k64, v64 = k64.repeat_interleave(group, 1), v64.repeat_interleave(group, 1)
    scale = 1 / math.sqrt(D)
    s, abs_s = q64 @ k64.transpose(-1, -2) * scale, q64.abs() @ k64.abs().transpose(-1, -2) * scale
    keep = torch.ones(Lq, k.shape[2], dtype=torch.bool, device=q.device)
    if causal:
        keep = keep.tril()
    p = torch.softmax(s.masked_fill(~keep, -math.inf), -1)
    ref, abs_pv = p @ v64, p @ v64.abs()
    u32 = UNIT_ROUNDOFF[torch.float32]
    delta = torch.where(keep, (qk_acc.relative_error(D) + 4 * u32) * abs_s, 0).amax(-1, keepdim=True)
    u_p = 0.0 if p_step else UNIT_ROUNDOFF[v.dtype]
    e = torch.expm1(2 * delta) + u_p + EXP2_ROUNDOFF + _gamma(k.shape[2], u32)
    u_out = UNIT_ROUNDOFF[out.dtype]
    bound = (2 * e / (1 - e) + _gamma(k.shape[2], u32)) * abs_pv * (1 + u_out) + u_out * ref.abs() + torch.finfo(out.dtype).tiny
    if p_step:
        masked = s.masked_fill(~keep, -math.inf)
        l_ref = torch.exp(masked - masked.amax(-1, keepdim=True)).sum(-1, keepdim=True)
        bound = bound + p_step / 2 * (keep.to(torch.float64) @ v64.abs()) / l_ref * (1 + u_out)
    return _compare(out, ref, bound, f"QK accumulation = {qk_acc.name}")


# E4M3 keeps 3 mantissa bits: rounding to nearest errs by at most 2**-4 of a normal value, and by
# half the subnormal step, 2**-10, in units of the scale below 2**-6 (OCP FP8 spec). Dividing by
# the scale in float32 before rounding adds at most two float32 roundings (2**-23 of the value).
E4M3_RELATIVE_HALF_ULP = 2.0**-4
E4M3_SUBNORMAL_HALF_STEP = 2.0**-10
SCALING_ROUNDOFF = 2.0**-22


def quantization_error(x: Tensor, scale: Tensor, dtype: torch.dtype) -> Tensor:
    """Elementwise bound, float64, on |x - q * scale| when x is quantized to ``dtype`` (E4M3 or
    int8) by ``scale`` (one per element, as broadcast from the quantizer's scales)."""
    a, s = x.double().abs(), scale.double().expand_as(x)
    if dtype == torch.int8:  # rounding to the nearest integer multiple of the scale
        return s / 2 + SCALING_ROUNDOFF * a
    return (E4M3_RELATIVE_HALF_ULP + SCALING_ROUNDOFF) * a + E4M3_SUBNORMAL_HALF_STEP * s


def quantize_tokens(x: Tensor, dtype: torch.dtype) -> tuple[Tensor, Tensor]:
    """int8 or E4M3 codes of x (..., L, D), one float32 scale per token (..., L): amax over D over
    the format's largest code, an all-zero token's clamped above zero so that its codes are zeros.
    The per-token q and k that triton_scaled_qk_attn takes, for its tests and benchmark."""
    from .quant.formats import code_max

    scale = x.float().abs().amax(-1).clamp_min(1e-12) / code_max(dtype)
    codes = x.float() / scale[..., None]
    return (codes.round() if dtype == torch.int8 else codes).to(dtype), scale


def expand_scales(scale: Tensor, shape: torch.Size) -> Tensor:
    """A quantizer's scales (one per row, 1x128 group or 128x128 block) spread over the elements."""
    rows, cols = shape[-2], shape[-1]
    return scale.repeat_interleave(rows // scale.shape[0], 0).repeat_interleave(cols // scale.shape[1], 1)


def check_quantized_product(out: Tensor, A: Tensor, B: Tensor, err_A: Tensor, err_B: Tensor,
                            acc: Accumulation = FP32_ACC, bias: Tensor | None = None) -> GemmCheck:
    """``out`` against A @ B (+ bias) of the unquantized operands, in float64, when the kernel
    multiplied operands Ã, B̃ within err_A and err_B of them: |AB - ÃB̃| ≤ err_A|B| + |A|err_B +
    err_A err_B elementwise, and the kernel's own error on ÃB̃ is gemm_error_bound's, with
    |Ã||B̃| ≤ (|A| + err_A)(|B| + err_B)."""
    A, B, err_A, err_B = A.double(), B.double(), err_A.double(), err_B.double()
    absA, absB = A.abs(), B.abs()
    ref = A @ B
    abs_bias = 0.0
    if bias is not None:
        ref, abs_bias = ref + bias.double(), bias.double().abs()
    quantization = err_A @ absB + absA @ err_B + err_A @ err_B
    kernel = gemm_error_bound(ref.abs() + quantization, (absA + err_A) @ (absB + err_B), A.shape[1], out.dtype, acc,
                              abs_bias)
    return _compare(out, ref, (1 + UNIT_ROUNDOFF.get(out.dtype, 0.0)) * quantization + kernel, "quantized operands")
