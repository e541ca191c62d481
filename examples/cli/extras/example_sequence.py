"""
A sequence file: export the model to ONNX and stop there (no optimization, no float16).

    benchit benchmark scripts/hello_world.py --sequence-file extras/example_sequence.py --build-only

benchit imports this file and calls get_sequence(); the stages are benchit's public classes.
"""

from benchit.build import ExportModel, Sequence, SetSuccess


def get_sequence():
    return Sequence(name="example_sequence", stages=[ExportModel(), SetSuccess()])
