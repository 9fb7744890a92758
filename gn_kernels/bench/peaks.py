"""Theoretical dense tensor-core peaks (TFLOPS, or TOPS for integers), per GPU and operand format.

Sources: NVIDIA's datasheets, dense figures (half the "with sparsity" ones):
H100 SXM5 / PCIe / NVL and H200 (Hopper datasheets), A100 (A100 datasheet),
L40S (L40S datasheet), RTX 4090 (Ada architecture whitepaper, appendix),
B200 (HGX B200 datasheet), RTX 5090 (the seed README's theoretical column,
at 400 W). bf16 is with float32 accumulation; fp16_acc16 with float16
accumulation, where consumer GPUs run at twice the rate.
"""

from __future__ import annotations

_HOPPER_SXM = {"bf16": 989.4, "fp16_acc16": 989.4, "fp8": 1978.9, "int8": 1978.9}

PEAKS: dict[str, dict[str, float]] = {
    "H100 SXM": _HOPPER_SXM,
    "H100 PCIe": {"bf16": 756.5, "fp16_acc16": 756.5, "fp8": 1513.0, "int8": 1513.0},
    "H100 NVL": {"bf16": 835.5, "fp16_acc16": 835.5, "fp8": 1670.5, "int8": 1670.5},
    "H200": _HOPPER_SXM,
    "A100": {"bf16": 312.0, "fp16_acc16": 312.0, "int8": 624.0, "int4": 1248.0},
    "L40S": {"bf16": 362.05, "fp16_acc16": 362.05, "fp8": 733.0, "int8": 733.0, "int4": 733.0},
    "RTX 4090": {"bf16": 165.2, "fp16_acc16": 330.3, "fp8": 330.3, "int8": 660.6, "int4": 1321.2},
    "B200": {"bf16": 2250.0, "fp16_acc16": 2250.0, "fp8": 4500.0, "int8": 4500.0, "mxfp8": 4500.0,
             "mxfp4": 9000.0, "nvfp4": 9000.0},
    "RTX 5090": {"bf16": 209.5, "fp16_acc16": 419.0, "fp8": 419.0, "int8": 838.0, "mxfp8": 419.0,
                 "mxfp4": 1676.0, "nvfp4": 1676.0},
}

# (substring of torch.cuda.get_device_name(), key), most specific first.
_NAME_RULES = [
    ("H100 PCIe", "H100 PCIe"),
    ("H100 NVL", "H100 NVL"),
    ("H100", "H100 SXM"),
    ("H200", "H200"),
    ("A100", "A100"),
    ("L40S", "L40S"),
    ("RTX 4090", "RTX 4090"),
    ("B200", "B200"),
    ("RTX 5090", "RTX 5090"),
]


def gpu_key(device_name: str) -> str | None:
    """The PEAKS key for a device name such as 'NVIDIA H100 80GB HBM3', or None if unknown."""
    for needle, key in _NAME_RULES:
        if needle in device_name:
            return key
    return None


def peak_tflops(device_name: str, fmt: str) -> float | None:
    key = gpu_key(device_name)
    return None if key is None else PEAKS[key].get(fmt)
