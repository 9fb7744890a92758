"""The build's family selection and CUTLASS lookup (gn_kernels/_build.py, read by setup.py)."""

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from gn_kernels._build import FAMILIES, common_sources, family_sources, find_cutlass, select_families

ROOT = Path(__file__).resolve().parents[1]


def archs(families):
    return [f.arch for f in families]


def test_default_on_h100_builds_80_89_90a():
    chosen, why = select_families(None, [(9, 0)])
    assert archs(chosen) == ["80", "89", "90a"]
    assert "9.0" in why


def test_default_per_gpu_generation():
    assert archs(select_families("", [(8, 0)])[0]) == ["80"]
    assert archs(select_families(None, [(8, 9)])[0]) == ["80", "89"]
    assert archs(select_families(None, [(12, 0)])[0]) == ["80", "89", "120a"]
    assert archs(select_families(None, [(8, 6), (9, 0)])[0]) == ["80", "89", "90a"]


def test_no_gpu_builds_every_family():
    chosen, why = select_families(None, [])
    assert archs(chosen) == ["80", "89", "90a", "120a"]
    assert "no GPU" in why


def test_env_picks_families():
    assert archs(select_families("90a", [(8, 0)])[0]) == ["90a"]
    assert archs(select_families("120a;80", [])[0]) == ["80", "120a"]
    assert archs(select_families("80, 89", [])[0]) == ["80", "89"]
    assert select_families("none", [(9, 0)])[0] == []


def test_env_rejects_unknown_family():
    with pytest.raises(ValueError, match=r"unknown families \['90'\]"):
        select_families("90", [])


def test_nvcc_targets():
    assert FAMILIES["90a"].gencode == ("-gencode=arch=compute_90a,code=sm_90a",)
    assert FAMILIES["120a"].gencode == ("-gencode=arch=compute_120a,code=sm_120a",)
    # SASS plus PTX, so that newer GPUs JIT-compile them.
    assert FAMILIES["80"].gencode == ("-gencode=arch=compute_80,code=sm_80", "-gencode=arch=compute_80,code=compute_80")


def test_which_gpus_run_a_family():
    assert FAMILIES["90a"].runs_on((9, 0)) and not FAMILIES["90a"].runs_on((10, 0))
    assert FAMILIES["89"].runs_on((9, 0)) and not FAMILIES["89"].runs_on((8, 6))
    assert FAMILIES["120a"].runs_on((12, 0)) and not FAMILIES["120a"].runs_on((12, 1))


def _fake_cutlass(root: Path) -> Path:
    (root / "include" / "cutlass").mkdir(parents=True)
    (root / "include" / "cutlass" / "cutlass.h").write_text("")
    return root


def test_cutlass_path_comes_first(tmp_path):
    env_root = _fake_cutlass(tmp_path / "env")
    _fake_cutlass(tmp_path / "repo" / "third_party" / "cutlass")
    dirs, where = find_cutlass(tmp_path / "repo", {"CUTLASS_PATH": str(env_root)})
    assert where == "CUTLASS_PATH" and dirs[0] == env_root / "include"


def test_submodule_before_package(tmp_path):
    _fake_cutlass(tmp_path / "third_party" / "cutlass")
    dirs, where = find_cutlass(tmp_path, {})
    assert where == "third_party/cutlass"
    assert dirs == [tmp_path / "third_party/cutlass/include", tmp_path / "third_party/cutlass/tools/util/include"]


def test_package_last(tmp_path):
    pytest.importorskip("cutlass_library")
    dirs, where = find_cutlass(tmp_path, {})
    assert where == "the nvidia-cutlass package" and (dirs[0] / "cutlass" / "gemm").is_dir()


def test_bad_cutlass_path_names_all_three_ways(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"CUTLASS_PATH.*third_party/cutlass.*nvidia-cutlass==4.2.0.0"):
        find_cutlass(tmp_path, {"CUTLASS_PATH": str(tmp_path / "missing")})


def test_sources_per_family():
    sm90a = family_sources(ROOT, FAMILIES["90a"])
    assert sm90a and all(p.parent.name == "sm90a" and p.suffix in (".cu", ".cpp") for p in sm90a)
    assert all(p.suffix == ".cpp" for p in common_sources(ROOT))


def _includes(path: Path, seen: set[Path]) -> list[str]:
    """The system headers a source reaches through its own (quoted) includes, recursively."""
    found = []
    for quoted, system in re.findall(r'^\s*#\s*include\s*(?:"([^"]+)"|<([^>]+)>)', path.read_text(), re.M):
        if system:
            found.append(system)
            continue
        header = next(p for p in (path.parent / quoted, ROOT / "csrc" / quoted) if p.is_file())
        if header.resolve() not in seen:
            seen.add(header.resolve())
            found += _includes(header, seen)
    return found


def test_cuda_sources_include_no_torch_header():
    # ATen's headers cost about 70 s of one core per .cu file, as much as an SM90a kernel itself;
    # the tensor checks sit in .cpp files, which the host compiler builds.
    sources = sorted((ROOT / "csrc").glob("sm*/*.cu"))
    assert len(sources) > 60 and ROOT / "csrc/sm80/attn_int8_kernel.cu" in sources
    for source in sources:
        torch_headers = [h for h in _includes(source, set()) if h.split("/")[0] in ("ATen", "torch", "c10")]
        assert not torch_headers, f"{source.relative_to(ROOT)} reaches {torch_headers}"


def test_wheel_holds_every_module_of_the_source_tree(tmp_path):
    # An editable install (CI's) reads the source tree, so only a built wheel shows a
    # module that a user's `pip install --no-build-isolation <git url>` would not get.
    # Built from a copy: setuptools' build/ in the tree keeps modules of earlier builds.
    src = tmp_path / "src"
    shutil.copytree(ROOT / "gn_kernels", src / "gn_kernels", ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    env = {**os.environ, "GN_KERNELS_ARCHS": "none"}
    pip = [sys.executable, "-m", "pip"]
    wheel_cmd = [*pip, "wheel", "--no-build-isolation", "--no-deps", "-q", "-w", str(tmp_path), str(src)]
    subprocess.run(wheel_cmd, env=env, check=True, capture_output=True, timeout=600)
    (wheel,) = tmp_path.glob("gn_kernels-*.whl")
    in_wheel = {n for n in zipfile.ZipFile(wheel).namelist() if n.endswith(".py")}
    in_tree = {p.relative_to(ROOT).as_posix() for p in (ROOT / "gn_kernels").rglob("*.py")}
    assert in_tree - in_wheel == set()
    site = tmp_path / "site"
    subprocess.run([*pip, "install", "-q", "--no-deps", "--target", str(site), str(wheel)], check=True)
    code = "import gn_kernels, sys; sys.exit(not gn_kernels.__file__.startswith(sys.argv[1]))"
    # Run from outside the tree, so that only the installed copy can be imported.
    outside = {**env, "PYTHONPATH": str(site)}
    subprocess.run([sys.executable, "-c", code, str(site)], cwd=tmp_path, env=outside, check=True)
