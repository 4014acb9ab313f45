#!/usr/bin/python3
"""Plain-PyTorch baseline for bench/speech (torchaudio is not installed here, so its work is written out in torch).

Cases, the same work as bench/speech.cpp:
  kws_step  one SpeechPrompt training step: a GPT-2-style unit LM (vocab 103 = 100 units + 3 specials, 4 blocks of
            width 192, 4 heads), batch 32 of bos + 60 units, 8 input prompt vectors concatenated before the unit
            embeddings, 4 key/value prompt vectors prepended in every block's attention (P-tuning v2 / PEFT
            prefix style), a linear verbalizer over the last hidden state, cross-entropy, AdamW.
  logmel    torchaudio.transforms.MelSpectrogram(n_fft=400, hop_length=160, n_mels=80) + log(x + 1e-6), written
            with torch.stft and the HTK mel matrix, one 1-s clip per call.
  mfcc      torchaudio.compliance.kaldi.mfcc defaults (povey window, pre-emphasis 0.97, 23 mel bins, 13 cepstra,
            lifter 22, snip_edges), written out in torch the way torchaudio computes it.
Prints one JSON line: median seconds per step or clip, peak RSS.

Run: /usr/bin/python3 bench/baseline_speech.py --case kws_step [--threads 2 --repeats 20]
"""
import argparse
import json
import math
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from baseline_gpt2_peft import Block  # noqa: E402  (the same GPT-2 block as the text baseline)


class PrefixBlock(Block):
    """Block with P key/value prompt vectors prepended to the attention's keys and values."""

    def forward(self, x, bias, pk, pv):
        b, t, d = x.shape
        hd = d // self.heads
        h = self.ln_1(x)
        q, k, v = self.c_attn(h).split(d, dim=2)
        k = torch.cat([pk.expand(b, -1, -1), k], 1)
        v = torch.cat([pv.expand(b, -1, -1), v], 1)
        q = q.view(b, t, self.heads, hd).transpose(1, 2)
        k, v = (z.view(b, -1, self.heads, hd).transpose(1, 2) for z in (k, v))
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hd) + bias
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.c_proj(y)
        h = self.c_fc(self.ln_2(x))
        h = 0.5 * h * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (h + 0.044715 * h.pow(3))))
        return x + self.mlp_proj(h)


def kws_step_fn(threads):
    vocab, d, layers, heads, positions = 103, 192, 4, 4, 256
    batch, units, p_in, p_kv, classes = 32, 60, 8, 4, 12
    wte, wpe = nn.Embedding(vocab, d), nn.Embedding(positions, d)
    blocks = nn.ModuleList([PrefixBlock(d, heads, 4 * d) for _ in range(layers)])
    ln_f = nn.LayerNorm(d)
    for m in (wte, wpe, blocks, ln_f):
        for p in m.parameters():
            p.requires_grad_(False)
    prompt = nn.Parameter(torch.randn(p_in, d) * 0.02)
    kv = nn.ParameterList([nn.Parameter(torch.randn(2, p_kv, d) * 0.02) for _ in range(layers)])
    head = nn.Linear(d, classes)
    opt = torch.optim.AdamW([prompt, *kv, *head.parameters()], lr=1e-2)
    ids = torch.cat([torch.full((batch, 1), 100), torch.randint(0, 100, (batch, units))], 1)
    labels = torch.arange(batch) % classes

    def step():
        x = torch.cat([prompt.expand(batch, -1, -1), wte(ids)], 1)  # PEFT: prompt before the inputs
        t = x.shape[1]
        x = x + wpe(torch.arange(t))
        keep = torch.cat([torch.ones(t, p_kv, dtype=torch.bool), torch.ones(t, t, dtype=torch.bool).tril()], 1)
        bias = torch.zeros(1, 1, t, p_kv + t).masked_fill(~keep, torch.finfo(torch.float32).min)
        for blk, pkv in zip(blocks, kv):
            x = blk(x, bias, pkv[0], pkv[1])
        loss = F.cross_entropy(head(ln_f(x)[:, -1]), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def htk_mel_matrix(n_freqs, n_mels, sample_rate):
    """torchaudio.functional.melscale_fbanks(n_freqs, 0, sr/2, n_mels, sr, norm=None, mel_scale='htk')."""
    all_freqs = torch.linspace(0, sample_rate // 2, n_freqs)
    m_max = 2595.0 * math.log10(1.0 + (sample_rate / 2) / 700.0)
    f_pts = 700.0 * (10 ** (torch.linspace(0, m_max, n_mels + 2) / 2595.0) - 1.0)
    f_diff = f_pts[1:] - f_pts[:-1]
    slopes = f_pts.unsqueeze(0) - all_freqs.unsqueeze(1)
    down = -slopes[:, :-2] / f_diff[:-1]
    up = slopes[:, 2:] / f_diff[1:]
    return torch.clamp(torch.min(down, up), min=0)


def kaldi_mel_banks(num_bins, padded, sample_rate, low, high):
    """torchaudio.compliance.kaldi.get_mel_banks without VTLN: [num_bins, padded/2 + 1] (Nyquist column 0)."""
    mel = lambda f: 1127.0 * torch.log(1.0 + torch.as_tensor(f, dtype=torch.float64) / 700.0)
    n_fft_bins = padded // 2
    fft_bin_width = sample_rate / padded
    mel_low, mel_high = mel(low), mel(high)
    delta = (mel_high - mel_low) / (num_bins + 1)
    b = torch.arange(num_bins, dtype=torch.float64).unsqueeze(1)
    left, center, right = mel_low + b * delta, mel_low + (b + 1) * delta, mel_low + (b + 2) * delta
    m = mel(fft_bin_width * torch.arange(n_fft_bins, dtype=torch.float64)).unsqueeze(0)
    up, down = (m - left) / (center - left), (right - m) / (right - center)
    banks = torch.max(torch.zeros(1, dtype=torch.float64), torch.min(up, down)).float()
    return F.pad(banks, (0, 1))


def features_fn(kind):
    clip = 0.1 * torch.randn(16000)
    if kind == "logmel":
        window, fb = torch.hann_window(400), htk_mel_matrix(201, 80, 16000)

        def step():
            spec = torch.stft(clip, 400, 160, 400, window, center=True, pad_mode="reflect", return_complex=True)
            return torch.log(spec.abs().pow(2).t() @ fb + 1e-6)  # [F, 80]

        return step
    window = torch.hann_window(400, periodic=False).pow(0.85)  # povey
    banks = kaldi_mel_banks(23, 512, 16000, 20.0, 8000.0)
    dct = torch.zeros(23, 23)
    n = torch.arange(23, dtype=torch.float64)
    dct = torch.cos(math.pi / 23 * (n.unsqueeze(1) + 0.5) * n.unsqueeze(0)) * math.sqrt(2.0 / 23)
    dct[:, 0] = math.sqrt(1.0 / 23)
    dct = dct[:, :13].float()
    lifter = 1.0 + 0.5 * 22 * torch.sin(math.pi * torch.arange(13) / 22)
    eps = torch.finfo(torch.float32).eps

    def step():
        frames = clip.unfold(0, 400, 160)  # snip_edges: whole frames only
        frames = frames - frames.mean(1, keepdim=True)
        frames = frames - 0.97 * F.pad(frames.unsqueeze(0), (1, 0), mode="replicate").squeeze(0)[:, :-1]
        spec = torch.fft.rfft(F.pad(frames * window, (0, 112))).abs().pow(2)  # [F, 257]
        mel = torch.clamp(spec @ banks.t(), min=eps).log()
        return (mel @ dct) * lifter  # [F, 13]

    return step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", required=True, choices=["kws_step", "logmel", "mfcc"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=20)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    step = kws_step_fn(a.threads) if a.case == "kws_step" else features_fn(a.case)
    step()  # warm-up
    times = []
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    median = statistics.median(times)
    out = {"impl": "pytorch", "case": a.case, "median_s": median,
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, "repeats": a.repeats,
           "threads": a.threads}
    if a.case != "kws_step":
        out["audio_s_per_s"] = 1.0 / median
    print(json.dumps(out))


if __name__ == "__main__":
    main()
