# labels: name::hello_world author::benchit task::example
"""
Hello World: the smallest script benchit can benchmark.

One PyTorch model, SmallModel, is built and called once. Run it plainly
(`python hello_world.py`) or through benchit (`benchit input=hello_world`,
or the tutorial form `benchit examples/cli/scripts/hello_world.py`) to see the
model discovered, built and benchmarked.
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

# The model benchit discovers: created here, called below
pytorch_model = SmallModel(input_size, output_size)
inputs = {"x": torch.rand(input_size)}

pytorch_outputs = pytorch_model(**inputs)

# Print results
print(f"pytorch_outputs: {pytorch_outputs}")
