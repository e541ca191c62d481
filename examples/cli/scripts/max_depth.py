# labels: name::max_depth author::benchit task::example
"""
A model made of sub-modules: TwoLayerModel holds two Linear layers, fc and fc2.

By default benchit benchmarks only the model the script calls. With `max_depth=1`
(tutorial form: `--max-depth 1`) it also discovers, builds and benchmarks fc
(hash 6d5eb4ee) and fc2 (hash d4b2ffa7).
"""

import torch

torch.manual_seed(0)


class TwoLayerModel(torch.nn.Module):
    def __init__(self, input_size, output_size):
        super(TwoLayerModel, self).__init__()
        self.fc = torch.nn.Linear(input_size, output_size)
        self.fc2 = torch.nn.Linear(output_size, output_size)

    def forward(self, x):
        output = self.fc(x)
        output = self.fc2(output)
        return output


input_size = 10
output_size = 5

pytorch_model = TwoLayerModel(input_size, output_size)
inputs = {"x": torch.rand(input_size)}

pytorch_outputs = pytorch_model(**inputs)

print(f"pytorch_outputs: {pytorch_outputs}")
