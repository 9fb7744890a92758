"""gn_kernels.nn: QuantizedLinear's forward and gradients against the float64 products of the
unquantized bfloat16 tensors, within a bound derived from the formats (gn_kernels.testing:
quantization_error per operand element, check_quantized_product for the product); inference
weights, state_dict, convert_linears. On the CPU the GEMMs run in Triton's interpreter."""

import pytest
import torch
from torch import nn

from gn_kernels.nn import RECIPES, QuantizedLinear, convert_linears
from gn_kernels.testing import (FP32_ACC, HOPPER_FP8_FAST, HOPPER_FP8_PROMOTED, INT32_ACC, check_gemm,
                                check_quantized_product, expand_scales, quantization_error)

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
BF16 = torch.bfloat16
# (tokens, in_features, out_features): multiples of 128 for fp8_blockwise; the GPU's larger
SHAPE = (384, 512, 256) if DEVICE == "cuda" else (128, 128, 256)


def _dequantized(t: torch.Tensor, quantizer) -> torch.Tensor:
    q, scale = quantizer(t)
    return q.double() * expand_scales(scale.double(), t.shape)


def _both(out, A, B, quantize_a, quantize_bt, acc, bias=None):
    """out = A @ B, whose operands the layer quantized with quantize_a (A) and quantize_bt (Bᵀ): within the
    kernel's own bound of the product of the dequantized operands (the plumbing: scales, layouts), and
    within the formats' bound of the unquantized product (what a user loses)."""
    deq_A, deq_B = _dequantized(A, quantize_a), _dequantized(B.t().contiguous(), quantize_bt).t()
    _assert(check_gemm(out, deq_A, deq_B, acc, bias=bias))
    _assert(check_quantized_product(out, A, B, _error(A, quantize_a), _error(B.t().contiguous(), quantize_bt).t(),
                                    acc, bias=bias))


def _error(t: torch.Tensor, quantizer) -> torch.Tensor:
    """Bound on each element's quantization error, from the scales the recipe's quantizer gives t."""
    q, scale = quantizer(t)
    return quantization_error(t, expand_scales(scale.float(), t.shape), q.dtype)


def _accumulation(recipe: str, forward: bool = False):
    if DEVICE == "cpu":
        return FP32_ACC  # the interpreter sums exact products in float32
    # int8 sums are exact; their float32 scaling is the epilogue's rounding, in every bound
    if recipe.startswith("int8"):
        return INT32_ACC
    return HOPPER_FP8_FAST if forward and RECIPES[recipe].fast_forward else HOPPER_FP8_PROMOTED


def _assert(check):
    assert check.ok, str(check)


@pytest.mark.parametrize("recipe", list(RECIPES))
def test_forward_and_gradients_within_the_formats_bound(recipe):
    torch.manual_seed(0)
    M, K, N = SHAPE
    r, acc = RECIPES[recipe], _accumulation(recipe)
    layer = QuantizedLinear(K, N, recipe=recipe, device=DEVICE, dtype=BF16)
    x = torch.randn(M, K, device=DEVICE, dtype=BF16, requires_grad=True)
    dy = torch.randn(M, N, device=DEVICE, dtype=BF16)
    y = layer(x)
    y.backward(dy)
    W = layer.weight.detach()
    _both(y.detach(), x.detach(), W.t(), r.quantize_a, r.quantize_bt, _accumulation(recipe, forward=True),
          bias=layer.bias.detach())
    _both(x.grad, dy, W, r.quantize_a, r.quantize_bt, acc)
    dyt, xt = dy.t().contiguous(), x.detach().t().contiguous()
    if r.weight_grad_tokens is None:  # bfloat16 weight gradient
        _assert(check_gemm(layer.weight.grad, dyt, xt.t(), FP32_ACC))
    else:
        _both(layer.weight.grad, dyt, xt.t(), r.quantize_a, r.quantize_bt, acc)
    # The bias gradient is dy's column sum, in float32 then rounded: a product with a row of ones.
    ones = torch.ones(1, M, device=DEVICE)
    _assert(check_quantized_product(layer.bias.grad[None], ones, dy, torch.zeros_like(ones), torch.zeros_like(dy)))


@pytest.mark.parametrize("recipe", list(RECIPES))
def test_gradients_are_the_same_whatever_the_layer_quantizes_ahead(recipe):
    # The layer quantizes less when only one gradient is wanted (a frozen weight, or a first
    # layer's input), or holds less (keep_weight_codes): what it computes must not change, bit for bit.
    torch.manual_seed(3)
    M, K, N = SHAPE
    layer = QuantizedLinear(K, N, recipe=recipe, device=DEVICE, dtype=BF16)
    x = torch.randn(M, K, device=DEVICE, dtype=BF16, requires_grad=True)
    dy = torch.randn(M, N, device=DEVICE, dtype=BF16)
    layer(x).backward(dy)
    dx, dw = x.grad, layer.weight.grad
    x.grad = layer.weight.grad = None
    layer.weight.requires_grad_(False)
    layer(x).backward(dy)
    assert torch.equal(x.grad, dx)
    layer.weight.requires_grad_(True)
    layer(x.detach()).backward(dy)
    assert torch.equal(layer.weight.grad, dw)
    # Wᵀ quantized again in the backward instead of kept from the forward: the same codes.
    x.grad = layer.weight.grad = None
    layer.keep_weight_codes = False
    layer(x).backward(dy)
    assert torch.equal(x.grad, dx) and torch.equal(layer.weight.grad, dw)


def test_inference_weights_give_the_training_forward_and_survive_state_dict():
    torch.manual_seed(1)
    M, K, N = SHAPE
    layer = QuantizedLinear(K, N, recipe="fp8_rowwise", device=DEVICE, dtype=BF16)
    x = torch.randn(2, M // 2, K, device=DEVICE, dtype=BF16)
    with torch.no_grad():
        trained = layer(x)
        layer.quantize_weights()
        served = layer(x)
    assert layer.is_quantized and "weight" not in dict(layer.named_parameters())
    assert torch.equal(trained, served) and served.shape == (2, M // 2, N)
    state = layer.state_dict()
    assert state["weight_q"].dtype == torch.float8_e4m3fn and state["weight_scale"].shape == (N, 1)
    fresh = QuantizedLinear(K, N, recipe="fp8_rowwise", device=DEVICE, dtype=BF16)
    fresh.load_state_dict(state)
    with torch.no_grad():
        assert fresh.is_quantized and torch.equal(fresh(x), served)


class _Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.up = nn.Linear(128, 256, dtype=BF16)
        self.down = nn.Linear(256, 128, bias=False, dtype=BF16)
        self.head = nn.Linear(128, 40, dtype=BF16)  # 40 outputs: not a multiple of 16, stays nn.Linear


def test_convert_linears_swaps_in_place_sharing_parameters():
    model = nn.Sequential(_Block(), _Block())
    up = model[0].up.weight
    replaced = convert_linears(model, "fp8_rowwise", filter_fn=lambda name, layer: not name.startswith("1.down"))
    assert replaced == ["0.up", "0.down", "1.up"]
    assert isinstance(model[0].up, QuantizedLinear) and model[0].up.weight is up
    assert type(model[0].head) is nn.Linear and type(model[1].down) is nn.Linear
    assert model[0].down.bias is None


def test_bad_recipe_and_features_raise():
    with pytest.raises(ValueError, match=r"recipe must be one of \['fp8_rowwise', 'fp8_blockwise', 'int8_rowwise'\]"):
        QuantizedLinear(128, 128, recipe="fp4")
    with pytest.raises(ValueError, match=r"QuantizedLinear\(fp8_blockwise\): out_features must be a multiple of 128"):
        QuantizedLinear(128, 192, recipe="fp8_blockwise")


@pytest.mark.gpu
def test_compiles_fullgraph_and_replays_in_a_cuda_graph():
    torch.manual_seed(2)
    layer = QuantizedLinear(256, 512, recipe="fp8_rowwise", device="cuda", dtype=BF16)
    x = torch.randn(64, 256, device="cuda", dtype=BF16)
    with torch.no_grad():
        eager = layer(x)
        assert torch.equal(torch.compile(layer, fullgraph=True)(x), eager)
        static_x = x.clone()
        layer(static_x)  # warm up (Triton compiles, kernels load) outside the capture
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            static_y = layer(static_x)
        static_x.copy_(x)
        graph.replay()
    assert torch.equal(static_y, eager)


@pytest.mark.gpu
def test_trains_under_compile_fullgraph():
    torch.manual_seed(4)
    layer = QuantizedLinear(256, 512, recipe="fp8_rowwise", device="cuda", dtype=BF16)
    x = torch.randn(64, 256, device="cuda", dtype=BF16, requires_grad=True)
    dy = torch.randn(64, 512, device="cuda", dtype=BF16)
    grads = []
    for run in (layer, torch.compile(layer, fullgraph=True)):
        x.grad = layer.weight.grad = layer.bias.grad = None
        y = run(x)
        y.backward(dy)
        grads.append((y.detach(), x.grad, layer.weight.grad, layer.bias.grad))
    (y, dx, dw, db), (y_c, dx_c, dw_c, db_c) = grads
    assert torch.equal(y_c, y) and torch.equal(dx_c, dx) and torch.equal(dw_c, dw)
    # The bias gradient is a float32 column sum the compiler may order differently, rounded to
    # bfloat16 each time: the two differ by at most one bfloat16 ulp of the sum's magnitude bound.
    assert ((db_c.float() - db.float()).abs() <= 2**-7 * dy.float().abs().sum(0)).all()
