# labels: name::wav2vec2 author::huggingface task::automatic_speech_recognition family::audio
"""
Wav2Vec2 with a CTC head (transformers Wav2Vec2ForCTC, 32-token vocabulary), random weights,
config shrunk to a 3-layer convolutional feature encoder and 2 transformer layers of width 32
(weight-normed convolutional position embeddings).

Called with a quarter second of 16 kHz audio (input_values), eval mode, torch.no_grad();
prints the greedy CTC ids' shape.
Run: python audio_wav2vec2.py  |  benchit examples/models/audio_wav2vec2.py
"""

import torch
from transformers import Wav2Vec2Config, Wav2Vec2ForCTC

torch.manual_seed(0)

config = Wav2Vec2Config(
    vocab_size=32,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=64,
    conv_dim=(16, 16, 16),
    conv_stride=(5, 2, 2),
    conv_kernel=(10, 3, 3),
    num_conv_pos_embeddings=16,
    num_conv_pos_embedding_groups=2,
)
model = Wav2Vec2ForCTC(config)
model.eval()

input_values = torch.randn(1, 4000)  # 0.25 s at 16 kHz

with torch.no_grad():
    outputs = model(input_values=input_values)

print(f"CTC ids: {tuple(outputs.logits.argmax(-1).shape)}")
