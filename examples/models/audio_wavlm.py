# labels: name::wavlm author::huggingface task::audio_classification family::audio
"""
WavLM with a sequence-classification head (transformers WavLMForSequenceClassification,
4 classes), random weights, config shrunk to a 3-layer convolutional feature encoder and
2 transformer layers of width 32 (gated relative position bias).

Called with input_values, eval mode, torch.no_grad().
Run: python audio_wavlm.py  |  benchit examples/models/audio_wavlm.py
"""

import torch
from transformers import WavLMConfig, WavLMForSequenceClassification

torch.manual_seed(0)

config = WavLMConfig(
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=64,
    conv_dim=(16, 16, 16),
    conv_stride=(5, 2, 2),
    conv_kernel=(10, 3, 3),
    num_conv_pos_embeddings=16,
    num_conv_pos_embedding_groups=2,
    num_buckets=32,
    max_bucket_distance=64,
    classifier_proj_size=16,
    num_labels=4,
)
model = WavLMForSequenceClassification(config)
model.eval()

input_values = torch.randn(1, 4000)

with torch.no_grad():
    outputs = model(input_values=input_values)

print(f"logits: {tuple(outputs.logits.shape)}")
