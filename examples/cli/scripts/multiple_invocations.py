# labels: name::multiple_invocations author::benchit task::example
"""
One model called with two different input shapes: two invocations.

Each input signature is built and benchmarked apart (a batch of 1 and a batch of 8
need different ONNX graphs and have different latencies); calling the model again
with a signature it has already seen only increments that invocation's count.
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

single = pytorch_model(torch.rand(1, input_size))
for _ in range(3):
    batch = pytorch_model(torch.rand(8, input_size))

print(f"single: {single.shape}, batch: {batch.shape}")
