"""The swizzled scale-factor layout of block-scaled GEMMs (cuBLAS and CUTLASS, MX and NVFP4).

Scales of an operand form a (rows, K / block) matrix. The GEMMs read it in
128x4 tiles, tiles in row-major order; inside a tile, scale (r, c) with
r = 32 * i + j (i < 4, j < 32) sits at byte 16 * j + 4 * i + c, so that one
thread's 32 rows lie together (cuBLAS's "block scaling factors layout").
Rows are padded to a multiple of 128 and columns to a multiple of 4 here,
with zero scales, rather than refused.
"""

from __future__ import annotations

import torch
from torch import Tensor

TILE_ROWS, TILE_COLS = 128, 4


def _ceil_to(n: int, m: int) -> int:
    return -(-n // m) * m


def pack_block_scales_nv(scales: Tensor) -> Tensor:
    """(rows, cols) scales -> flat swizzled tensor of ceil128(rows) * ceil4(cols) elements, same dtype."""
    if scales.dim() != 2:
        raise ValueError(f"pack_block_scales_nv: scales must be 2-D (rows, K / block); got shape {tuple(scales.shape)}")
    if scales.element_size() != 1:
        raise TypeError(f"pack_block_scales_nv: scales must be a 1-byte type (float8_e8m0fnu, float8_e4m3fn, uint8); got {scales.dtype}")
    rows, cols = scales.shape
    R, C = _ceil_to(rows, TILE_ROWS), _ceil_to(cols, TILE_COLS)
    bytes_ = scales.contiguous().view(torch.uint8)
    padded = bytes_.new_zeros((R, C))
    padded[:rows, :cols] = bytes_
    tiles = padded.view(R // 128, 4, 32, C // 4, 4).permute(0, 3, 2, 1, 4)  # (tr, tc, j, i, c)
    return tiles.reshape(-1).view(scales.dtype)


def unpack_block_scales_nv(packed: Tensor, rows: int, cols: int) -> Tensor:
    """Inverse of pack_block_scales_nv: the (rows, cols) scales back."""
    R, C = _ceil_to(rows, TILE_ROWS), _ceil_to(cols, TILE_COLS)
    if packed.numel() != R * C:
        raise ValueError(f"unpack_block_scales_nv: expected {R * C} packed scales for ({rows}, {cols}); got {packed.numel()}")
    tiles = packed.view(torch.uint8).reshape(R // 128, C // 4, 32, 4, 4).permute(0, 3, 2, 1, 4)  # (tr, i, j, tc, c)
    return tiles.reshape(R, C)[:rows, :cols].contiguous().view(packed.dtype)
