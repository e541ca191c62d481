# labels: name::hubert author::huggingface task::feature_extraction family::audio
"""
HuBERT (transformers HubertModel), random weights, config shrunk to a 3-layer convolutional
feature encoder and 2 transformer layers of width 32.

Called with input_values and attention_mask for a batch of 2 clips (the second one padded),
eval mode, torch.no_grad().
Run: python audio_hubert.py  |  benchit examples/models/audio_hubert.py
"""

import torch
from transformers import HubertConfig, HubertModel

torch.manual_seed(0)

config = HubertConfig(
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=64,
    conv_dim=(16, 16, 16),
    conv_stride=(5, 2, 2),
    conv_kernel=(10, 3, 3),
    num_conv_pos_embeddings=16,
    num_conv_pos_embedding_groups=2,
    feat_extract_norm="layer",
)
model = HubertModel(config)
model.eval()

input_values = torch.randn(2, 4000)
attention_mask = torch.ones(2, 4000, dtype=torch.long)
input_values[1, 3000:] = 0.0  # the second clip is shorter: padded
attention_mask[1, 3000:] = 0

with torch.no_grad():
    outputs = model(input_values=input_values, attention_mask=attention_mask)

print(f"last_hidden_state: {tuple(outputs.last_hidden_state.shape)}")
