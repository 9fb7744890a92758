"""Sample arguments for every registered gn_kernels op, for torch.library.opcheck.

test_ops.py fails if an op is registered without samples here, so no op escapes opcheck.
Each entry makes its samples on a given device; CPU_OPS also run on the CPU (their
pure-torch reference), the rest need their CUDA kernels.
"""

import torch

FP8 = torch.float8_e4m3fn


def _fp8(rows, cols, device):
    return torch.randn(rows, cols, device=device).to(FP8)


def _x(*shape, device, dtype=torch.float32):
    return torch.randn(*shape, device=device).to(dtype)


def cutlass_fp8_mm(device):
    return [
        (_fp8(64, 128, device), _fp8(32, 128, device).t()),
        (_fp8(7, 64, device), _fp8(48, 64, device).t(), torch.float16),
        (_fp8(129, 32, device), _fp8(16, 32, device).t(), torch.float32),
        (_fp8(5, 32, device), _fp8(16, 32, device).t(), torch.bfloat16, "89"),
    ]


def cutlass_row_scaled_fp8_mm(device):
    def f32(*shape):
        return torch.rand(shape, device=device) + 0.5

    return [
        (_fp8(64, 128, device), _fp8(32, 128, device).t(), f32(64, 1), f32(1, 32)),
        (_fp8(7, 64, device), _fp8(48, 64, device).to(torch.float8_e5m2).t(), f32(), f32(), torch.randn(48, device=device),
         torch.float32, True),
        (_fp8(33, 64, device), _fp8(16, 64, device).t(), f32(33, 1), f32(1, 16), None, torch.bfloat16, False, "89"),
    ]


def _int8(rows, cols, device):
    return torch.randint(-128, 128, (rows, cols), device=device, dtype=torch.int8)


def cutlass_int8_mm(device):
    return [
        (_int8(64, 128, device), _int8(32, 128, device).t()),
        (_int8(7, 64, device), _int8(48, 64, device).t()),
    ]


def _int4(rows, cols, device):
    """(rows, cols / 2) int8 bytes of random INT4 pairs."""
    return _int8(rows, cols // 2, device)


def cutlass_int4_mm(device):
    return [
        (_int4(64, 128, device), _int4(32, 128, device).t()),
        (_int4(7, 64, device), _int4(48, 64, device).t()),
    ]


def cutlass_row_scaled_int4_mm(device):
    def f32(*shape):
        return torch.rand(shape, device=device) + 0.5

    return [
        (_int4(64, 128, device), _int4(32, 128, device).t(), f32(64, 1), f32(1, 32)),
        (_int4(7, 64, device), _int4(48, 64, device).t(), f32(), f32(), torch.randn(48, device=device), torch.float16),
    ]


def _e8m0(*shape, device):
    return torch.randint(120, 134, shape, dtype=torch.uint8, device=device).view(torch.float8_e8m0fnu)


def _fp4(rows, cols, device):
    """(rows, cols / 2) packed E2M1 pairs."""
    return torch.randint(0, 256, (rows, cols // 2), dtype=torch.uint8, device=device).view(torch.float4_e2m1fn_x2)


def cutlass_mxfp8_mm(device):
    return [
        (_fp8(64, 128, device), _fp8(32, 128, device).t(), _e8m0(64, 4, device=device), _e8m0(32, 4, device=device).t()),
        (_fp8(7, 64, device), _fp8(48, 64, device).to(torch.float8_e5m2).t(), _e8m0(128 * 4, device=device),
         _e8m0(2, 48, device=device), torch.randn(48, device=device), torch.float32),
    ]


def cutlass_mxfp4_mm(device):
    return [(_fp4(33, 128, device), _fp4(32, 128, device).t(), _e8m0(33, 4, device=device), _e8m0(32, 4, device=device).t())]


def cutlass_nvfp4_mm(device):
    def e4m3(*shape):
        return (torch.rand(shape, device=device) + 0.5).to(FP8)

    return [(_fp4(5, 64, device), _fp4(16, 64, device).t(), e4m3(5, 4), e4m3(16, 4).t(), torch.tensor(0.01, device=device),
             None, torch.float16)]


def cutlass_row_scaled_int8_mm(device):
    def f32(*shape):
        return torch.rand(shape, device=device) + 0.5

    return [
        (_int8(64, 128, device), _int8(32, 128, device).t(), f32(64, 1), f32(1, 32)),
        (_int8(7, 64, device), _int8(48, 64, device).t(), f32(), f32(), torch.randn(48, device=device), torch.float32),
    ]


def cutlass_block_scaled_fp8_mm(device):
    def f32(*shape):
        return torch.rand(shape, device=device) + 0.5

    # scale_B column-major as the kernel reads it, then row-major (converted by the op).
    return [
        (_fp8(64, 256, device), _fp8(256, 256, device).t(), f32(64, 2), f32(2, 2).t().contiguous().t()),
        (_fp8(7, 256, device), _fp8(256, 256, device).t(), f32(7, 2), f32(2, 2), torch.randn(256, device=device),
         torch.float32),
    ]


def triton_mm(device):
    a16, b16 = _x(40, 72, device=device, dtype=torch.float16), _x(24, 72, device=device, dtype=torch.float16).t()
    return [
        (_x(40, 72, device=device, dtype=torch.bfloat16), _x(72, 24, device=device, dtype=torch.bfloat16)),
        (a16[::2], b16, torch.float32, torch.float16),  # strided A, column-major B, float16 accumulation
        (_fp8(17, 64, device), _fp8(64, 32, device)),
        (_int8(33, 48, device), _int8(16, 48, device).t()),
    ]


def triton_scaled_mm(device):
    def f32(*shape):
        return torch.rand(shape, device=device) + 0.5

    return [
        (_int8(9, 64, device), _int8(24, 64, device).t(), f32(9, 1) / 127, f32(1, 24) / 127),
        (_fp8(5, 64, device), _fp8(64, 32, device), f32(), f32(1, 32), torch.float32, torch.randn(32, device=device)),
        (_fp8(6, 64, device), _fp8(32, 64, device).t(), f32(6, 2), f32(2, 1), torch.float16),  # 1x32 and 32x32 tiles
    ]


def triton_block_scaled_mm(device):
    from gn_kernels.quant import FP4_DTYPE, quantize_mx, quantize_nvfp4

    x, w = _x(9, 64, device=device), _x(16, 64, device=device)
    samples = []
    for dtype, fmt in ((FP8, "mxfp8"), (FP4_DTYPE, "mxfp4")):
        (xq, xs), (wq, ws) = quantize_mx(x, dtype), quantize_mx(w, dtype)
        samples.append((xq, wq.t(), xs, ws.t(), fmt))
    (xq, xs, xt), (wq, ws, wt) = quantize_nvfp4(x), quantize_nvfp4(w)
    return [*samples, (xq, wq.t(), xs, ws.t(), "nvfp4", torch.float32, (xt * wt).reshape(1))]


def _heads(*shape, device, dtype=torch.bfloat16):
    return torch.randn(*shape, device=device).to(dtype)


def triton_attn(device):
    return [
        (_heads(1, 2, 20, 32, device=device), _heads(1, 2, 24, 32, device=device), _heads(1, 2, 24, 32, device=device)),
        (_heads(1, 4, 9, 64, device=device), _heads(1, 2, 9, 64, device=device), _heads(1, 2, 9, 64, device=device), True),
    ]


def triton_scaled_qk_attn(device):
    q, k = _int8(2 * 12, 32, device).view(1, 2, 12, 32), _int8(2 * 10, 32, device).view(1, 2, 10, 32)
    v = _heads(1, 2, 10, 32, device=device, dtype=torch.float16)
    return [(q, k, v, torch.rand(1, 2, 12, device=device) / 127, torch.rand(1, 2, 10, device=device) / 127, True)]


def attn_int8_qk(device):
    def tokens(B, H, L):
        return torch.randint(-127, 128, (B, H, L, 128), dtype=torch.int8, device=device)

    q, k = tokens(1, 2, 70), tokens(1, 2, 33)
    v = torch.randn(1, 2, 33, 128, device=device, dtype=torch.bfloat16)
    return [(q, k, v, torch.rand(1, 2, 70, device=device) / 127, torch.rand(1, 2, 33, device=device) / 127, True),
            (q[:, :, :5], k, v, torch.rand(1, 2, 5, device=device) / 127, torch.rand(1, 2, 33, device=device) / 127)]


def attn_int8(device):
    q, k, v, sq, sk, causal = attn_int8_qk(device)[0]
    v8 = torch.randint(-127, 128, v.shape, dtype=torch.int8, device=device)
    return [(q, k, v8, sq, sk, torch.rand(1, 2, 128, device=device) / 127, causal),
            (q, k, v8, sq, sk, torch.rand(1, 2, 128, device=device) / 127)]


def attn_mxfp8_qk(device):
    def tokens(L, dtype=FP8):
        x = torch.randn(1, 2, L, 128, device=device)
        scales = torch.randint(120, 130, (1, 2, L, 4), dtype=torch.uint8, device=device)
        return x.to(dtype), scales.view(torch.float8_e8m0fnu)

    (q, sq), (k, sk) = tokens(70), tokens(33)
    v = torch.randn(1, 2, 33, 128, device=device, dtype=torch.bfloat16)
    (q5, sq5), (k5, sk5) = tokens(5, torch.float8_e5m2), tokens(33, torch.float8_e5m2)
    return [(q, k, v, sq, sk, True), (q5, k5, v, sq5, sk5, False, "89")]


SAMPLES = {
    "gn_kernels::cutlass_fp8_mm": cutlass_fp8_mm,
    "gn_kernels::cutlass_row_scaled_fp8_mm": cutlass_row_scaled_fp8_mm,
    "gn_kernels::cutlass_int8_mm": cutlass_int8_mm,
    "gn_kernels::cutlass_int4_mm": cutlass_int4_mm,
    "gn_kernels::attn_int8_qk": attn_int8_qk,
    "gn_kernels::attn_int8": attn_int8,
    "gn_kernels::attn_mxfp8_qk": attn_mxfp8_qk,
    "gn_kernels::cutlass_mxfp8_mm": cutlass_mxfp8_mm,
    "gn_kernels::cutlass_mxfp4_mm": cutlass_mxfp4_mm,
    "gn_kernels::cutlass_nvfp4_mm": cutlass_nvfp4_mm,
    "gn_kernels::cutlass_row_scaled_int4_mm": cutlass_row_scaled_int4_mm,
    "gn_kernels::cutlass_block_scaled_fp8_mm": cutlass_block_scaled_fp8_mm,
    "gn_kernels::cutlass_row_scaled_int8_mm": cutlass_row_scaled_int8_mm,
    "gn_kernels::triton_mm": triton_mm,
    "gn_kernels::triton_scaled_mm": triton_scaled_mm,
    "gn_kernels::triton_block_scaled_mm": triton_block_scaled_mm,
    "gn_kernels::triton_attn": triton_attn,
    "gn_kernels::triton_scaled_qk_attn": triton_scaled_qk_attn,
    "gn_kernels::quantize_fp8_tensorwise": lambda d: [(_x(5, 48, device=d),), (_x(3, 64, device=d, dtype=torch.bfloat16), torch.float8_e5m2)],
    "gn_kernels::quantize_fp8_tensorwise_given_scale": lambda d: [
        (_x(5, 48, device=d), torch.tensor(0.02, device=d)),
        (_x(3, 64, device=d, dtype=torch.float16), torch.tensor([3.0], device=d), torch.float8_e5m2)],
    "gn_kernels::quantize_fp8_rowwise": lambda d: [(_x(2, 3, 40, device=d),), (_x(64, 9, device=d).t(),),
                                                   (_x(7, 64, device=d, dtype=torch.bfloat16), torch.float8_e5m2)],
    "gn_kernels::quantize_int8_rowwise": lambda d: [(_x(9, 100, device=d),)],
    "gn_kernels::quantize_fp8_rowwise_transposed": lambda d: [(_x(40, 7, device=d),),
                                                              (_x(64, 9, device=d, dtype=torch.bfloat16).t(), torch.float8_e5m2)],
    "gn_kernels::quantize_fp8_rowwise_both_ways": lambda d: [(_x(40, 7, device=d),),
                                                             (_x(64, 9, device=d, dtype=torch.bfloat16).t(), torch.float8_e5m2)],
    "gn_kernels::quantize_int8_rowwise_transposed": lambda d: [(_x(33, 100, device=d),)],
    "gn_kernels::quantize_fp8_groupwise": lambda d: [(_x(5, 256, device=d),), (_x(2, 2, 128, device=d, dtype=torch.float16),)],
    "gn_kernels::quantize_fp8_groupwise_transposed": lambda d: [(_x(128, 40, device=d),),
                                                                (_x(72, 256, device=d, dtype=torch.bfloat16).t(),)],
    "gn_kernels::quantize_fp8_blockwise_transposed": lambda d: [(_x(128, 256, device=d),),
                                                                (_x(128, 256, device=d).t(), torch.float8_e5m2)],
    "gn_kernels::quantize_fp8_blockwise": lambda d: [(_x(128, 256, device=d),), (_x(2, 128, 128, device=d),)],
    "gn_kernels::quantize_mx": lambda d: [(_x(3, 64, device=d), FP8), (_x(5, 96, device=d), torch.float4_e2m1fn_x2, "nv")],
    "gn_kernels::quantize_nvfp4": lambda d: [(_x(6, 32, device=d), torch.tensor(0.01, device=d))],
}

# Quantizers run their reference on the CPU; the Triton kernels run there under TRITON_INTERPRET=1,
# which tests/conftest.py sets on machines without a GPU.
CPU_OPS = {name for name in SAMPLES if name.startswith(("gn_kernels::quantize_", "gn_kernels::triton_"))}
