"""Every gn_kernels op: registered with samples, and passing torch.library.opcheck."""

import pytest
import torch

import gn_kernels  # noqa: F401  (registers the ops)
from gn_kernels.checks import triton_interpreting
from kernels import require_op
from op_samples import CPU_OPS, SAMPLES

# One-byte float formats (FP4 packed two a byte among them), which torch's allclose cannot compare.
FLOAT8 = {torch.float8_e4m3fn, torch.float8_e5m2, torch.float8_e8m0fnu, torch.float4_e2m1fn_x2}
OPCHECK_UTILS = ("test_schema", "test_autograd_registration", "test_faketensor", "test_aot_dispatch_dynamic")


def registered_ops() -> list[str]:
    return sorted(n for n in torch._C._dispatch_get_all_op_names() if n.startswith("gn_kernels::"))


def test_every_registered_op_has_opcheck_samples():
    assert registered_ops() == sorted(SAMPLES)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_samples_build(name):
    # On the meta device, so that a broken sample fails here and not only on a GPU machine.
    assert all(isinstance(args, tuple) and args for args in SAMPLES[name]("meta"))


def _tensors(args):
    return [a for a in args if isinstance(a, torch.Tensor)]


def _bytes(t):
    return t.reshape(-1).view(torch.uint8)  # reshape: a 0-d tensor (a tensor-wise scale) has no byte view


def check_schema_bytewise(op, args):
    """What opcheck's test_schema asserts, for float8 inputs: no input is mutated, no output aliases one.

    torch's schema check compares inputs before and after with allclose, which
    has no float8 kernel; comparing the bytes is the same test, and stricter.
    """
    inputs = _tensors(args)
    before = [_bytes(t).clone() for t in inputs]
    out = op(*args)
    for i, (t, b) in enumerate(zip(inputs, before)):
        assert torch.equal(_bytes(t), b), f"input {i} was mutated"
    storages = {t.untyped_storage().data_ptr() for t in inputs}
    for o in out if isinstance(out, (tuple, list)) else [out]:
        assert o.untyped_storage().data_ptr() not in storages, "an output aliases an input"


def run_opcheck(name, device):
    op = getattr(torch.ops.gn_kernels, name.split("::")[1]).default
    for args in SAMPLES[name](device):
        if any(t.dtype in FLOAT8 for t in _tensors(args)):
            check_schema_bytewise(op, args)
            torch.library.opcheck(op, args, test_utils=OPCHECK_UTILS[1:])
        else:
            torch.library.opcheck(op, args, test_utils=OPCHECK_UTILS)


@pytest.mark.parametrize("name", sorted(CPU_OPS))
def test_opcheck_cpu(name):
    if name.startswith("gn_kernels::triton_") and not triton_interpreting():
        pytest.skip("Triton kernels run on CPU tensors only under TRITON_INTERPRET=1 (set where no GPU is); "
                    "test_opcheck_gpu checks them here")
    run_opcheck(name, "cpu")


@pytest.mark.gpu
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_opcheck_gpu(name):
    if name not in CPU_OPS:
        require_op(name.split("::")[1])
    run_opcheck(name, "cuda")
