"""Every way a script may hold and call a PyTorch model; each model class is distinct so hashes differ."""

import torch
from torch import nn

torch.manual_seed(0)


class Plain(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.fc = nn.Linear(n, 2)

    def forward(self, x):
        return self.fc(x)


class Mixed(nn.Module):
    """Takes a tensor, a tuple, a dict, an int and None; returns a tuple and a dict."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 3)

    def forward(self, x, pair, extra=None, scale=1, mask=None):
        y = self.fc(x) * scale + pair[0] + extra["b"]
        if mask is not None:
            y = y * mask
        return y, {"sum": y.sum(), "pair": pair[1]}


class Holder:
    def __init__(self):
        self.net = Plain(4)

    def run(self, x):
        return self.net(x)


global_model = Plain(1)  # a global
global_model(torch.rand(1, 1))


def in_function():
    local_model = Plain(2)  # a local inside a function
    with torch.no_grad():
        return local_model(torch.rand(1, 2))


in_function()

holder = Holder()  # an attribute of an object, called from a method
holder.run(torch.rand(1, 4))

models = [Plain(5), Plain(6)]  # list items
for m in models:
    m(torch.rand(1, 5 if m is models[0] else 6))

table = {"enc": Plain(7)}  # a dict item
table["enc"].eval()
with torch.inference_mode():
    table["enc"](torch.rand(2, 7))

Plain(8)(torch.rand(1, 8))  # an unnamed temporary

mixed = Mixed().train()
x = torch.rand(2, 3)
pair = (torch.rand(2, 3), torch.rand(1))
mixed(x, pair, extra={"b": torch.rand(2, 3)}, scale=2, mask=None)  # positional and keyword
mixed(x=x, pair=pair, extra={"b": torch.rand(2, 3)}, scale=2)  # all keyword: the same signature
mixed(x, pair, {"b": torch.rand(2, 3)}, 2, None)  # all positional: the same signature
print("patterns done")
