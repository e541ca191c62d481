# labels: name::dlrm author::torch task::recommendation family::classic
"""
A DLRM-style recommender in plain PyTorch: a bottom MLP over 13 dense features, 3 sparse features
looked up with nn.EmbeddingBag (mode="sum", variable numbers of ids per sample given by offsets),
pairwise dot-product interactions, a top MLP giving a click probability. Random weights.

Called as model(dense, sparse_ids, sparse_offsets) with integer id and offset tensors for a
batch of 4, eval mode, torch.no_grad().
Run: python classic_embedding_bag.py  |  benchit examples/models/classic_embedding_bag.py
"""

import torch
from torch import nn

torch.manual_seed(0)


class DLRM(nn.Module):
    def __init__(self, dense_features=13, table_sizes=(100, 200, 50), dim=16):
        super().__init__()
        self.bottom = nn.Sequential(nn.Linear(dense_features, 32), nn.ReLU(), nn.Linear(32, dim), nn.ReLU())
        self.tables = nn.ModuleList([nn.EmbeddingBag(n, dim, mode="sum") for n in table_sizes])
        num_vectors = len(table_sizes) + 1
        num_pairs = num_vectors * (num_vectors - 1) // 2
        self.top = nn.Sequential(nn.Linear(dim + num_pairs, 32), nn.ReLU(), nn.Linear(32, 1))

    def forward(self, dense, sparse_ids, sparse_offsets):
        vectors = [self.bottom(dense)]
        vectors += [table(sparse_ids[i], sparse_offsets[i]) for i, table in enumerate(self.tables)]
        stacked = torch.stack(vectors, dim=1)  # (batch, features, dim)
        dots = torch.bmm(stacked, stacked.transpose(1, 2))
        i, j = torch.triu_indices(stacked.shape[1], stacked.shape[1], offset=1)
        interactions = dots[:, i, j]
        return torch.sigmoid(self.top(torch.cat([vectors[0], interactions], dim=1)))


model = DLRM()
model.eval()

batch = 4
dense = torch.rand(batch, 13)
# 3 ids per sample for every table, flattened, with each sample's start offset
sparse_ids = torch.stack([torch.randint(0, 50, (batch * 3,)) for _ in range(3)])  # ids valid in every table
sparse_offsets = torch.arange(0, batch * 3, 3).repeat(3, 1)

with torch.no_grad():
    clicks = model(dense, sparse_ids, sparse_offsets)

print(f"click probabilities: {[round(p, 3) for p in clicks.squeeze(1).tolist()]}")
