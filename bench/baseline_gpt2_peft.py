#!/usr/bin/python3
"""Plain-PyTorch baseline for bench/sentiment: prompt tuning the way Hugging Face PEFT does it.

PEFT's PromptTuning for a causal LM concatenates the prompt embeddings to the input embeddings, runs the full
forward pass and the full-vocabulary LM head at every position, then computes the loss. This file reproduces that
work on the gpt2-small config (random weights; transformers is not installed here, so GPT-2 is written out in
plain torch with HF's math) and prints one JSON line per case: median seconds per step and peak RSS.

Run: /usr/bin/python3 bench/baseline_gpt2_peft.py --case train_step [--threads 2 --repeats 10]
"""
import argparse
import json
import math
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, d, heads, inner):
        super().__init__()
        self.heads = heads
        self.ln_1 = nn.LayerNorm(d, eps=1e-5)
        self.c_attn = nn.Linear(d, 3 * d)
        self.c_proj = nn.Linear(d, d)
        self.ln_2 = nn.LayerNorm(d, eps=1e-5)
        self.c_fc = nn.Linear(d, inner)
        self.mlp_proj = nn.Linear(inner, d)

    def forward(self, x, bias):
        b, t, d = x.shape
        h = self.ln_1(x)
        q, k, v = self.c_attn(h).split(d, dim=2)
        q, k, v = (z.view(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-1, -2)) / math.sqrt(d // self.heads) + bias
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.c_proj(y)
        h = self.ln_2(x)
        h = self.c_fc(h)
        h = 0.5 * h * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (h + 0.044715 * h.pow(3))))
        return x + self.mlp_proj(h)


class GPT2(nn.Module):
    def __init__(self, vocab=50257, d=768, layers=12, heads=12, positions=1024):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(positions, d)
        self.h = nn.ModuleList([Block(d, heads, 4 * d) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(d, eps=1e-5)

    def forward(self, embeds, mask):
        b, t, _ = embeds.shape
        pos = (mask.cumsum(-1) - 1).clamp(min=0)
        x = embeds + self.wpe(pos)
        causal = torch.ones(t, t, dtype=torch.bool).tril()
        keep = causal[None, None] & mask[:, None, None, :].bool()
        bias = torch.zeros(b, 1, t, t).masked_fill(~keep, torch.finfo(torch.float32).min)
        for blk in self.h:
            x = blk(x, bias)
        return self.ln_f(x)


def peft_inputs(model, prompt, ids, mask):
    """PEFT: prompt embeddings concatenated before the input embeddings."""
    b = ids.shape[0]
    embeds = torch.cat([prompt.expand(b, -1, -1), model.wte(ids)], dim=1)
    full_mask = torch.cat([torch.ones(b, prompt.shape[-2], dtype=mask.dtype), mask], dim=1)
    return embeds, full_mask


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", required=True,
                    choices=["train_step", "classify_step", "inference", "mixed_inference"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--virtual", type=int, default=20)
    ap.add_argument("--layers", type=int, default=12)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = GPT2(layers=a.layers)
    for p in model.parameters():
        p.requires_grad_(False)
    model.eval()
    prompts = nn.Parameter(torch.randn(4, a.virtual, 768) * 0.02)
    opt = torch.optim.AdamW([prompts], lr=1e-3)
    ids = torch.randint(0, 50257, (a.batch, a.tokens))
    mask = torch.ones(a.batch, a.tokens, dtype=torch.long)
    label_ids = torch.tensor([922, 2089])  # " good", " bad"
    labels = torch.randint(0, 2, (a.batch,))
    rows = torch.arange(a.batch) % 4

    def step():
        if a.case == "train_step":  # PEFT causal-LM training: LM loss over every position, full vocabulary
            embeds, m = peft_inputs(model, prompts[0], ids, mask)
            logits = model(embeds, m) @ model.wte.weight.t()
            loss = F.cross_entropy(logits[:, a.virtual:-1].reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
        elif a.case == "classify_step":  # full-vocab logits everywhere, then pick the label words at the end
            embeds, m = peft_inputs(model, prompts[0], ids, mask)
            logits = model(embeds, m) @ model.wte.weight.t()
            loss = F.cross_entropy(logits[:, -1, label_ids], labels)
            opt.zero_grad()
            loss.backward()
            opt.step()
        elif a.case == "inference":
            with torch.no_grad():
                embeds, m = peft_inputs(model, prompts[0], ids, mask)
                (model(embeds, m) @ model.wte.weight.t())[:, -1, label_ids].argmax(-1)
        else:  # PEFT cannot mix prompts in one batch (peft#759): one sub-batch per prompt
            with torch.no_grad():
                for k in range(4):
                    sel = rows == k
                    embeds, m = peft_inputs(model, prompts[k], ids[sel], mask[sel])
                    (model(embeds, m) @ model.wte.weight.t())[:, -1, label_ids].argmax(-1)

    step()  # warm-up
    times = []
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"impl": "pytorch-peft-style", "case": a.case, "median_s": statistics.median(times),
                      "peak_rss_mb": peak_mb, "repeats": a.repeats, "threads": a.threads}))


if __name__ == "__main__":
    main()
