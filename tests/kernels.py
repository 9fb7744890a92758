"""Test helpers: skip an op's GPU tests where the current GPU has no kernel for it.

A GPU whose family is merely not built does not skip: the test fails with the
op's own KernelUnavailableError, so a broken build cannot pass as skipped.
"""

import re
from pathlib import Path

import pytest
import torch

from gn_kernels.dispatch import KernelUnavailableError, family_for


def require_op(op: str, backend: str | None = None) -> None:
    try:
        family_for(op, torch.cuda.get_device_capability(), backend)
    except KernelUnavailableError as e:
        pytest.skip(str(e))


def fake_cuda(*shape, dtype, stride=None):
    """A fake CUDA tensor (no GPU needed) for checking shapes, dtypes and layouts."""
    t = torch.empty(shape, dtype=dtype, device="cuda")
    return t if stride is None else t.as_strided(shape, stride)


SM90A_SOURCES = Path(__file__).parents[1] / "csrc" / "sm90a"


def tuned_fp8_instances() -> list[tuple[bool, str]]:
    """(fast accumulation, configuration) of each shape-tuned SM90a FP8 instance, read from its list."""
    text = (SM90A_SOURCES / "fp8_gemm_instances.h").read_text()
    tuned = text[text.index("#define GN_SM90A_FP8_TUNED"):text.index("#define GN_SM90A_FP8_DEFAULT")]
    return [(acc == "fast", c) for acc, c in re.findall(r"X\(out, (promoted|fast), e4m3, e4m3, (\w+)\)", tuned)]


def scaled_instances(header: str) -> list[tuple[str, str]]:
    """(out, configuration) of every instance in an INT8 or block-scaled list header: its
    per-output template X(out, config) for bfloat16 and float16, then the entries it names."""
    text = (SM90A_SOURCES / header).read_text()
    templated = re.findall(r"^  X\(out, (\w+)\)", text, re.M)
    listed = re.findall(r"^  X\((?!out,)(\w+), (\w+)\)", text, re.M)
    return [(o, c) for o in ("bf16", "fp16") for c in templated] + listed
