"""Devices and runtimes on real ONNX files and real models: fields, casts, provider checks, errors.

GPU tests are marked `gpu` and skip with a reason on machines without an NVIDIA GPU.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from benchit.devices.base import BenchmarkTarget, DeviceConfig, DeviceUnavailable
from benchit.devices.measure import MeasurementConfig
from helpers import REPO, needs_gpu, needs_no_gpu

QUICK = MeasurementConfig(warmup_iterations=2, warmup_seconds=0.0, min_iterations=20, min_seconds=0.0,
                          max_seconds=2.0)


def _linear_onnx(path: Path, dtype=np.float32) -> Path:
    """y = x @ W + b, declared in `dtype` (float16 models take float16 inputs)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    elem = TensorProto.FLOAT16 if dtype == np.float16 else TensorProto.FLOAT
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.standard_normal((10, 5)).astype(dtype), "W")
    b = numpy_helper.from_array(rng.standard_normal(5).astype(dtype), "B")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["xw"]), helper.make_node("Add", ["xw", "B"], ["y"])],
        "linear", [helper.make_tensor_value_info("x", elem, [1, 10])],
        [helper.make_tensor_value_info("y", elem, [1, 5])], [w, b])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def _x86(runtime="ort", **kw):
    from benchit.devices.x86 import X86Device

    return X86Device(DeviceConfig(name="x86", runtime=runtime, measurement=QUICK, **kw))


def _nvidia(runtime="ort"):
    from benchit.devices.nvidia import NvidiaDevice

    return NvidiaDevice(DeviceConfig(_target_="benchit.devices.nvidia.NvidiaDevice", name="nvidia", runtime=runtime,
                                     provider_options={"device_id": 0}, measurement=QUICK))


def _check_fields(outcome) -> None:
    from benchit.data import to_data

    data = to_data(outcome)
    for key in ("runtime", "runtime_version", "provider", "providers", "threads", "threads_setting",
                "input_dtypes", "machine", "latency", "load_ms", "first_call_ms", "memory", "versions"):
        assert data.get(key) not in (None, ""), key
    m = outcome.latency
    assert m.iterations >= QUICK.min_iterations and outcome.throughput_ips == pytest.approx(1000 / m.mean_ms)
    assert 0 < m.min_ms <= m.median_ms <= m.p90_ms <= m.p99_ms <= m.max_ms
    assert isinstance(outcome.threads, int) and outcome.threads >= 1
    assert outcome.load_ms > 0 and outcome.first_call_ms > 0 and outcome.memory.peak_rss_total_mb > 0


def test_x86_ort_records_every_field(tmp_path):
    import onnxruntime as ort

    onnx_file = _linear_onnx(tmp_path / "linear.onnx")
    outcome = _x86().benchmark(BenchmarkTarget(onnx_file, {"x": np.ones((1, 10), np.float32)}))
    _check_fields(outcome)
    assert outcome.provider == "CPUExecutionProvider"
    assert outcome.runtime == "ort" and outcome.runtime_version == ort.__version__
    assert outcome.input_dtypes == {"x": "float32"}
    assert outcome.threads_setting.startswith("onnxruntime default")


def test_threads_from_config_are_used_and_recorded(tmp_path):
    onnx_file = _linear_onnx(tmp_path / "linear.onnx")
    outcome = _x86(threads=1).benchmark(BenchmarkTarget(onnx_file, {"x": np.ones((1, 10), np.float32)}))
    assert outcome.threads == 1 and outcome.threads_setting == "config"


def test_fp16_model_gets_its_inputs_cast(tmp_path):
    onnx_file = _linear_onnx(tmp_path / "linear-fp16.onnx", np.float16)
    # the script passed float32 (and under another name): cast to the float16 the model declares
    outcome = _x86().benchmark(BenchmarkTarget(onnx_file, {"input_0": np.ones((1, 10), np.float32)}))
    _check_fields(outcome)
    assert outcome.input_dtypes == {"x": "float16"}


@needs_no_gpu
def test_asking_for_cuda_without_a_gpu_is_an_error_not_a_cpu_number(tmp_path, capfd):
    """onnxruntime-gpu lists CUDA here and would silently run on the CPU: benchit must refuse."""
    import onnxruntime as ort

    if "CUDAExecutionProvider" not in ort.get_available_providers():
        pytest.skip("this onnxruntime has no CUDA provider at all (covered by the missing-provider test)")
    onnx_file = _linear_onnx(tmp_path / "linear.onnx")
    target = BenchmarkTarget(onnx_file, {"x": np.ones((1, 10), np.float32)})
    for device, provider in ((_nvidia("ort"), "CUDAExecutionProvider"), (_nvidia("trt"), "TensorrtExecutionProvider")):
        with pytest.raises(DeviceUnavailable) as info:
            device.benchmark(target)  # skipping check_available on purpose: the session check must hold alone
        message = str(info.value)
        assert f"could not use {provider}" in message and "CPUExecutionProvider" in message
        assert "\n" not in message
    from benchit.devices.ort_runtime import OnnxRuntime

    with pytest.raises(DeviceUnavailable, match="could not use CUDAExecutionProvider"):
        OnnxRuntime("ort", "CUDAExecutionProvider").load(_x86(), target)
    # ONNX Runtime's own load errors (in colour) are folded into the message, not printed
    out, err = capfd.readouterr()
    assert "\x1b[" not in out + err and "EP Error" not in out + err and "Failed to load" not in err


@needs_no_gpu
def test_the_up_front_probe_names_the_reason(capfd):
    """The runner's check before any work: a listed provider that cannot load is one line, with why."""
    import onnxruntime as ort

    from benchit.devices.ort_runtime import probe_provider

    probe_provider("CPUExecutionProvider")
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        pytest.skip("this onnxruntime has no CUDA provider at all")
    with pytest.raises(DeviceUnavailable) as info:
        probe_provider("CUDAExecutionProvider")
    message = str(info.value)
    assert message.startswith("ONNX Runtime could not use CUDAExecutionProvider (") and "\n" not in message
    assert "benchit[cuda]" in message
    out, err = capfd.readouterr()
    assert "\x1b[" not in out + err and "Failed to load" not in err


def test_a_provider_missing_from_onnxruntime_is_named_with_the_fix():
    from benchit.devices.ort_runtime import check_provider_installed

    check_provider_installed("CPUExecutionProvider")
    with pytest.raises(DeviceUnavailable) as info:
        check_provider_installed("NoSuchExecutionProvider")
    message = str(info.value)
    assert "has no NoSuchExecutionProvider" in message and "benchit[cuda]" in message


@needs_no_gpu
def test_nvidia_without_a_gpu_is_one_clear_line():
    from benchit.devices.nvidia import NvidiaDevice

    for runtime in NvidiaDevice.runtimes:
        with pytest.raises(DeviceUnavailable) as info:
            _nvidia(runtime).check_available()
        if shutil.which("nvidia-smi") is None:
            assert str(info.value) == "no NVIDIA GPU found (nvidia-smi: not found)"
        else:
            assert str(info.value).startswith("no NVIDIA GPU found (nvidia-smi: ")


def test_unknown_runtime_names_the_available_ones():
    with pytest.raises(ValueError, match=r"device x86 has no runtime 'trt' \(available: ort, torch, torch_compile, openvino\)"):
        _x86("trt")


def test_torch_eager_runtime_on_x86():
    import torch

    torch.manual_seed(0)
    model = torch.nn.Linear(10, 5)
    outcome = _x86("torch").benchmark(BenchmarkTarget(None, {}, model=model, args=(torch.ones(10),)))
    _check_fields(outcome)
    assert outcome.provider == "torch eager (cpu)"
    assert outcome.runtime_version == str(torch.__version__) and type(outcome.runtime_version) is str
    assert outcome.input_dtypes == {"arg0": "float32"}
    assert outcome.latency.timer == "perf_counter"


def test_torch_runtime_refuses_a_non_torch_model():
    with pytest.raises(DeviceUnavailable, match="PyTorch models only"):
        _x86("torch").benchmark(BenchmarkTarget(None, {}, model=object()))


def test_cpu_name_is_the_processor_model_name():
    from benchit.system.environment import cpu_name

    name = cpu_name()
    assert name and "\n" not in name
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return
    models = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    if models:
        assert name == models[0]


def test_device_key_and_needs_onnx():
    assert _x86().key == "x86/ort" and _x86().needs_onnx
    assert _x86("torch").key == "x86/torch" and not _x86("torch").needs_onnx
    assert _x86("openvino").needs_onnx and not _x86("torch_compile").needs_onnx


# ---------------------------------------------------------------- on a real NVIDIA GPU


@pytest.mark.gpu
@needs_gpu
@pytest.mark.parametrize("runtime", ["ort", "trt"])
def test_nvidia_onnxruntime_runs_on_the_gpu(tmp_path, runtime):
    device = _nvidia(runtime)
    try:
        device.check_available()
    except DeviceUnavailable as error:
        pytest.skip(f"GPU present but {runtime} unavailable: {error}")
    onnx_file = _linear_onnx(tmp_path / "linear.onnx")
    outcome = device.benchmark(BenchmarkTarget(onnx_file, {"x": np.ones((1, 10), np.float32)}))
    _check_fields(outcome)
    assert outcome.provider == device.runtime.provider
    assert device.device_name().startswith(("NVIDIA", "Tesla", "Quadro", "GeForce"))


@pytest.mark.gpu
@needs_gpu
def test_nvidia_torch_eager_is_timed_with_cuda_events():
    import torch

    if not torch.cuda.is_available():
        pytest.skip(f"GPU present but this PyTorch ({torch.__version__}) cannot use CUDA")
    model = torch.nn.Linear(10, 5)
    outcome = _nvidia("torch").benchmark(BenchmarkTarget(None, {}, model=model, args=(torch.ones(10),)))
    _check_fields(outcome)
    assert outcome.provider == "torch eager (cuda:0)"
    assert outcome.latency.timer == "cuda_event"


def test_gpu_proof_script_is_valid_bash():
    """benchmarks/gpu_proof.sh is run by hand on a GPU machine: at least it must parse here."""
    import subprocess

    script = REPO / "benchmarks" / "gpu_proof.sh"
    proc = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
