"""Builds one CUDA extension per GPU family: gn_kernels._C_sm80, _C_sm89, _C_sm90a, _C_sm120a.

GN_KERNELS_ARCHS picks the families (default: those that run on the GPUs present,
all of them when none is); MAX_JOBS sets parallel compile jobs (ninja).
"""

import importlib.util
import os
import sys
from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).resolve().parent


def _load_build_module():
    spec = importlib.util.spec_from_file_location("gn_kernels_build", ROOT / "gn_kernels" / "_build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


build = _load_build_module()

NVCC_FLAGS = [
    "-O3",
    "-std=c++20",
    "-DNDEBUG",
    "-lineinfo",
    "--expt-relaxed-constexpr",
    # CUTLASS 4.2 headers capture `this` implicitly in lambdas, which C++20 (required
    # by torch) deprecates: warning 2908 from library code we do not own.
    "-diag-suppress=2908",
    # torch's extension flags hide the half/bfloat16 operators that CUTLASS uses.
    "-U__CUDA_NO_HALF_OPERATORS__",
    "-U__CUDA_NO_HALF_CONVERSIONS__",
    "-U__CUDA_NO_HALF2_OPERATORS__",
    "-U__CUDA_NO_BFLOAT16_CONVERSIONS__",
]
CXX_FLAGS = ["-O3", "-std=c++20", "-DNDEBUG"]


def _visible_capabilities():
    import torch

    if not torch.cuda.is_available():
        return []
    return [torch.cuda.get_device_capability(i) for i in range(torch.cuda.device_count())]


def _rel(paths):
    return [str(p.relative_to(ROOT)) for p in paths]


def _extensions():
    families, why = build.select_families(os.environ.get(build.ARCHS_ENV), _visible_capabilities())
    with_sources = [(f, build.family_sources(ROOT, f)) for f in families]
    with_sources = [(f, s) for f, s in with_sources if s]
    print(f"gn_kernels: chose {[f.arch for f in families]} ({why})", file=sys.stderr)
    skipped = [f.arch for f in families if f not in dict(with_sources)]
    if skipped:
        print(f"gn_kernels: {skipped} have no sources yet and build nothing", file=sys.stderr)
    if not with_sources:
        return [], {}

    from torch.utils.cpp_extension import CUDA_HOME, BuildExtension, CUDAExtension

    cutlass_dirs, where = build.find_cutlass(ROOT)
    # For host-only .cpp files that include CUTLASS (sm120a/scale_layout.cpp): CUDA 13 keeps
    # libcu++ under include/cccl, which nvcc finds by itself and the host compiler does not;
    # and as system headers, CUTLASS's draw none of the host compiler's -Wall warnings.
    cccl = Path(CUDA_HOME, "include", "cccl") if CUDA_HOME else None
    host_dirs = [*cutlass_dirs, *([cccl] if cccl and cccl.is_dir() else [])]
    cxx_flags = CXX_FLAGS + [f"-isystem{d}" for d in host_dirs]
    print(f"gn_kernels: CUTLASS from {where}: {cutlass_dirs[0]}", file=sys.stderr)
    extensions = []
    for family, sources in with_sources:
        print(f"gn_kernels: building {family.module} from {len(sources)} sources", file=sys.stderr)
        extensions.append(
            CUDAExtension(
                name=family.module,
                sources=_rel(sources + build.common_sources(ROOT)),
                include_dirs=[str(ROOT / "csrc"), *map(str, cutlass_dirs)],
                extra_compile_args={"cxx": cxx_flags, "nvcc": NVCC_FLAGS + list(family.gencode)},
            )
        )
    return extensions, {"build_ext": BuildExtension}


ext_modules, cmdclass = _extensions()
setup(ext_modules=ext_modules, cmdclass=cmdclass)
