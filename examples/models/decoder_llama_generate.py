# labels: name::llama_generate author::huggingface task::text_generation family::decoder
"""
Llama (transformers LlamaForCausalLM) driven by model.generate(): greedy decoding of 4 new
tokens. Random weights, config shrunk to 2 layers of width 32.

generate() calls the model once for the prompt (prefill) and once per new token with the
growing key/value cache: benchit sees those calls as the model's invocations.
Run: python decoder_llama_generate.py  |  benchit examples/models/decoder_llama_generate.py
"""

import torch
from transformers import LlamaConfig, LlamaForCausalLM

torch.manual_seed(0)

config = LlamaConfig(
    vocab_size=1000,
    hidden_size=32,
    intermediate_size=64,
    num_hidden_layers=2,
    num_attention_heads=2,
    num_key_value_heads=1,
    max_position_embeddings=128,
    pad_token_id=0,
    bos_token_id=1,
    eos_token_id=2,
)
model = LlamaForCausalLM(config)
model.eval()

input_ids = torch.randint(3, config.vocab_size, (1, 8))
attention_mask = torch.ones_like(input_ids)

generated = model.generate(
    input_ids=input_ids, attention_mask=attention_mask, max_new_tokens=4, min_new_tokens=4, do_sample=False
)

print(f"generated ids: {generated[0, input_ids.shape[1]:].tolist()}")
