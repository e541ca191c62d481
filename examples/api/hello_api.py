"""benchit from Python: a model object, a script, overrides both ways, results as objects and pandas.

    python examples/api/hello_api.py
"""

from pathlib import Path

import torch

import benchit

SCRIPTS = Path(__file__).resolve().parent.parent / "cli" / "scripts"
FAST = ["device.measurement.min_seconds=0.1"]  # any `key=value` override, as on the command line


class SmallModel(torch.nn.Module):
    def __init__(self, input_size: int, output_size: int):
        super().__init__()
        self.fc = torch.nn.Linear(input_size, output_size)

    def forward(self, x):
        return self.fc(x)


if __name__ == "__main__":
    # A model object and the inputs to call it with: built and benchmarked in this process.
    model = SmallModel(10, 5)
    results = benchit.benchmark_model(model, (torch.rand(10),), sequence="export_only", overrides=FAST)
    print(results)  # one line per model invocation
    (result,) = results
    print(result.hash, result.status, f"{result.mean_ms:.4f} ms", result.benchmark["p99_ms"])

    # A script, as `benchit benchmark two_models.py::215ca1e3 --sequence export_only` would run it.
    results = benchit.benchmark_script(SCRIPTS / "two_models.py", hashes=["215ca1e3"], sequence="export_only",
                                       overrides=FAST)
    frame = results.to_frame()  # pandas: one row per model invocation
    print(frame[["name", "hash", "status", "mean_ms", "p99_ms"]].to_string(index=False))

    # Errors are exceptions with the CLI's message.
    try:
        benchit.benchmark_script(SCRIPTS / "hello_world.py", device="tpu")
    except benchit.ConfigError as error:
        print(f"ConfigError: {error}")
