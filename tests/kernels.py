"""Test helpers: skip an op's GPU tests where the current GPU has no kernel for it.

A family that is merely not built skips only where GN_KERNELS_ARCHS, set as it was for
the build, leaves it out (`GN_KERNELS_ARCHS=90a bash scripts/test.sh`). Any other missing
family fails with the op's own KernelUnavailableError, so a broken build cannot pass as skipped.
"""

import functools
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import torch

from gn_kernels._build import ARCHS_ENV, select_families
from gn_kernels.dispatch import KernelUnavailableError, built_families, family_for


def require_op(op: str, backend: str | None = None) -> None:
    try:
        family = family_for(op, torch.cuda.get_device_capability(), backend)
    except KernelUnavailableError as e:
        pytest.skip(str(e))
    if family in built_families():
        return
    env = os.environ.get(ARCHS_ENV)
    capabilities = [torch.cuda.get_device_capability(i) for i in range(torch.cuda.device_count())]
    if family not in select_families(env, capabilities)[0]:
        pytest.skip(f"{op} runs on {family.name}, which {ARCHS_ENV}={env!r} leaves out of this build")


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


def ptxas_sm90a_report(module: str, kernel: str, pointers: dict[str, str], constexprs: dict, divisible: list[str],
                       num_warps: int, num_stages: int) -> str:
    """What ``ptxas -v`` says of the Triton kernel ``module.kernel`` compiled for sm_90a (no GPU
    needed): its serialized-WGMMA warnings (C7510-C7520, "Potential Performance Loss") among the
    rest. ``pointers`` types the pointer arguments ("*bf16"), other runtime arguments are int32,
    those in ``divisible`` taken as multiples of 16 (as Triton specializes them at launch);
    constexpr values may name Triton dtypes ("int32"). Compiled in a child process: under
    TRITON_INTERPRET=1, as in CI, this process holds interpreted kernels."""
    spec = dict(module=module, kernel=kernel, pointers=pointers, constexprs=constexprs, divisible=divisible,
                num_warps=num_warps, num_stages=num_stages)
    return _in_child("_sm90a_report", spec)


@functools.cache
def gluon_attention_sm90a_build(qk: str, causal: bool, cfg) -> tuple[str, str]:
    """What ``ptxas -v`` says of the Gluon attention kernel compiled for sm_90a at head dim 128 with
    q and k of the torch dtype named ``qk`` and bfloat16 v, as attention() launches it with ``cfg``,
    and its SASS, one instruction a line: one compile for the tests that read either."""
    return tuple(json.loads(_in_child("_gluon_attention_build", dict(qk=qk, causal=causal, cfg=list(cfg)))))


def gluon_tilewise_sm90a_report(dtype: str, out: str, bias: bool, cfg) -> str:
    """What ``ptxas -v`` says of the Gluon tile-wise GEMM compiled for sm_90a with operands and
    output of the torch dtypes named, as gluon_tilewise_mm launches it with ``cfg``."""
    return _in_child("_gluon_tilewise_report", dict(dtype=dtype, out=out, bias=bias, cfg=list(cfg)))


def probe_wgmma_sm90a_sass(dtype: str, wait_each: bool) -> list[str]:
    """The SASS of scripts/probe_wgmma.py's kernel compiled for sm_90a with operands of the torch
    dtype named, one instruction a line."""
    return _in_child("_probe_wgmma_sass", dict(dtype=dtype, wait_each=wait_each)).splitlines()


def _in_child(function: str, spec: dict) -> str:
    """Runs ``function(json spec)`` of this module in a child process, without TRITON_INTERPRET: under
    it, as in CI, this process holds interpreted kernels."""
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    code = f"import sys; sys.path.insert(0, sys.argv[1]); import kernels; print(kernels.{function}(sys.argv[2]))"
    run = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent), json.dumps(spec)], env=env,
                         capture_output=True, text=True)
    if run.returncode:
        raise RuntimeError(f"compiling {spec} for sm_90a failed:\n{run.stderr}")
    return run.stdout


def _ptxas_report(compiled) -> str:
    import triton

    with tempfile.TemporaryDirectory() as tmp:
        ptx = Path(tmp) / "kernel.ptx"
        ptx.write_text(compiled.asm["ptx"])
        run = subprocess.run([triton.knobs.nvidia.ptxas.path, "-arch=sm_90a", "-v", str(ptx), "-o",
                              str(Path(tmp) / "kernel.cubin")], capture_output=True, text=True, check=True)
    return run.stderr


def _sass(compiled) -> str:
    import triton

    with tempfile.TemporaryDirectory() as tmp:
        cubin = Path(tmp) / "kernel.cubin"
        cubin.write_bytes(compiled.asm["cubin"])
        run = subprocess.run([triton.knobs.nvidia.cuobjdump.path, "-sass", str(cubin)], capture_output=True,
                             text=True, check=True)
    return "\n".join(line.split(";")[0].split("*/", 1)[1].strip() for line in run.stdout.splitlines()
                     if re.match(r"\s*/\*[0-9a-f]{4,}\*/", line))  # offsets past 0xfff0 take five digits


def _gluon_compile(kernel, descriptors: dict, constexprs: dict, typed: dict, num_warps: int, **options):
    """The Gluon ``kernel`` compiled for sm_90a with these TMA descriptors, constexprs and typed
    arguments ("*bf16", "fp32"); the rest are int32."""
    import triton
    from triton._C.libtriton import native_specialize_impl
    from triton.backends.compiler import BaseBackend, GPUTarget
    from triton.experimental.gluon._runtime import GluonASTSource

    signature = {n: "constexpr" if n in constexprs else "i32" for n in kernel.arg_names}
    signature |= {n: native_specialize_impl(BaseBackend, d, False, True, True)[0] for n, d in descriptors.items()}
    signature |= typed
    source = GluonASTSource(kernel, signature, {(kernel.arg_names.index(n),): v for n, v in constexprs.items()})
    return triton.compile(source, target=GPUTarget("cuda", 90, 32), options=dict(num_warps=num_warps, **options))


def _gluon_attention_build(spec: str) -> str:
    from gn_kernels.heuristics.triton_attention import AttnConfig
    from gn_kernels.triton_attention_hopper import _descriptor, attention_kernel, launch_options, scale_descriptor

    s = json.loads(spec)
    cfg, qk = AttnConfig(*s["cfg"]), getattr(torch, s["qk"])
    kernel = attention_kernel(cfg)
    q, v = torch.empty(1, 1, 256, 128, dtype=qk), torch.empty(1, 1, 256, 128, dtype=torch.bfloat16)
    scaled = q.element_size() == 1
    descriptors = dict(q_desc=_descriptor(q, cfg.block_m), k_desc=_descriptor(q, cfg.block_n),
                       v_desc=_descriptor(v, cfg.block_n))
    options = launch_options(cfg)
    maxnreg = options.pop("maxnreg")
    constexprs = options | dict(CAUSAL=s["causal"], SCALED=scaled)
    if scaled:
        descriptors["sk_desc"] = scale_descriptor(torch.empty(1, 1, 256), cfg.block_n)
    else:
        constexprs["sk_desc"] = None
    typed = dict(o_ptr="*bf16", sq_ptr="*fp32", qk_scale="fp32")
    compiled = _gluon_compile(kernel, descriptors, constexprs, typed, options["num_warps"], maxnreg=maxnreg)
    return json.dumps([_ptxas_report(compiled), _sass(compiled)])


def _probe_wgmma_sass(spec: str) -> str:
    from triton.experimental.gluon import language as gl

    sys.path.insert(0, str(Path(__file__).parents[1] / "scripts"))
    from probe_wgmma import _chain, _descriptor, step_k

    s = json.loads(spec)
    dtype = getattr(torch, s["dtype"])
    K = step_k(dtype)
    descriptors = dict(a_desc=_descriptor(torch.empty(64, K, dtype=dtype)),
                       b_desc=_descriptor(torch.empty(128, K, dtype=dtype)))
    constexprs = dict(ACC=gl.int32 if dtype == torch.int8 else gl.float32, WAIT_EACH=s["wait_each"])
    return _sass(_gluon_compile(_chain, descriptors, constexprs, {"out_ptr": "*fp32"}, 4))


def _gluon_tilewise_report(spec: str) -> str:
    from gn_kernels.heuristics.triton_mm import MmConfig
    from gn_kernels.triton_gemm_hopper import _descriptor, _tilewise_kernel as kernel, launch_options, output_block

    s = json.loads(spec)
    cfg, dtype, out = MmConfig(*s["cfg"]), getattr(torch, s["dtype"]), getattr(torch, s["out"])
    operand = torch.empty(256, 256, dtype=dtype)
    descriptors = dict(a_desc=_descriptor(operand, [cfg.block_m, cfg.block_k]),
                       b_desc=_descriptor(operand, [cfg.block_n, cfg.block_k]),
                       c_desc=_descriptor(torch.empty(256, 256, dtype=out), output_block(cfg)))
    options = launch_options(cfg)
    maxnreg = options.pop("maxnreg")
    typed = dict(sa_ptr="*fp32", sb_ptr="*fp32", bias_ptr="*bf16")
    return _ptxas_report(_gluon_compile(kernel, descriptors, options | dict(HAS_BIAS=s["bias"], QK_BLOCKS=1), typed,
                                        options["num_warps"], maxnreg=maxnreg))


def _sm90a_report(spec: str) -> str:
    import importlib

    import triton
    import triton.language as tl
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource

    s = json.loads(spec)
    fn = getattr(importlib.import_module(s["module"]), s["kernel"])
    names = fn.arg_names
    constexprs = {n: getattr(tl, v) if isinstance(v, str) else v for n, v in s["constexprs"].items()}
    signature = {n: s["pointers"].get(n, "constexpr" if n in constexprs else "i32") for n in names}
    attrs = {(i,): [["tt.divisibility", 16]] for i, n in enumerate(names) if n in s["pointers"] or n in s["divisible"]}
    source = ASTSource(fn=fn, signature=signature, attrs=attrs,
                       constexprs={(names.index(n),): v for n, v in constexprs.items()})
    return _ptxas_report(triton.compile(source, target=GPUTarget("cuda", 90, 32),
                                        options=dict(num_warps=s["num_warps"], num_stages=s["num_stages"])))
