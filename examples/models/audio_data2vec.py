# labels: name::data2vec_audio author::huggingface task::automatic_speech_recognition family::audio
"""
Data2Vec-Audio with a CTC head (transformers Data2VecAudioForCTC), random weights, config shrunk
to a 3-layer convolutional feature encoder and 2 transformer layers of width 32 (stacked
convolutional position embeddings, no weight norm).

Called with input_values, eval mode, torch.no_grad().
Run: python audio_data2vec.py  |  benchit examples/models/audio_data2vec.py
"""

import torch
from transformers import Data2VecAudioConfig, Data2VecAudioForCTC

torch.manual_seed(0)

config = Data2VecAudioConfig(
    vocab_size=32,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=64,
    conv_dim=(16, 16, 16),
    conv_stride=(5, 2, 2),
    conv_kernel=(10, 3, 3),
    conv_pos_kernel_size=15,
    num_conv_pos_embeddings=2,
    num_conv_pos_embedding_groups=2,
)
model = Data2VecAudioForCTC(config)
model.eval()

input_values = torch.randn(1, 4000)

with torch.no_grad():
    outputs = model(input_values=input_values)

print(f"logits: {tuple(outputs.logits.shape)}")
