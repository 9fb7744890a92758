import types

import pytest
import torch

from gn_kernels import dispatch
from gn_kernels._build import FAMILIES
from gn_kernels.dispatch import OP_FAMILIES, KernelUnavailableError, family_for


def test_every_op_names_known_families():
    for op, archs in OP_FAMILIES.items():
        assert archs and all(a in FAMILIES for a in archs), op


def test_newest_runnable_family_wins(monkeypatch):
    monkeypatch.setitem(OP_FAMILIES, "some_mm", ("120a", "90a", "89", "80"))
    assert family_for("some_mm", (9, 0)).arch == "90a"
    assert family_for("some_mm", (8, 9)).arch == "89"
    assert family_for("some_mm", (8, 6)).arch == "80"
    assert family_for("some_mm", (12, 0)).arch == "120a"
    assert family_for("some_mm", (10, 0)).arch == "89"  # PTX of sm_89, JIT-compiled


def test_backend_forces_a_family(monkeypatch):
    monkeypatch.setitem(OP_FAMILIES, "some_mm", ("90a", "89"))
    assert family_for("some_mm", (9, 0), backend="89").arch == "89"
    assert family_for("some_mm", (9, 0), backend="auto").arch == "90a"
    with pytest.raises(ValueError, match=r"some_mm: backend must be 'auto' or one of \['90a', '89'\]; got '80'"):
        family_for("some_mm", (9, 0), backend="80")
    with pytest.raises(KernelUnavailableError, match=r"no kernel runs on compute capability 8.0"):
        family_for("some_mm", (8, 0), backend="89")


def test_public_ops_dispatch_by_capability():
    # The table that GPUs need: Ada and newer run SM89 FP8 (PTX beyond Ada), Hopper its
    # own; INT4 runs from Ampere on.
    assert family_for("cutlass_row_scaled_fp8_mm", (8, 9)).arch == "89"
    assert family_for("cutlass_row_scaled_fp8_mm", (9, 0)).arch == "90a"
    assert family_for("cutlass_row_scaled_fp8_mm", (9, 0), backend="89").arch == "89"
    assert family_for("cutlass_int4_mm", (8, 0)).arch == "80"
    assert family_for("cutlass_int4_mm", (9, 0)).arch == "80"


def test_unsupported_gpu_error_names_capability_and_kernels():
    with pytest.raises(KernelUnavailableError) as e:
        family_for("cutlass_fp8_mm", (8, 0))
    assert "gn_kernels.cutlass_fp8_mm: no kernel runs on compute capability 8.0" in str(e.value)
    assert "sm89 (compute capability 8.9+), sm90a (compute capability 9.0)" in str(e.value)


def test_missing_family_error_says_how_to_rebuild(monkeypatch):
    monkeypatch.setattr(dispatch, "device_capability", lambda index: (9, 0))
    monkeypatch.setattr(dispatch, "load_family", lambda f: ImportError(f"No module named '{f.module}'"))
    with pytest.raises(KernelUnavailableError) as e:
        dispatch.kernel_module("cutlass_fp8_mm", torch.device("cuda", 0))
    msg = str(e.value)
    assert "compute capability 9.0" in msg and "gn_kernels._C_sm90a" in msg
    assert "GN_KERNELS_ARCHS=90a pip install --no-build-isolation ." in msg


def test_built_family_is_returned(monkeypatch):
    module = types.ModuleType("gn_kernels._C_sm90a")
    monkeypatch.setattr(dispatch, "device_capability", lambda index: (9, 0))
    monkeypatch.setattr(dispatch, "load_family", lambda f: module)
    assert dispatch.kernel_module("cutlass_fp8_mm", torch.device("cuda", 0)) is module


def test_op_table_without_gpu():
    rows = dispatch.op_table(None)
    assert [r["op"] for r in rows] == list(OP_FAMILIES)
    assert all(r["runs here"].startswith("no") for r in rows)


def test_op_table_on_h100_reports_built_state(monkeypatch):
    monkeypatch.setattr(dispatch, "load_family", lambda f: ImportError("not built"))
    row = next(r for r in dispatch.op_table((9, 0)) if r["op"] == "cutlass_fp8_mm")
    assert row == {"op": "cutlass_fp8_mm", "family": "sm90a", "runs here": "no (family not built)"}
