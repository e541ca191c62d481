# labels: name::unexportable author::tests task::failure
"""A model no exporter can export (no ONNX operator for svdvals): a failed build (a report fixture)."""
import torch


class Unexportable(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(4, 4)

    def forward(self, x):
        return torch.linalg.svdvals(self.fc(x))


model = Unexportable()
print("unexportable:", model(torch.ones(3, 4)).shape)
