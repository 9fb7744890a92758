import math

import pytest
import torch
from torch._subclasses.fake_tensor import FakeTensorMode

from gn_kernels import cutlass_fp8_mm, cutlass_row_scaled_fp8_mm, heuristics
from gn_kernels.cutlass_gemm import fp8_instance, row_scaled_fp8_mm_with_config
from gn_kernels.dispatch import kernel_family
from gn_kernels.heuristics import sm90a_fp8
from gn_kernels.testing import HOPPER_FP8_FAST, HOPPER_FP8_PROMOTED, assert_gemm_close
from kernels import fake_cuda, require_op, tuned_fp8_instances

FP8 = torch.float8_e4m3fn
OUT_DTYPES = [torch.bfloat16, torch.float16, torch.float32]


# ---- checks and fake kernel (CPU, fake CUDA tensors) -------------------------------------------


@pytest.mark.parametrize("out_dtype", OUT_DTYPES)
@pytest.mark.parametrize("M", [0, 1, 7, 4097])
def test_fake_shape_and_dtype(M, out_dtype):
    with FakeTensorMode():
        A, B = fake_cuda(M, 64, dtype=FP8), fake_cuda(32, 64, dtype=FP8).t()
        out = cutlass_fp8_mm(A, B, out_dtype)
    assert out.shape == (M, 32) and out.dtype == out_dtype and out.device.type == "cuda"


BAD_INPUTS = [
    # (description, A builder, B builder, out_dtype, error type, message pattern)
    ("A bf16", lambda: fake_cuda(8, 32, dtype=torch.bfloat16), lambda: fake_cuda(16, 32, dtype=FP8).t(),
     torch.bfloat16, TypeError, r"cutlass_fp8_mm: A must have dtype float8_e4m3fn; got bfloat16"),
    ("B e5m2", lambda: fake_cuda(8, 32, dtype=FP8), lambda: fake_cuda(16, 32, dtype=torch.float8_e5m2).t(),
     torch.bfloat16, TypeError, r"B must have dtype float8_e4m3fn; got float8_e5m2"),
    ("out int32", lambda: fake_cuda(8, 32, dtype=FP8), lambda: fake_cuda(16, 32, dtype=FP8).t(),
     torch.int32, TypeError, r"out_dtype must be one of bfloat16, float16, float32; got int32"),
    ("B row-major", lambda: fake_cuda(8, 32, dtype=FP8), lambda: fake_cuda(32, 16, dtype=FP8),
     torch.bfloat16, ValueError, r"B must be column-major"),
    ("A column-major", lambda: fake_cuda(32, 8, dtype=FP8).t(), lambda: fake_cuda(16, 32, dtype=FP8).t(),
     torch.bfloat16, ValueError, r"A must be row-major"),
    ("K mismatch", lambda: fake_cuda(8, 32, dtype=FP8), lambda: fake_cuda(16, 48, dtype=FP8).t(),
     torch.bfloat16, ValueError, r"must agree on K"),
    ("N not multiple of 16", lambda: fake_cuda(8, 32, dtype=FP8), lambda: fake_cuda(24, 32, dtype=FP8).t(),
     torch.bfloat16, ValueError, r"N \(B.shape\[1\]\) must be a multiple of 16; got 24"),
    ("K not multiple of 16", lambda: fake_cuda(8, 40, dtype=FP8), lambda: fake_cuda(16, 40, dtype=FP8).t(),
     torch.bfloat16, ValueError, r"K \(A.shape\[1\]\) must be a multiple of 16; got 40"),
    ("A 3-D", lambda: fake_cuda(2, 8, 32, dtype=FP8), lambda: fake_cuda(16, 32, dtype=FP8).t(),
     torch.bfloat16, ValueError, r"A must be 2-D"),
    ("A misaligned view", lambda: fake_cuda(300, dtype=FP8)[4:260].view(8, 32), lambda: fake_cuda(16, 32, dtype=FP8).t(),
     torch.bfloat16, ValueError, r"A must start on a 16-byte boundary; got storage offset 4"),
]


@pytest.mark.parametrize("case", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_raises_clear_error_in_fake_and_eager_checks(case):
    _, make_A, make_B, out_dtype, error, pattern = case
    with FakeTensorMode(), pytest.raises(error, match=pattern):
        cutlass_fp8_mm(make_A(), make_B(), out_dtype)


def test_cpu_tensors_are_refused_before_any_kernel():
    A = torch.zeros(8, 32).to(FP8)
    B = torch.zeros(16, 32).to(FP8).t()
    with pytest.raises(ValueError, match=r"cutlass_fp8_mm: A must be on a CUDA device; got cpu"):
        cutlass_fp8_mm(A, B)


# ---- numbers on the GPU ---------------------------------------------------------------------------


def _operands(M, N, K, scale=1.0):
    A = (torch.randn(M, K, device="cuda") * scale).to(FP8)
    B = (torch.randn(N, K, device="cuda") * scale).to(FP8).t()
    return A, B


def _run_poisoned(A, B, out_dtype):
    """Run after freeing a NaN-filled block of the output's size, which the allocator hands back:
    an element the kernel fails to write stays NaN and fails the check."""
    torch.full((A.shape[0], B.shape[1]), math.nan, device="cuda", dtype=out_dtype)
    return cutlass_fp8_mm(A, B, out_dtype)


@pytest.mark.gpu
@pytest.mark.parametrize("out_dtype", OUT_DTYPES)
@pytest.mark.parametrize("N,K", [(16, 16), (48, 272), (4096, 4096)])
@pytest.mark.parametrize("M", [1, 7, 64, 129, 1000, 4097])
def test_matches_reference(M, N, K, out_dtype):
    require_op("cutlass_fp8_mm")
    torch.manual_seed(M + N + K)
    A, B = _operands(M, N, K)
    out = _run_poisoned(A, B, out_dtype)
    assert out.shape == (M, N) and out.dtype == out_dtype
    assert_gemm_close(out, A.float(), B.float(), HOPPER_FP8_PROMOTED)


@pytest.mark.gpu
@pytest.mark.parametrize("out_dtype", [torch.bfloat16, torch.float32])
def test_values_near_e4m3_max(out_dtype):
    require_op("cutlass_fp8_mm")
    torch.manual_seed(0)
    M, N, K = 129, 64, 512
    sign = lambda *s: torch.randint(0, 2, s, device="cuda") * 2 - 1  # noqa: E731
    A = (sign(M, K) * 448.0).to(FP8)
    B = (sign(N, K) * torch.tensor([448.0, 416.0], device="cuda").repeat(K // 2)).to(FP8).t()
    assert_gemm_close(cutlass_fp8_mm(A, B, out_dtype), A.float(), B.float(), HOPPER_FP8_PROMOTED)


@pytest.mark.gpu
def test_zero_rows_and_columns_give_exact_zeros():
    require_op("cutlass_fp8_mm")
    A, B = _operands(200, 64, 128)
    A[17] = 0
    B[:, 5] = 0
    out = cutlass_fp8_mm(A, B, torch.float32)
    assert torch.equal(out[17], torch.zeros_like(out[17]))
    assert torch.equal(out[:, 5], torch.zeros_like(out[:, 5]))
    assert_gemm_close(out, A.float(), B.float(), HOPPER_FP8_PROMOTED)


@pytest.mark.gpu
def test_empty_M_and_K():
    require_op("cutlass_fp8_mm")
    A, B = _operands(0, 32, 64)
    assert cutlass_fp8_mm(A, B).shape == (0, 32)
    A, B = _operands(5, 32, 0)
    assert torch.equal(cutlass_fp8_mm(A, B, torch.float32), torch.zeros(5, 32, device="cuda"))


@pytest.mark.gpu
def test_cuda_graph_replay_matches_eager_on_new_data():
    # Capture happens on a side stream: a kernel launched on any stream but the current
    # one would either fail the capture or be left out of the graph, and then the
    # replay would not recompute the product of the new data.
    require_op("cutlass_fp8_mm")
    A, B = _operands(96, 128, 256)
    cutlass_fp8_mm(A, B)  # warm-up outside the capture: first-call setup
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        out = cutlass_fp8_mm(A, B)
    A2, B2 = _operands(96, 128, 256)
    A.copy_(A2)
    B.copy_(B2)
    graph.replay()
    torch.testing.assert_close(out, cutlass_fp8_mm(A2, B2), rtol=0, atol=0)


@pytest.mark.gpu
def test_torch_compile_fullgraph():
    require_op("cutlass_fp8_mm")
    A, B = _operands(33, 64, 128)
    compiled = torch.compile(lambda a, b: cutlass_fp8_mm(a, b) * 2, fullgraph=True)
    torch.testing.assert_close(compiled(A, B), cutlass_fp8_mm(A, B) * 2, rtol=0, atol=0)


@pytest.mark.gpu
def test_mixed_devices_are_refused():
    A = torch.zeros(8, 32, device="cuda").to(FP8)
    B = torch.zeros(16, 32).to(FP8).t()
    with pytest.raises(ValueError, match="B must be on a CUDA device"):
        cutlass_fp8_mm(A, B)


# ---- cutlass_row_scaled_fp8_mm ----------------------------------------------------------------

E5M2 = torch.float8_e5m2


def _fake_scaled(M=8, N=16, K=32, a_dtype=FP8, b_dtype=FP8, sA=None, sB=None, bias=None):
    A, B = fake_cuda(M, K, dtype=a_dtype), fake_cuda(N, K, dtype=b_dtype).t()
    sA = fake_cuda(M, 1, dtype=torch.float32) if sA is None else sA
    sB = fake_cuda(1, N, dtype=torch.float32) if sB is None else sB
    return A, B, sA, sB, bias


SCALED_BAD = [
    ("both e5m2", dict(a_dtype=E5M2, b_dtype=E5M2), TypeError, r"A and B cannot both be float8_e5m2"),
    ("scale_A shape", dict(sA=(8, 2)), ValueError, r"scale_A must have shape \(8, 1\) \(one scale per row\) or hold a single value"),
    ("scale_B shape", dict(sB=(16,)), ValueError, r"scale_B must have shape \(1, 16\) \(one scale per column\)"),
    ("scale_A dtype", dict(sA="bf16"), TypeError, r"scale_A must have dtype float32; got bfloat16"),
    ("bias shape", dict(bias=(1, 16)), ValueError, r"bias must have shape \(N,\) = \(16,\); got \(1, 16\)"),
    ("bias dtype", dict(bias="int"), TypeError, r"bias must have dtype bfloat16, float16, float32; got int32"),
]


def _materialize(spec):
    if spec is None:
        return None
    if spec == "bf16":
        return fake_cuda(8, 1, dtype=torch.bfloat16)
    if spec == "int":
        return fake_cuda(16, dtype=torch.int32)
    return fake_cuda(*spec, dtype=torch.float32)


@pytest.mark.parametrize("case", SCALED_BAD, ids=[c[0] for c in SCALED_BAD])
def test_row_scaled_bad_input(case):
    _, kwargs, error, pattern = case
    with FakeTensorMode(), pytest.raises(error, match=pattern):
        specs = {k: _materialize(v) for k, v in kwargs.items() if k in ("sA", "sB", "bias")}
        dtypes = {k: v for k, v in kwargs.items() if k.endswith("dtype")}
        cutlass_row_scaled_fp8_mm(*_fake_scaled(**dtypes, **specs))


def test_row_scaled_fake_accepts_tensorwise_scales_and_any_operand_pair():
    with FakeTensorMode():
        for a_dtype, b_dtype in [(FP8, FP8), (E5M2, FP8), (FP8, E5M2)]:
            A, B, _, _, _ = _fake_scaled(M=5, a_dtype=a_dtype, b_dtype=b_dtype)
            one = fake_cuda(dtype=torch.float32)
            out = cutlass_row_scaled_fp8_mm(A, B, one, one, fake_cuda(16, dtype=torch.bfloat16), torch.float16)
            assert out.shape == (5, 16) and out.dtype == torch.float16


def _scaled_operands(M, N, K, a_dtype=FP8, b_dtype=FP8, tensorwise=False):
    A = torch.randn(M, K, device="cuda").to(a_dtype)
    B = torch.randn(N, K, device="cuda").to(b_dtype).t()
    if tensorwise:
        sA, sB = torch.tensor(0.75, device="cuda"), torch.tensor(1.5, device="cuda")
    else:
        sA = torch.rand(M, 1, device="cuda") + 0.5
        sB = torch.rand(1, N, device="cuda") + 0.5
    # float64 dequantization is exact (an FP8 value times a float32 scale), so the
    # reference carries no rounding of its own.
    return A, B, sA, sB, A.double() * sA.double(), B.double() * sB.double()


ACC = {False: HOPPER_FP8_PROMOTED, True: HOPPER_FP8_FAST}


@pytest.mark.gpu
@pytest.mark.parametrize("fast", [False, True])
@pytest.mark.parametrize("out_dtype", OUT_DTYPES)
@pytest.mark.parametrize("M", [1, 7, 64, 129, 1000, 4097])
def test_row_scaled_matches_reference(M, out_dtype, fast):
    require_op("cutlass_row_scaled_fp8_mm")
    torch.manual_seed(M)
    N, K = 272, 4096
    A, B, sA, sB, A_deq, B_deq = _scaled_operands(M, N, K)
    bias = torch.randn(N, device="cuda", dtype=torch.bfloat16)
    torch.full((M, N), math.nan, device="cuda", dtype=out_dtype)  # poison the block the output reuses
    out = cutlass_row_scaled_fp8_mm(A, B, sA, sB, bias, out_dtype, fast)
    assert_gemm_close(out, A_deq, B_deq, ACC[fast], bias=bias.float())


@pytest.mark.gpu
@pytest.mark.parametrize("a_dtype,b_dtype", [(E5M2, FP8), (FP8, E5M2)])
@pytest.mark.parametrize("tensorwise", [False, True])
def test_row_scaled_e5m2_operands_and_tensorwise_scales(a_dtype, b_dtype, tensorwise):
    require_op("cutlass_row_scaled_fp8_mm")
    A, B, sA, sB, A_deq, B_deq = _scaled_operands(77, 64, 512, a_dtype, b_dtype, tensorwise)
    out = cutlass_row_scaled_fp8_mm(A, B, sA, sB, out_dtype=torch.float32)
    assert_gemm_close(out, A_deq, B_deq, HOPPER_FP8_PROMOTED)


@pytest.mark.gpu
@pytest.mark.parametrize("N,K", [(16, 16), (48, 272)])
def test_row_scaled_smallest_shapes_and_no_bias(N, K):
    require_op("cutlass_row_scaled_fp8_mm")
    A, B, sA, sB, A_deq, B_deq = _scaled_operands(3, N, K)
    assert_gemm_close(cutlass_row_scaled_fp8_mm(A, B, sA, sB), A_deq, B_deq, HOPPER_FP8_PROMOTED)


@pytest.mark.gpu
def test_row_scaled_near_e4m3_max_with_zero_rows_and_columns():
    require_op("cutlass_row_scaled_fp8_mm")
    M, N, K = 130, 64, 1024
    sign = lambda *s: torch.randint(0, 2, s, device="cuda") * 2 - 1  # noqa: E731
    A = (sign(M, K) * 448.0).to(FP8)
    B = (sign(N, K) * 440.0).to(FP8).t()
    A[3] = 0
    B[:, 9] = 0
    sA, sB = torch.rand(M, 1, device="cuda") + 0.5, torch.rand(1, N, device="cuda") + 0.5
    out = cutlass_row_scaled_fp8_mm(A, B, sA, sB, out_dtype=torch.float32)
    assert torch.equal(out[3], torch.zeros_like(out[3])) and torch.equal(out[:, 9], torch.zeros_like(out[:, 9]))
    assert_gemm_close(out, A.double() * sA.double(), B.double() * sB.double(), HOPPER_FP8_PROMOTED)


@pytest.mark.gpu
def test_row_scaled_matches_torch_scaled_mm():
    # cuBLAS computes the same function; both sit within the bound of the exact result,
    # so they differ by at most the sum of two bounds: checked through each one.
    require_op("cutlass_row_scaled_fp8_mm")
    A, B, sA, sB, A_deq, B_deq = _scaled_operands(256, 512, 1024)
    ours = cutlass_row_scaled_fp8_mm(A, B, sA, sB)
    theirs = torch._scaled_mm(A, B, sA, sB, out_dtype=torch.bfloat16)
    assert_gemm_close(ours, A_deq, B_deq, HOPPER_FP8_PROMOTED)
    assert_gemm_close(theirs, A_deq, B_deq, HOPPER_FP8_PROMOTED)


@pytest.mark.gpu
def test_row_scaled_cuda_graph_and_compile():
    require_op("cutlass_row_scaled_fp8_mm")
    A, B, sA, sB, _, _ = _scaled_operands(96, 128, 256)
    bias = torch.randn(128, device="cuda")
    expected = cutlass_row_scaled_fp8_mm(A, B, sA, sB, bias)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        out = cutlass_row_scaled_fp8_mm(A, B, sA, sB, bias)
    sA.mul_(2)
    graph.replay()
    torch.testing.assert_close(out, cutlass_row_scaled_fp8_mm(A, B, sA, sB, bias), rtol=0, atol=0)
    compiled = torch.compile(cutlass_row_scaled_fp8_mm, fullgraph=True)
    sA.div_(2)
    torch.testing.assert_close(compiled(A, B, sA, sB, bias), expected, rtol=0, atol=0)


# ---- every tile configuration ---------------------------------------------------------------------


@pytest.mark.gpu
@pytest.mark.parametrize("out_dtype", [torch.bfloat16, torch.float16])
@pytest.mark.parametrize("fast,config", tuned_fp8_instances(), ids=[f"{'fast' if f else 'promoted'}-{c}" for f, c in tuned_fp8_instances()])
@pytest.mark.parametrize("M", [1, 7, 64, 129, 1000])
def test_every_configuration_matches_reference(M, fast, config, out_dtype):
    # Swapped configurations put M on the kernel's N side and the scales on the other
    # broadcast; stream-K ones split K: N not a multiple of any tile and K of 18 K-tiles
    # exercise the residues of both.
    require_op("cutlass_row_scaled_fp8_mm")
    torch.manual_seed(M)
    N, K = 272, 2304
    A, B, sA, sB, A_deq, B_deq = _scaled_operands(M, N, K)
    bias = torch.randn(N, device="cuda", dtype=torch.float16)
    torch.full((M, N), math.nan, device="cuda", dtype=out_dtype)
    out = row_scaled_fp8_mm_with_config(A, B, sA, sB, bias, out_dtype, fast, config=config)
    assert_gemm_close(out, A_deq, B_deq, ACC[fast], bias=bias.float())


@pytest.mark.gpu
@pytest.mark.parametrize("config", sorted({c for f, c in tuned_fp8_instances() if not f}))
@pytest.mark.parametrize("K", [16, 384, 640])
def test_promoted_odd_numbers_of_k_tiles(K, config):
    # The promoting mainloop takes K tiles in pairs: one tile never enters its loop, and an odd
    # count ends in the branch that promotes the last two tiles apart.
    require_op("cutlass_row_scaled_fp8_mm")
    torch.manual_seed(K)
    A, B, sA, sB, A_deq, B_deq = _scaled_operands(129, 272, K)
    out = row_scaled_fp8_mm_with_config(A, B, sA, sB, None, torch.bfloat16, False, config=config)
    assert_gemm_close(out, A_deq, B_deq, ACC[False])


@pytest.mark.gpu
@pytest.mark.parametrize("fast", [False, True])
def test_swapped_configuration_with_tensorwise_scales(fast):
    require_op("cutlass_row_scaled_fp8_mm")
    A, B, sA, sB, A_deq, B_deq = _scaled_operands(5, 64, 512, tensorwise=True)
    out = row_scaled_fp8_mm_with_config(A, B, sA, sB, None, torch.float16, fast, config="swap_pingpong_64x16")
    assert_gemm_close(out, A_deq, B_deq, ACC[fast])


@pytest.mark.gpu
@pytest.mark.parametrize("out_dtype", OUT_DTYPES)
@pytest.mark.parametrize("fast", [False, True])
@pytest.mark.parametrize("splits", [2, 3, 4])
@pytest.mark.parametrize("M", [1, 7, 16])
def test_decode_split_k_matches_reference(M, splits, fast, out_dtype):
    # K = 2304 in 2, 3 and 4 slices of 9, 6 and 4.5 K-tiles (the last a partial one). Each slice's
    # product is scaled in float32 and the bias added once, in the slices' sum. The unsplit bound
    # holds: a slice's accumulation chain is shorter, and summing slices adds float32 roundings
    # where the unsplit GEMM already counts one per 128 of K (promoted) or far larger ones (fast).
    require_op("cutlass_row_scaled_fp8_mm")
    torch.manual_seed(100 * M + splits)
    N, K = 272, 2304
    A, B, sA, sB, A_deq, B_deq = _scaled_operands(M, N, K)
    bias = torch.randn(N, device="cuda", dtype=torch.float16)
    out = row_scaled_fp8_mm_with_config(A, B, sA, sB, bias, out_dtype, fast, config=sm90a_fp8.DECODE_CONFIG,
                                        splits=splits)
    assert_gemm_close(out, A_deq, B_deq, ACC[fast], bias=bias.float())


@pytest.mark.gpu
def test_split_k_refuses_slices_off_the_16_grid():
    require_op("cutlass_row_scaled_fp8_mm")
    A, B, sA, sB, _, _ = _scaled_operands(4, 64, 2304)
    with pytest.raises(RuntimeError, match="splits must be 1 ... 16 and cut K into slices of a multiple of 16; got 5"):
        row_scaled_fp8_mm_with_config(A, B, sA, sB, config=sm90a_fp8.DECODE_CONFIG, splits=5)


@pytest.mark.gpu
def test_split_k_extension_refuses_n_off_the_4_grid():
    # The slice sum writes four outputs a thread; the extension checks N before it runs any GEMM.
    require_op("cutlass_row_scaled_fp8_mm")
    _, module = kernel_family("cutlass_row_scaled_fp8_mm", torch.device("cuda"), "90a")
    A, B, sA, _, _, _ = _scaled_operands(4, 6, 256)
    out = torch.empty(4, 6, device="cuda", dtype=torch.bfloat16)
    with pytest.raises(RuntimeError, match="split-K needs N to be a multiple of 4"):
        module.scaled_fp8_mm(A, B, sA.flatten(), None, None, out, False, "checked_before_lookup", 1, 2)


@pytest.mark.gpu
def test_split_decode_gemm_in_a_cuda_graph():
    # The table splits N = 10240, K = 8192 at M = 1 in 2 (heuristics.sm90a_fp8.split_k): its
    # float32 slices come from torch's allocator inside the capture.
    require_op("cutlass_row_scaled_fp8_mm")
    A, B, sA, sB, A_deq, B_deq = _scaled_operands(1, 10240, 8192)
    assert sm90a_fp8.split_k(10240, 8192, sm90a_fp8.DECODE_CONFIG, 132) > 1
    expected = cutlass_row_scaled_fp8_mm(A, B, sA, sB)
    assert_gemm_close(expected, A_deq, B_deq, HOPPER_FP8_PROMOTED)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        out = cutlass_row_scaled_fp8_mm(A, B, sA, sB)
    graph.replay()
    torch.testing.assert_close(out, expected, rtol=0, atol=0)


@pytest.mark.gpu
def test_every_configuration_the_table_names_is_built():
    require_op("cutlass_row_scaled_fp8_mm")
    from gn_kernels.dispatch import kernel_module

    built = set(kernel_module("cutlass_row_scaled_fp8_mm", torch.device("cuda")).fp8_gemm_instances())
    A, B = _operands(1, 16, 16)
    for out_dtype in (torch.bfloat16, torch.float16, torch.float32):
        for fast in (False, True):
            for M, N in ((1, 16), (64, 16), (256, 16), (1024, 16), (1024, 6144), (10**6, 16)):  # 1024 x 6144: FILL_CONFIG
                short = {torch.bfloat16: "bf16", torch.float16: "fp16", torch.float32: "fp32"}[out_dtype]
                config, _ = heuristics.split(sm90a_fp8.pick(M, N, 16, short, "e4m3", "e4m3", fast, 132))
                assert fp8_instance(A, B, out_dtype, fast, config) in built
                if config == sm90a_fp8.DECODE_CONFIG:  # split K runs its float32-output instance
                    assert fp8_instance(A, B, torch.float32, fast, config) in built
