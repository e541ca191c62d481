# A model no exporter can handle (an autograd Function without an ONNX symbolic), then one that exports.
import torch


class TopSingularValues(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return torch.linalg.svd(x, full_matrices=False).S

    @staticmethod
    def backward(ctx, grad):
        return grad


class Unexportable(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(4, 4)

    def forward(self, x):
        return TopSingularValues.apply(self.fc(x))


torch.manual_seed(0)
bad = Unexportable()
good = torch.nn.Linear(4, 3)
x = torch.randn(2, 4)
print("bad:", bad(x).shape)
print("good:", good(x).shape)
