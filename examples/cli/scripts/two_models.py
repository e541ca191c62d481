# labels: name::two_models author::benchit task::example
"""
Two models in one script: benchit discovers and benchmarks both.

SmallModel(10, 5) hashes to 479b1332 and SmallModel(50, 10) to 215ca1e3; select one
with a hash filter: `benchit examples/cli/scripts/two_models.py::215ca1e3`.
"""

import torch

torch.manual_seed(0)


class SmallModel(torch.nn.Module):
    def __init__(self, input_size, output_size):
        super(SmallModel, self).__init__()
        self.fc = torch.nn.Linear(input_size, output_size)

    def forward(self, x):
        return self.fc(x)


input_size = 10
output_size = 5
pytorch_model = SmallModel(input_size, output_size)
inputs = {"x": torch.rand(input_size)}
pytorch_outputs = pytorch_model(**inputs)

# A second, larger instance of the same class: a different architecture, so a different hash
more_input_size = 50
more_output_size = 10
another_pytorch_model = SmallModel(more_input_size, more_output_size)
more_inputs = {"x": torch.rand(more_input_size)}
more_pytorch_outputs = another_pytorch_model(**more_inputs)

print(f"pytorch_outputs: {pytorch_outputs}")
print(f"more_pytorch_outputs: {more_pytorch_outputs}")
