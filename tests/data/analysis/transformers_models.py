"""BERT, GPT-2 and T5 built from small configs with random weights (no download)."""

import torch
from transformers import BertConfig, BertModel, GPT2Config, GPT2LMHeadModel, T5Config, T5ForConditionalGeneration

torch.manual_seed(0)
small = dict(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37)

bert = BertModel(BertConfig(**small)).eval()
gpt2_config = GPT2Config(vocab_size=99, n_embd=32, n_layer=2, n_head=2, n_positions=64, bos_token_id=0, eos_token_id=0)
gpt2 = GPT2LMHeadModel(gpt2_config).eval()
t5 = T5ForConditionalGeneration(T5Config(vocab_size=99, d_model=32, d_kv=8, d_ff=37, num_layers=2, num_heads=2)).eval()

ids = torch.randint(0, 99, (1, 8))
mask = torch.ones(1, 8, dtype=torch.long)
with torch.no_grad():
    bert_out = bert(input_ids=ids, attention_mask=mask)
    gpt2_out = gpt2(ids, use_cache=False)
    t5_out = t5(input_ids=ids, attention_mask=mask, decoder_input_ids=ids[:, :4])
print("bert", tuple(bert_out.last_hidden_state.shape), "gpt2", tuple(gpt2_out.logits.shape),
      "t5", tuple(t5_out.logits.shape))

# What benchit must report, computed here by the script itself for the test to compare.
import hashlib  # noqa: E402

for name, model in (("bert", bert), ("gpt2", gpt2), ("t5", t5)):
    params = sum(p.numel() for p in model.parameters())
    print(f"expect {name} params={params} hash={hashlib.sha256(repr(model).encode()).hexdigest()[:8]}")
