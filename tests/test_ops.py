"""Every gn_kernels op: registered with samples, and passing torch.library.opcheck on the GPU."""

import pytest
import torch

import gn_kernels  # noqa: F401  (registers the ops)
from kernels import require_op
from op_samples import SAMPLES


def registered_ops() -> list[str]:
    return sorted(n for n in torch._C._dispatch_get_all_op_names() if n.startswith("gn_kernels::"))


def test_every_registered_op_has_opcheck_samples():
    assert registered_ops() == sorted(SAMPLES)


@pytest.mark.gpu
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_opcheck(name):
    require_op(name.split("::")[1])
    op = getattr(torch.ops.gn_kernels, name.split("::")[1])
    for args in SAMPLES[name]():
        torch.library.opcheck(op, args)
