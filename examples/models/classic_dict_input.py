# labels: name::dict_input author::torch task::multimodal_classification family::classic
"""
A plain-PyTorch model whose single argument is a dict of tensors (an image and a vector of
tabular features, as a DataLoader's collate would give), returning a dict (logits and the fused
embedding). Random weights.

Called as model(batch) with batch = {"image": ..., "tabular": ...}, eval mode, torch.no_grad().
Run: python classic_dict_input.py  |  benchit examples/models/classic_dict_input.py
"""

import torch
from torch import nn

torch.manual_seed(0)


class ImageTabularNet(nn.Module):
    def __init__(self, tabular_features=12, num_classes=2):
        super().__init__()
        self.image_branch = nn.Sequential(
            nn.Conv2d(3, 8, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(8, 16, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.tabular_branch = nn.Sequential(nn.Linear(tabular_features, 16), nn.ReLU())
        self.head = nn.Linear(32, num_classes)

    def forward(self, batch):
        embedding = torch.cat([self.image_branch(batch["image"]), self.tabular_branch(batch["tabular"])], dim=1)
        return {"logits": self.head(embedding), "embedding": embedding}


model = ImageTabularNet()
model.eval()

batch = {"image": torch.randn(4, 3, 32, 32), "tabular": torch.randn(4, 12)}

with torch.no_grad():
    outputs = model(batch)

print(f"logits: {tuple(outputs['logits'].shape)} embedding: {tuple(outputs['embedding'].shape)}")
