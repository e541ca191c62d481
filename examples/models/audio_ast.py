# labels: name::ast author::huggingface task::audio_classification family::audio
"""
Audio Spectrogram Transformer (transformers ASTForAudioClassification, 5 classes), random weights,
config shrunk to a 32-bin x 64-frame spectrogram, 16x16 patches with stride 10, 2 layers of
width 32.

Called with input_values (a batch of spectrograms, time by frequency), eval mode, torch.no_grad().
Run: python audio_ast.py  |  benchit examples/models/audio_ast.py
"""

import torch
from transformers import ASTConfig, ASTForAudioClassification

torch.manual_seed(0)

config = ASTConfig(
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=64,
    num_mel_bins=32,
    max_length=64,
    patch_size=16,
    frequency_stride=10,
    time_stride=10,
    num_labels=5,
)
model = ASTForAudioClassification(config)
model.eval()

input_values = torch.randn(2, config.max_length, config.num_mel_bins)

with torch.no_grad():
    outputs = model(input_values=input_values)

print(f"logits: {tuple(outputs.logits.shape)}")
