"""Two instances of one architecture (one hash) called with different shapes, and one model with two."""

import torch

torch.manual_seed(0)


class SmallModel(torch.nn.Module):
    def __init__(self, input_size, output_size):
        super(SmallModel, self).__init__()
        self.fc = torch.nn.Linear(input_size, output_size)

    def forward(self, x):
        return self.fc(x)


first = SmallModel(10, 5)
second = SmallModel(10, 5)
first(torch.rand(10))
second(torch.rand(2, 10))
second(torch.rand(10))
