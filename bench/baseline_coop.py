#!/usr/bin/python3
"""Plain-PyTorch baseline for bench/coop: CoOp training the way CoOp's code does it (trainers/coop.py).

CustomCLIP.forward runs the image encoder on every batch, and the PromptLearner concatenates
[SOS prefix | 16 context vectors | class tokens + EOT suffix] into 77-position sequences that the text encoder
runs in full. CLIP ViT-B/32 is written out in plain torch as in OpenAI's clip/model.py (random weights;
neither clip nor transformers is installed here). 10 classes, batch 32, SGD, the same sizes as bench_coop.
Prints per-epoch seconds and one JSON line.

Run: /usr/bin/python3 bench/baseline_coop.py [--epochs 3 --steps 2 --threads 2]
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class ResidualAttentionBlock(nn.Module):
    def __init__(self, d, heads, mask=None):
        super().__init__()
        self.attn = nn.MultiheadAttention(d, heads)
        self.ln_1 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), QuickGELU(), nn.Linear(4 * d, d))
        self.ln_2 = nn.LayerNorm(d)
        self.mask = mask

    def forward(self, x):  # [L,N,D] as in clip/model.py
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False, attn_mask=self.mask)[0]
        return x + self.mlp(self.ln_2(x))


class VisionTransformer(nn.Module):
    def __init__(self, res=224, patch=32, width=768, layers=12, heads=12, out=512):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, patch, patch, bias=False)
        scale = width ** -0.5
        self.class_embedding = nn.Parameter(scale * torch.randn(width))
        self.positional_embedding = nn.Parameter(scale * torch.randn((res // patch) ** 2 + 1, width))
        self.ln_pre = nn.LayerNorm(width)
        self.blocks = nn.Sequential(*[ResidualAttentionBlock(width, heads) for _ in range(layers)])
        self.ln_post = nn.LayerNorm(width)
        self.proj = nn.Parameter(scale * torch.randn(width, out))

    def forward(self, x):
        x = self.conv1(x).flatten(2).permute(0, 2, 1)
        cls = self.class_embedding.expand(x.shape[0], 1, -1)
        x = self.ln_pre(torch.cat([cls, x], 1) + self.positional_embedding)
        x = self.blocks(x.permute(1, 0, 2)).permute(1, 0, 2)
        return self.ln_post(x[:, 0]) @ self.proj


class TextEncoder(nn.Module):  # CoOp's TextEncoder over CLIP's text transformer
    def __init__(self, ctx=77, width=512, layers=12, heads=8, out=512, vocab=49408):
        super().__init__()
        mask = torch.full((ctx, ctx), float("-inf")).triu_(1)
        self.token_embedding = nn.Embedding(vocab, width)
        self.positional_embedding = nn.Parameter(0.01 * torch.randn(ctx, width))
        self.blocks = nn.Sequential(*[ResidualAttentionBlock(width, heads, mask) for _ in range(layers)])
        self.ln_final = nn.LayerNorm(width)
        self.text_projection = nn.Parameter(width ** -0.5 * torch.randn(width, out))

    def forward(self, prompts, tokenized):
        x = prompts + self.positional_embedding
        x = self.ln_final(self.blocks(x.permute(1, 0, 2)).permute(1, 0, 2))
        return x[torch.arange(x.shape[0]), tokenized.argmax(-1)] @ self.text_projection


class PromptLearner(nn.Module):  # CoOp, unified context, class token at the end
    def __init__(self, text, n_cls, n_ctx=16):
        super().__init__()
        width = text.token_embedding.weight.shape[1]
        self.ctx = nn.Parameter(0.02 * torch.randn(n_ctx, width))
        tokenized = torch.zeros(n_cls, 77, dtype=torch.long)
        for c in range(n_cls):  # SOT, n_ctx placeholders, 1-2 name tokens and ".", EOT
            n = 2 + c % 2
            tokenized[c, 0] = 49406
            tokenized[c, 1 + n_ctx:1 + n_ctx + n] = torch.randint(1000, 40000, (n,))
            tokenized[c, 1 + n_ctx + n] = 49407
        with torch.no_grad():
            emb = text.token_embedding(tokenized)
        self.register_buffer("token_prefix", emb[:, :1])
        self.register_buffer("token_suffix", emb[:, 1 + n_ctx:])
        self.tokenized = tokenized

    def forward(self):
        ctx = self.ctx.unsqueeze(0).expand(self.token_prefix.shape[0], -1, -1)
        return torch.cat([self.token_prefix, ctx, self.token_suffix], dim=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    visual, text = VisionTransformer().eval(), TextEncoder().eval()
    for p in list(visual.parameters()) + list(text.parameters()):
        p.requires_grad_(False)
    classes, batch = 10, 32
    learner = PromptLearner(text, classes)
    logit_scale = torch.tensor(1 / 0.07).log()
    n = a.steps * batch
    images, labels = torch.randn(n, 3, 224, 224), torch.randint(classes, (n,))
    opt = torch.optim.SGD(learner.parameters(), lr=0.002, momentum=0.9)
    epoch_s = []
    for _ in range(a.epochs):
        order, t0 = torch.randperm(n), time.perf_counter()
        for first in range(0, n, batch):
            idx = order[first:first + batch]
            image_features = visual(images[idx])  # CustomCLIP.forward: every step
            text_features = text(learner(), learner.tokenized)
            image_features = image_features / image_features.norm(dim=-1, keepdim=True)
            text_features = text_features / text_features.norm(dim=-1, keepdim=True)
            logits = logit_scale.exp() * image_features @ text_features.t()
            opt.zero_grad()
            F.cross_entropy(logits, labels[idx]).backward()
            opt.step()
        epoch_s.append(time.perf_counter() - t0)
        print(f"epoch {len(epoch_s)}: {epoch_s[-1]:.3f} s", flush=True)
    later = epoch_s[1:] or epoch_s
    print(json.dumps({"impl": "pytorch-coop", "bench": "coop", "threads": a.threads, "epochs": a.epochs,
                      "steps_per_epoch": a.steps, "batch": batch, "classes": classes, "epoch_s": epoch_s,
                      "median_epoch_s": statistics.median(later)}))


if __name__ == "__main__":
    main()
