# labels: name::whisper author::huggingface task::automatic_speech_recognition family::encoder_decoder
"""
Whisper (transformers WhisperForConditionalGeneration), random weights, config shrunk to
2 encoder and 2 decoder layers of width 32, 16 mel bins and 128 input frames (instead of 80 x 3000).

Called with a log-mel spectrogram (input_features) and decoder_input_ids, eval mode,
torch.no_grad(), default use_cache.
Run: python encoder_decoder_whisper.py  |  benchit examples/models/encoder_decoder_whisper.py
"""

import torch
from transformers import WhisperConfig, WhisperForConditionalGeneration

torch.manual_seed(0)

config = WhisperConfig(
    vocab_size=1000,
    num_mel_bins=16,
    d_model=32,
    encoder_layers=2,
    decoder_layers=2,
    encoder_attention_heads=2,
    decoder_attention_heads=2,
    encoder_ffn_dim=64,
    decoder_ffn_dim=64,
    max_source_positions=64,  # the encoder takes 2 x 64 = 128 mel frames
    max_target_positions=64,
    pad_token_id=0,
    bos_token_id=1,
    eos_token_id=2,
    decoder_start_token_id=3,
    suppress_tokens=[],
    begin_suppress_tokens=[],
)
model = WhisperForConditionalGeneration(config)
model.eval()

input_features = torch.randn(1, config.num_mel_bins, 2 * config.max_source_positions)
decoder_input_ids = torch.tensor([[config.decoder_start_token_id, 10, 11, 12]])

with torch.no_grad():
    outputs = model(input_features=input_features, decoder_input_ids=decoder_input_ids)

print(f"logits: {tuple(outputs.logits.shape)}")
