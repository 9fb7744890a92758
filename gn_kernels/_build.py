"""What gets compiled, for which GPUs, and where CUTLASS comes from.

This module is read by ``setup.py`` (loaded by path, before the package is
installed) and by the runtime dispatcher, so the family table exists once. It
imports nothing beyond the standard library.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

Capability = tuple[int, int]


@dataclass(frozen=True)
class Family:
    """One GPU generation's kernels, built as the extension ``gn_kernels._C_sm<arch>``."""

    arch: str  # as GN_KERNELS_ARCHS spells it: "80", "89", "90a", "120a"
    gencode: tuple[str, ...]
    min_capability: Capability
    # Architecture-specific ("a") SASS runs on exactly one compute capability;
    # SASS plus PTX runs on its own generation and, JIT-compiled, on newer ones.
    exact: bool

    @property
    def name(self) -> str:
        return f"sm{self.arch}"

    @property
    def module(self) -> str:
        return f"gn_kernels._C_{self.name}"

    def runs_on(self, capability: Capability) -> bool:
        if self.exact:
            return tuple(capability) == self.min_capability
        return tuple(capability) >= self.min_capability


def _sass_and_ptx(cc: str) -> tuple[str, ...]:
    return (f"-gencode=arch=compute_{cc},code=sm_{cc}", f"-gencode=arch=compute_{cc},code=compute_{cc}")


def _arch_specific(cc: str) -> tuple[str, ...]:
    return (f"-gencode=arch=compute_{cc},code=sm_{cc}",)


FAMILIES: dict[str, Family] = {
    f.arch: f
    for f in (
        Family("80", _sass_and_ptx("80"), (8, 0), exact=False),
        Family("89", _sass_and_ptx("89"), (8, 9), exact=False),
        # wgmma and setmaxnreg exist only in the sm_90a target.
        Family("90a", _arch_specific("90a"), (9, 0), exact=True),
        # sm_120a code runs on compute capability 12.0 (RTX 5090, RTX PRO 6000) only.
        Family("120a", _arch_specific("120a"), (12, 0), exact=True),
    )
}

ARCHS_ENV = "GN_KERNELS_ARCHS"


def select_families(env_value: str | None, capabilities: list[Capability]) -> tuple[list[Family], str]:
    """The families to compile and a sentence saying why.

    ``env_value`` is GN_KERNELS_ARCHS (``"90a"``, ``"80;89;90a;120a"``, ``"none"``);
    ``capabilities`` are those of the GPUs visible at build time.
    """
    if env_value is not None and env_value.strip():
        words = [w for w in env_value.replace(",", ";").replace(" ", ";").split(";") if w]
        if words == ["none"]:
            return [], f"{ARCHS_ENV}=none: Python-only install"
        unknown = [w for w in words if w not in FAMILIES]
        if unknown:
            raise ValueError(
                f"{ARCHS_ENV}={env_value!r}: unknown families {unknown}; "
                f"expected a ';'-separated subset of {list(FAMILIES)} or 'none'"
            )
        return [FAMILIES[a] for a in FAMILIES if a in words], f"{ARCHS_ENV}={env_value!r}"
    if not capabilities:
        return list(FAMILIES.values()), "no GPU visible at build time: every family"
    chosen = [f for f in FAMILIES.values() if any(f.runs_on(cc) for cc in capabilities)]
    ccs = ", ".join(f"{a}.{b}" for a, b in sorted(set(capabilities)))
    return chosen, f"families that run on the GPUs present (compute capability {ccs})"


CUTLASS_HELP = (
    "CUTLASS headers not found. Provide them in one of three ways: "
    "set CUTLASS_PATH to a CUTLASS checkout (with include/ and tools/util/include/), "
    "check out the submodule at third_party/cutlass, "
    "or `pip install nvidia-cutlass==4.2.0.0`."
)


def _include_dirs(root: Path) -> list[Path] | None:
    dirs = [root / "include", root / "tools" / "util" / "include"]
    return dirs if (dirs[0] / "cutlass" / "cutlass.h").is_file() else None


def find_cutlass(repo_root: Path, env: dict[str, str] | None = None) -> tuple[list[Path], str]:
    """CUTLASS include directories and where they were found, in the documented order."""
    env = os.environ if env is None else env
    if env.get("CUTLASS_PATH"):
        dirs = _include_dirs(Path(env["CUTLASS_PATH"]))
        if dirs is None:
            raise FileNotFoundError(f"CUTLASS_PATH={env['CUTLASS_PATH']} has no include/cutlass/cutlass.h. {CUTLASS_HELP}")
        return dirs, "CUTLASS_PATH"
    dirs = _include_dirs(repo_root / "third_party" / "cutlass")
    if dirs is not None:
        return dirs, "third_party/cutlass"
    spec = importlib.util.find_spec("cutlass_library")
    if spec is not None and spec.origin is not None:
        dirs = _include_dirs(Path(spec.origin).parent / "source")
        if dirs is not None:
            return dirs, "the nvidia-cutlass package"
    raise FileNotFoundError(CUTLASS_HELP)


def family_sources(repo_root: Path, family: Family) -> list[Path]:
    """A family's own sources; empty means the family has no kernels yet and builds nothing."""
    folder = repo_root / "csrc" / family.name
    return sorted(p for p in folder.glob("*") if p.suffix in (".cu", ".cpp"))


def common_sources(repo_root: Path) -> list[Path]:
    return sorted((repo_root / "csrc" / "common").glob("*.cpp"))
