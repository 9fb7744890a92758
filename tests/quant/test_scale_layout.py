import pytest
import torch

from gn_kernels.quant import pack_block_scales_nv, unpack_block_scales_nv


def test_position_of_each_scale_in_its_128x4_tile():
    rows, cols = 256, 8
    s = torch.randint(0, 256, (rows, cols), dtype=torch.uint8)
    packed = pack_block_scales_nv(s)
    r = torch.arange(rows).view(-1, 1)
    c = torch.arange(cols).view(1, -1)
    tile = (r // 128) * (cols // 4) + c // 4
    offset = tile * 512 + 16 * (r % 32) + 4 * ((r % 128) // 32) + c % 4
    assert torch.equal(packed[offset], s)
    assert sorted(offset.flatten().tolist()) == list(range(rows * cols))


def test_padding_and_inverse_with_scale_dtypes():
    for dtype in (torch.float8_e8m0fnu, torch.float8_e4m3fn):
        s = torch.randint(1, 200, (130, 6), dtype=torch.uint8).view(dtype)
        packed = pack_block_scales_nv(s)
        assert packed.dtype == dtype and packed.numel() == 256 * 8
        # padding scales are zero bytes
        assert int((packed.view(torch.uint8) != 0).sum()) == int((s.view(torch.uint8) != 0).sum())
        assert torch.equal(unpack_block_scales_nv(packed, 130, 6).view(torch.uint8), s.view(torch.uint8))


def test_bad_shapes_and_dtypes():
    with pytest.raises(TypeError, match="1-byte type"):
        pack_block_scales_nv(torch.zeros(4, 4))
    with pytest.raises(ValueError, match="must be 2-D"):
        pack_block_scales_nv(torch.zeros(4, dtype=torch.uint8))
    with pytest.raises(ValueError, match=r"expected 512 packed scales for \(3, 2\)"):
        unpack_block_scales_nv(torch.zeros(6, dtype=torch.uint8), 3, 2)
