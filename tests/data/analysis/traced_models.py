"""A script that traces and exports its model before using the results: torch.jit.trace runs the model to record
a graph (with a check that runs it again), torch.export traces it. Both must work under benchit as with python."""
import torch


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(4, 4)

    def forward(self, x):
        return torch.relu(self.fc(x))


x = torch.ones(1, 4)
net = Net()
traced = torch.jit.trace(net, x)
exported = torch.export.export(net, (x,)).module()
print("traced", tuple(traced(x).shape))
print("exported", tuple(exported(x).shape))
