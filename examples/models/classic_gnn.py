# labels: name::gnn author::torch task::node_classification family::classic
"""
A graph neural network in plain PyTorch (no torch_geometric): 2 message-passing layers in the
GraphSAGE style (mean of neighbour messages gathered along edge_index with index_add_, concatenated
with the node's own features), then a Linear over 3 node classes. Random weights and a random graph
of 50 nodes and 200 directed edges.

Called as model(node_features, edge_index), eval mode, torch.no_grad().
Run: python classic_gnn.py  |  benchit examples/models/classic_gnn.py
"""

import torch
from torch import nn

torch.manual_seed(0)


class SAGELayer(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.message = nn.Linear(cin, cout)
        self.update = nn.Linear(cin + cout, cout)

    def forward(self, x, edge_index):
        src, dst = edge_index[0], edge_index[1]
        messages = self.message(x)[src]
        summed = torch.zeros(x.shape[0], messages.shape[1], dtype=x.dtype).index_add_(0, dst, messages)
        degree = torch.zeros(x.shape[0], dtype=x.dtype).index_add_(0, dst, torch.ones_like(dst, dtype=x.dtype))
        mean = summed / degree.clamp(min=1).unsqueeze(1)
        return torch.relu(self.update(torch.cat([x, mean], dim=1)))


class GraphSAGE(nn.Module):
    def __init__(self, in_features=16, hidden=32, num_classes=3):
        super().__init__()
        self.layer1 = SAGELayer(in_features, hidden)
        self.layer2 = SAGELayer(hidden, hidden)
        self.head = nn.Linear(hidden, num_classes)

    def forward(self, node_features, edge_index):
        x = self.layer1(node_features, edge_index)
        x = self.layer2(x, edge_index)
        return self.head(x)


model = GraphSAGE()
model.eval()

num_nodes, num_edges = 50, 200
node_features = torch.randn(num_nodes, 16)
edge_index = torch.randint(0, num_nodes, (2, num_edges))

with torch.no_grad():
    logits = model(node_features, edge_index)

print(f"node logits: {tuple(logits.shape)}")
