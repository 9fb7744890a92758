"""The Triton GEMM tables (gn_kernels/heuristics/triton_mm.py): every configuration, after
within_shared_memory, asks no more shared memory than an H100 or H200 block may have."""

import pytest

from gn_kernels.heuristics import triton_mm as configs

HOPPER_SHARED_MEMORY = 232448  # bytes a block may opt in to on sm_90 (227 KiB)
# (table, configuration, bytes of its input elements)
EVERY_CONFIG = sorted({(t, c, 2 if t in ("16bit", "fp16_acc16") else 1)
                       for t in configs.TABLES
                       for c in [*configs.CANDIDATES[t], *(c for _, c in configs.TABLES[t]),
                                 *([configs.GLUON_TABLES[t]] if t in configs.GLUON_TABLES else [])]})


def test_the_largest_fp8_tile_with_a_float32_output_drops_a_stage():
    cfg = configs.MmConfig(256, 128, 128, 8, 8, 4, persistent=True, subtile=True)
    # 4 stages x (256 + 128) x 128 bytes of FP8 blocks + 256 x 64 float32 outputs = 256 KiB
    assert configs.shared_memory(cfg, 1, 4) == 262144
    assert configs.within_shared_memory(cfg, 1, 4, HOPPER_SHARED_MEMORY).num_stages == 3
    assert configs.within_shared_memory(cfg, 1, 2, HOPPER_SHARED_MEMORY) == cfg


@pytest.mark.parametrize("table,cfg,in_bytes", EVERY_CONFIG, ids=lambda x: getattr(x, "name", str(x)))
@pytest.mark.parametrize("out_bytes", [2, 4])
def test_every_configuration_fits_after_within_shared_memory(table, cfg, in_bytes, out_bytes):
    fitted = configs.within_shared_memory(cfg, in_bytes, out_bytes, HOPPER_SHARED_MEMORY)
    assert configs.shared_memory(fitted, in_bytes, out_bytes) <= HOPPER_SHARED_MEMORY
