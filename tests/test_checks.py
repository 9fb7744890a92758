import pytest
import torch

from gn_kernels import checks


def test_dtype_error_names_op_argument_and_expected():
    with pytest.raises(TypeError, match=r"myop: A must have dtype float8_e4m3fn; got float32"):
        checks.check_dtype("myop", "A", torch.zeros(2, 2), [torch.float8_e4m3fn])


def test_device_must_be_cuda():
    with pytest.raises(ValueError, match=r"myop: B must be on a CUDA device; got cpu"):
        checks.check_cuda("myop", "B", torch.zeros(2))
    checks.check_cuda("myop", "B", torch.zeros(2, device="meta"))


def test_layouts():
    row = torch.zeros(4, 8)
    checks.check_row_major("op", "A", row)
    checks.check_col_major("op", "B", row.t())
    with pytest.raises(ValueError, match=r"op: A must be row-major.*stride \(1, 8\)"):
        checks.check_row_major("op", "A", row.t())
    with pytest.raises(ValueError, match=r"op: B must be column-major"):
        checks.check_col_major("op", "B", row)


def test_matmul_shapes():
    assert checks.check_matmul_shapes("op", torch.zeros(3, 5), torch.zeros(5, 7)) == (3, 7, 5)
    with pytest.raises(ValueError, match=r"must agree on K; got A \(3, 5\) and B \(4, 7\)"):
        checks.check_matmul_shapes("op", torch.zeros(3, 5), torch.zeros(4, 7))
    with pytest.raises(ValueError, match=r"op: A must be 2-D; got shape \(3,\)"):
        checks.check_matmul_shapes("op", torch.zeros(3), torch.zeros(3, 7))


def test_multiple_and_out_dtype():
    with pytest.raises(ValueError, match=r"op: N must be a multiple of 16; got 24"):
        checks.check_multiple("op", "N", 24, 16)
    with pytest.raises(TypeError, match=r"op: out_dtype must be one of bfloat16; got int8"):
        checks.check_out_dtype("op", torch.int8, [torch.bfloat16])


def test_same_device():
    with pytest.raises(ValueError, match=r"A on cpu, B on meta"):
        checks.check_same_device("op", A=torch.zeros(1), B=torch.zeros(1, device="meta"))
