"""`python -m gn_kernels`: versions, GPU, families built, and which ops run here."""

from __future__ import annotations

import torch
from tabulate import tabulate

import gn_kernels

from ._build import FAMILIES
from .dispatch import load_family, op_table


def _triton_version() -> str:
    try:
        import triton
    except ImportError:
        return "not installed"
    return triton.__version__


def main() -> None:
    print(f"gn_kernels {gn_kernels.__version__}")
    print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, triton {_triton_version()}")
    cc = None
    if torch.cuda.is_available():
        cc = torch.cuda.get_device_capability()
        print(f"GPU: {torch.cuda.get_device_name()} (compute capability {cc[0]}.{cc[1]})")
    else:
        print("GPU: none visible")
    rows = []
    for family in FAMILIES.values():
        loaded = load_family(family)
        status = "built" if not isinstance(loaded, ImportError) else f"not built ({loaded})"
        runs = "-" if cc is None else ("yes" if family.runs_on(cc) else "no")
        rows.append([family.name, status, runs])
    print(tabulate(rows, headers=["family", "extension", "runs on this GPU"]))
    print()
    print(tabulate(op_table(cc), headers="keys"))


if __name__ == "__main__":
    main()
