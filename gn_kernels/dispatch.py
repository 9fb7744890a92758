"""Architecture dispatch: which compiled family runs an op on a given GPU.

The table below is the one place that says which family implements which op.
For a device of compute capability ``cc`` an op runs the family, among those
listed for it, that runs on ``cc`` and was built for the newest GPU
generation; ``backend=`` (where an op takes it) forces a family instead.
"""

from __future__ import annotations

import functools
import importlib
from types import ModuleType

import torch

from ._build import ARCHS_ENV, FAMILIES, Capability, Family

# op name -> the families that implement it.
OP_FAMILIES: dict[str, tuple[str, ...]] = {
    "cutlass_fp8_mm": ("89", "90a", "120a"),
    "cutlass_row_scaled_fp8_mm": ("89", "90a", "120a"),
    "cutlass_mxfp8_mm": ("120a",),
    "cutlass_mxfp4_mm": ("120a",),
    "cutlass_nvfp4_mm": ("120a",),
    "cutlass_int4_mm": ("80",),
    "cutlass_row_scaled_int4_mm": ("80",),
    "attn_int8_qk": ("80",),
    "attn_int8": ("80",),
    "attn_mxfp8_qk": ("89", "120a"),
    "cutlass_int8_mm": ("90a",),
    "cutlass_row_scaled_int8_mm": ("90a",),
    "cutlass_block_scaled_fp8_mm": ("90a",),
}


class KernelUnavailableError(RuntimeError):
    """The op has no kernel for this GPU, or its family was not built into this install."""


@functools.cache
def load_family(family: Family) -> ModuleType | ImportError:
    try:
        return importlib.import_module(family.module)
    except ImportError as e:
        return e


def built_families() -> list[Family]:
    return [f for f in FAMILIES.values() if isinstance(load_family(f), ModuleType)]


@functools.cache
def device_capability(index: int) -> Capability:
    return torch.cuda.get_device_capability(index)


@functools.cache
def importable(module: str) -> bool:
    """Whether ``module`` imports: the Gluon kernels need a Triton with Gluon's Hopper API."""
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def runs_gluon_hopper(t: torch.Tensor, module: str) -> bool:
    """Whether ``t`` lives on an sm_90 GPU and the Gluon kernel ``module`` imports, asked once per
    device and module: the Triton launchers ask on every call."""
    return t.is_cuda and device_capability(t.device.index) == (9, 0) and importable(module)


@functools.cache
def multiprocessor_count(index: int) -> int:
    """SMs of CUDA device ``index``: what persistent kernels and split-K heuristics fill."""
    return torch.cuda.get_device_properties(index).multi_processor_count


def warp_specialized_register_cap(computing_warps: int, programs_per_sm: int) -> int:
    """The register cap a thread (maxnreg) of a warp-specialized Gluon kernel on sm_90, before its
    partitions trade registers (setmaxnreg): the producer warp takes a whole warpgroup's share,
    and programs_per_sm programs must fit the SM's 64K registers (multiples of 8, at most 255)."""
    threads = (computing_warps + 4) * 32
    return min(255, 65536 // (threads * programs_per_sm)) // 8 * 8


@functools.cache
def shared_memory_per_block(index: int) -> int:
    """The most shared memory one block of CUDA device ``index`` may ask for (opted in)."""
    return torch.cuda.get_device_properties(index).shared_memory_per_block_optin


def _describe(cc: Capability) -> str:
    return f"compute capability {cc[0]}.{cc[1]}"


def check_backend(op: str, backend: str | None) -> None:
    """``backend`` is None, "auto" or one of the families listed for ``op``."""
    if op not in OP_FAMILIES:
        raise KeyError(f"{op} is not in gn_kernels.dispatch.OP_FAMILIES")
    if backend not in (None, "auto", *OP_FAMILIES[op]):
        raise ValueError(f"{op}: backend must be 'auto' or one of {list(OP_FAMILIES[op])}; got {backend!r}")


def family_for(op: str, cc: Capability, backend: str | None = None) -> Family:
    """The family that ``op`` runs on a GPU of capability ``cc`` (built or not)."""
    check_backend(op, backend)
    candidates = [FAMILIES[a] for a in OP_FAMILIES[op]]
    if backend not in (None, "auto"):
        candidates = [FAMILIES[backend]]
    runnable = [f for f in candidates if f.runs_on(cc)]
    if not runnable:
        have = ", ".join(f"{f.name} ({_describe(f.min_capability)}{'' if f.exact else '+'})" for f in candidates)
        raise KernelUnavailableError(f"gn_kernels.{op}: no kernel runs on {_describe(cc)}; kernels exist for {have}")
    return max(runnable, key=lambda f: f.min_capability)


def kernel_module(op: str, device: torch.device, backend: str | None = None) -> ModuleType:
    """The loaded extension that runs ``op`` on ``device``, or a KernelUnavailableError saying why not."""
    return kernel_family(op, device, backend)[1]


def kernel_family(op: str, device: torch.device, backend: str | None = None) -> tuple[Family, ModuleType]:
    """The family that runs ``op`` on ``device`` and its loaded extension."""
    cc = device_capability(device.index if device.index is not None else torch.cuda.current_device())
    family = family_for(op, cc, backend)
    module = load_family(family)
    if isinstance(module, ModuleType):
        return family, module
    built = ", ".join(f.name for f in built_families()) or "none"
    raise KernelUnavailableError(
        f"gn_kernels.{op}: on this GPU ({_describe(cc)}) it needs {family.module}, which this install "
        f"does not have (built: {built}; import said: {module}). Rebuild with "
        f"`{ARCHS_ENV}={family.arch} pip install --no-build-isolation .` (or list several families, "
        f"e.g. {ARCHS_ENV}='80;89;90a')."
    )


def op_table(cc: Capability | None) -> list[dict[str, str]]:
    """One row per op: the family it would run on ``cc`` and whether it can run here."""
    rows = []
    for op in OP_FAMILIES:
        if cc is None:
            rows.append({"op": op, "family": "-", "runs here": "no (no CUDA GPU)"})
            continue
        try:
            family = family_for(op, cc)
        except KernelUnavailableError:
            rows.append({"op": op, "family": "-", "runs here": f"no ({_describe(cc)} unsupported)"})
            continue
        ok = isinstance(load_family(family), ModuleType)
        rows.append({"op": op, "family": family.name, "runs here": "yes" if ok else "no (family not built)"})
    return rows
