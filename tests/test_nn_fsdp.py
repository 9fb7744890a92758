"""gn_kernels.nn under FSDP2: a small MLP converted to fp8_rowwise, its layers and itself wrapped by
``fully_shard`` over 1 or 2 GPUs, each rank training on its share of a batch, against the same steps
on the whole batch unsharded on one GPU.

The two runs differ only where the recipe's numerics see the split: dW = dYᵀ X takes a scale per
column of dY and X over the tokens of a rank (the unsharded run: over all of them), and FSDP
averages the ranks' bfloat16 gradients. Each E4M3 operand element is within 2^-4 of its value
relatively (3 mantissa bits), so each run's update is within about 2·2^-4 of the exact one and the
two runs' updates within 4·2^-4 = 1/4 of each other. To first order the loss follows the weights, so
after t steps the losses differ by at most 1/4 of the path the loss travelled so far, plus the
outputs' bfloat16 rounding (below). The first step sees identical weights and per-token scales, so
its loss must agree to that rounding alone.
"""

import os
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F
from torch import nn

from gn_kernels.nn import QuantizedLinear, convert_linears

STEPS, TOKENS, WIDTH = 8, 512, 256
# A GEMM with another M may take another kernel configuration and sum in another order, so an output
# element may land one bfloat16 step (2^-8 relatively) away; the squared error moves by at most twice that.
OUTPUT_ROUNDING = 2.0**-7


def _model() -> nn.Module:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(WIDTH, 2 * WIDTH), nn.GELU(), nn.Linear(2 * WIDTH, WIDTH))
    model = model.to("cuda", torch.bfloat16)
    assert len(convert_linears(model, "fp8_rowwise")) == 2
    return model


def _data():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(TOKENS, WIDTH, generator=g)
    y = torch.tanh(x @ torch.randn(WIDTH, WIDTH, generator=g) / WIDTH**0.5)
    return x.to("cuda", torch.bfloat16), y.cuda()


def _train(model: nn.Module, x, y) -> torch.Tensor:
    opt = torch.optim.SGD(model.parameters(), lr=8.0)  # float32 on the CPU: 0.435 -> 0.309 in 8 steps, smoothly
    losses = []
    for _ in range(STEPS):
        loss = F.mse_loss(model(x).float(), y)
        loss.backward()
        opt.step()
        opt.zero_grad()
        losses.append(loss.detach())
    return torch.stack(losses)


def _worker(rank: int, world: int, port: int, result: str) -> None:
    from torch.distributed.fsdp import fully_shard

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.cuda.set_device(rank)
    dist.init_process_group("nccl", rank=rank, world_size=world, device_id=torch.device("cuda", rank))
    try:
        x, y = _data()
        model = _model()
        for layer in model:
            if isinstance(layer, QuantizedLinear):
                layer.keep_weight_codes = False  # as the layer's docstring advises under FSDP2
                fully_shard(layer)
        fully_shard(model)
        share = slice(rank * TOKENS // world, (rank + 1) * TOKENS // world)
        losses = _train(model, x[share], y[share])
        dist.all_reduce(losses)  # equal shares: the mean of the ranks' means is the batch's mean
        if rank == 0:
            torch.save({"sharded": (losses / world).cpu(), "single": _train(_model(), x, y).cpu()}, result)
    finally:
        dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("world", [1, 2])
def test_fully_sharded_training_matches_one_gpu(world, tmp_path):
    if not torch.cuda.is_available() or torch.cuda.device_count() < world:
        pytest.skip(f"needs {world} CUDA GPU(s)")
    if not dist.is_nccl_available():
        pytest.skip("needs NCCL")
    result = str(tmp_path / "losses.pt")
    mp.spawn(_worker, args=(world, _free_port(), result), nprocs=world)
    got = torch.load(result)
    sharded, single = got["sharded"].double(), got["single"].double()
    assert single[-1] < 0.9 * single[0], f"the unsharded run did not train: {single.tolist()}"
    travelled = torch.cat([torch.zeros(1, dtype=torch.float64), (single[1:] - single[:-1]).abs().cumsum(0)])
    bound = travelled / 4 + OUTPUT_ROUNDING * single.abs()
    assert ((sharded - single).abs() <= bound).all(), (
        f"sharded {sharded.tolist()} vs one GPU {single.tolist()}; bound {bound.tolist()}")
