"""ONNX files on disk: one file, or weights in `<file>.data` beside it (ONNX external data)."""

from __future__ import annotations

from pathlib import Path

# Protobuf cannot hold a single file above 2 GB: past this many bytes of weights, use external data.
EXTERNAL_DATA_BYTES = 1_800_000_000
# With external data, tensors smaller than this stay inside the .onnx file: shape constants must,
# or ONNX Runtime's shape inference cannot read them.
EXTERNAL_MIN_TENSOR_BYTES = 128


def initializer_bytes(path: Path) -> int:
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    total = 0
    for tensor in model.graph.initializer:
        length = next((int(e.value) for e in tensor.external_data if e.key == "length"), None)
        total += length if length is not None else len(tensor.raw_data)
    return total


def has_external_data(path: Path) -> bool:
    """Whether an ONNX file keeps (some of) its weights in separate files."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    return any(t.data_location == onnx.TensorProto.EXTERNAL for t in model.graph.initializer)


def save_onnx(model, path: Path, external: bool) -> None:
    """Save a ModelProto as one file, or with all weights in `<file>.data` beside it."""
    import onnx

    for stale in path.parent.glob(path.name + ".data"):
        stale.unlink()
    if external:
        onnx.save(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                  location=path.name + ".data", size_threshold=EXTERNAL_MIN_TENSOR_BYTES)
    else:
        onnx.save(model, str(path))


def remove_file_and_data(path: Path) -> None:
    for stale in path.parent.glob(path.name + "*"):
        stale.unlink()


def loads_in_onnxruntime(path: Path) -> None:
    """Open the file in ONNX Runtime as written (no graph optimization): raises when it is not a valid model."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.log_severity_level = 3
    ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def runs_in_onnxruntime(path: Path, inputs: dict) -> None:
    """Load the file as written and run it once on the inputs: raises when a node has no kernel for its types
    (ONNX Runtime's CPU provider has no float16 ScatterND with reduction=add)."""
    import onnxruntime as ort

    from benchit.tensors import feeds_for

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    if inputs:
        session.run(None, feeds_for(session.get_inputs(), list(inputs.items())))
