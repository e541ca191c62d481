"""Devices and runtimes: where and how a built model is timed, and the measurement itself.

A device (x86, nvidia) is made from conf/device/*.yaml (`DeviceConfig`); its `runtime` picks how the model
runs (ONNX Runtime on an execution provider, PyTorch eager or compiled, OpenVINO). Nothing heavy is imported
at module level: the parent process only checks availability.
"""
