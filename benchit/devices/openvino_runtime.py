"""OpenVINO: the built ONNX file compiled by OpenVINO's runtime for an x86 CPU (the `openvino` extra).

`device.openvino.device` (CPU) and `device.openvino.performance_hint` (LATENCY) are passed to
`compile_model` and recorded with the result; `device.threads` becomes INFERENCE_NUM_THREADS.
"""

from __future__ import annotations

import importlib.util

from benchit.devices.base import BenchmarkFailed, BenchmarkTarget, Device, DeviceUnavailable, Runtime, Session
from benchit.errors import one_line


class OpenVino(Runtime):
    name = "openvino"
    needs_onnx = True

    def check_available(self, device: Device) -> None:
        if importlib.util.find_spec("openvino") is None:
            raise DeviceUnavailable("runtime=openvino needs OpenVINO, which is not installed: "
                                    "pip install 'benchit[openvino]'")

    def load(self, device: Device, target: BenchmarkTarget) -> Session:
        import numpy as np
        import openvino as ov

        if target.onnx_file is None:
            raise DeviceUnavailable("runtime=openvino needs an ONNX file; the build produced none")
        settings = device.config.openvino
        core = ov.Core()
        try:
            model = core.read_model(str(target.onnx_file))
        except Exception as error:
            raise BenchmarkFailed(f"OpenVINO cannot read {target.onnx_file.name}: {one_line(error)}") from error
        config = {"PERFORMANCE_HINT": settings.performance_hint}
        if device.config.threads:
            config["INFERENCE_NUM_THREADS"] = int(device.config.threads)
        try:
            compiled = core.compile_model(model, settings.device, config)
        except Exception as error:
            raise BenchmarkFailed(f"OpenVINO cannot compile {target.onnx_file.name} for {settings.device}: "
                                  f"{one_line(error)}") from error
        request = compiled.create_infer_request()
        feeds, unused = {}, list(target.inputs)
        for port in compiled.inputs:
            name = port.any_name if port.any_name in target.inputs else (unused[0] if unused else None)
            if name is None:
                raise BenchmarkFailed(f"the model expects input '{port.any_name}' but the script passed no tensor "
                                      "for it")
            unused.remove(name)
            feeds[port.any_name] = np.asarray(target.inputs[name]).astype(port.get_element_type().to_dtype(),
                                                                          copy=False)
        outputs = list(compiled.outputs)
        return Session(
            call=lambda: request.infer(feeds),
            outputs=lambda result: [np.asarray(result[port]) for port in outputs],
            facts={"runtime_version": ov.__version__, "provider": f"OpenVINO {settings.device}",
                   "providers": [f"OpenVINO {settings.device}"],
                   "session_options": {"device": settings.device, **{k: str(v) for k, v in config.items()},
                                       "execution_devices": str(compiled.get_property("EXECUTION_DEVICES"))},
                   "threads": int(compiled.get_property("INFERENCE_NUM_THREADS")),
                   "threads_setting": "config" if device.config.threads else "OpenVINO default",
                   "input_dtypes": {name: str(array.dtype) for name, array in feeds.items()}},
        )
