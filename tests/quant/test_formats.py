"""E2M1 rounding and nibble packing, checked against values worked by hand from the OCP MX spec."""

import torch

from gn_kernels.quant.formats import E2M1_VALUES, e2m1_codes, e2m1_values, pack_nibbles, unpack_nibbles


def test_every_e2m1_code_point_round_trips():
    codes = torch.arange(16, dtype=torch.uint8)
    values = e2m1_values(codes)
    assert values[:8].tolist() == list(E2M1_VALUES)
    assert values[8:].tolist() == [-v for v in E2M1_VALUES]
    assert torch.equal(e2m1_codes(values), codes)  # -0.0 keeps its sign: code 8


def test_e2m1_ties_round_to_even_mantissa():
    ties = torch.tensor([0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0])
    assert e2m1_values(e2m1_codes(ties)).tolist() == [0.0, 1.0, 1.0, 2.0, 2.0, 4.0, 4.0]
    near = torch.tensor([0.2500001, 0.7499999, 1.2500001, 4.9999995, 5.0000005, -2.5000002])
    assert e2m1_values(e2m1_codes(near)).tolist() == [0.5, 0.5, 1.5, 4.0, 6.0, -3.0]


def test_nibbles_low_first():
    codes = torch.tensor([[2, 15, 0, 7]], dtype=torch.uint8)  # 1.0, -6.0, 0, 6.0
    packed = pack_nibbles(codes)
    assert packed.tolist() == [[0xF2, 0x70]]
    assert torch.equal(unpack_nibbles(packed), codes)
