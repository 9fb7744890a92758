from gn_kernels.bench.peaks import PEAKS, gpu_key, peak_tflops


def test_device_names_map_to_their_table_rows():
    assert gpu_key("NVIDIA H100 80GB HBM3") == "H100 SXM"
    assert gpu_key("NVIDIA H100 PCIe") == "H100 PCIe"
    assert gpu_key("NVIDIA H100 NVL") == "H100 NVL"
    assert gpu_key("NVIDIA H200") == "H200"
    assert gpu_key("NVIDIA A100-SXM4-80GB") == "A100"
    assert gpu_key("NVIDIA GeForce RTX 4090") == "RTX 4090"
    assert gpu_key("NVIDIA GeForce RTX 5090") == "RTX 5090"
    assert gpu_key("NVIDIA L40S") == "L40S"
    assert gpu_key("NVIDIA B200") == "B200"
    assert gpu_key("Tesla T4") is None


def test_unknown_gpu_or_format_has_no_peak():
    assert peak_tflops("Tesla T4", "fp8") is None
    assert peak_tflops("NVIDIA A100-SXM4-80GB", "fp8") is None  # Ampere has no FP8 tensor cores


def test_peaks_are_consistent_per_gpu():
    for gpu, peaks in PEAKS.items():
        if "fp8" in peaks:
            # Every GPU listed runs FP8 at twice its bf16 (float32-accumulate) rate or more.
            assert peaks["fp8"] / peaks["bf16"] > 1.99, gpu  # datasheets round the halves
        if "nvfp4" in peaks:
            assert peaks["nvfp4"] >= 2 * peaks["mxfp8"], gpu
