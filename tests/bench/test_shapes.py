import pytest

from gn_kernels.bench.shapes import PRESETS, parse_shapes


def test_presets_and_triples_mix_without_duplicates():
    shapes = parse_shapes("squares, 128x8192x8192,1024x1024x1024")
    assert shapes[:5] == PRESETS["squares"]
    assert shapes[5] == (128, 8192, 8192)
    assert len(shapes) == 6  # 1024³ is already in squares


def test_llama_presets_cover_decode_to_prefill():
    shapes = parse_shapes("llama3-70b")
    assert {m for m, _, _ in shapes} == {1, 16, 64, 256, 1024, 4096, 16384}
    assert (16384, 57344, 8192) in shapes and (1, 8192, 28672) in shapes


def test_bad_shape_is_named():
    with pytest.raises(ValueError, match=r"'12x34' is neither a preset"):
        parse_shapes("12x34")
