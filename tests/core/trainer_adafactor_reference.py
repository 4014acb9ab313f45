"""Reference values for tests/core/trainer_optim_test.cpp (AdafactorMatchesReference).

Runs the step of Hugging Face transformers' Adafactor (transformers/optimization.py, v4.x; copied below
verbatim apart from the class scaffolding) on deterministic parameters and gradients, and prints the
parameters after 5 steps. Run with Debian's python3-torch (1.13): /usr/bin/python3 trainer_adafactor_reference.py
"""
import math
import torch


def _rms(t):
    return t.norm(2) / (t.numel() ** 0.5)


def _approx_sq_grad(row, col):
    r_factor = (row / row.mean(dim=-1, keepdim=True)).rsqrt_().unsqueeze(-1)
    c_factor = col.unsqueeze(-2).rsqrt()
    return torch.mul(r_factor, c_factor)


def _get_lr(group, state):
    rel_step_sz = group["lr"]
    if group["relative_step"]:
        min_step = 1e-6 * state["step"] if group["warmup_init"] else 1e-2
        rel_step_sz = min(min_step, 1.0 / math.sqrt(state["step"]))
    param_scale = 1.0
    if group["scale_parameter"]:
        param_scale = max(group["eps"][1], state["RMS"])
    return param_scale * rel_step_sz


def adafactor_step(p, grad, state, group):
    factored = len(grad.shape) >= 2
    use_first_moment = group["beta1"] is not None
    if len(state) == 0:
        state["step"] = 0
        if use_first_moment:
            state["exp_avg"] = torch.zeros_like(grad)
        if factored:
            state["exp_avg_sq_row"] = torch.zeros(grad.shape[:-1]).to(grad)
            state["exp_avg_sq_col"] = torch.zeros(grad.shape[:-2] + grad.shape[-1:]).to(grad)
        else:
            state["exp_avg_sq"] = torch.zeros_like(grad)
        state["RMS"] = 0
    state["step"] += 1
    state["RMS"] = _rms(p)
    lr = _get_lr(group, state)
    beta2t = 1.0 - math.pow(state["step"], group["decay_rate"])
    update = (grad**2) + group["eps"][0]
    if factored:
        row, col = state["exp_avg_sq_row"], state["exp_avg_sq_col"]
        row.mul_(beta2t).add_(update.mean(dim=-1), alpha=(1.0 - beta2t))
        col.mul_(beta2t).add_(update.mean(dim=-2), alpha=(1.0 - beta2t))
        update = _approx_sq_grad(row, col)
        update.mul_(grad)
    else:
        exp_avg_sq = state["exp_avg_sq"]
        exp_avg_sq.mul_(beta2t).add_(update, alpha=(1.0 - beta2t))
        update = exp_avg_sq.rsqrt().mul_(grad)
    update.div_((_rms(update) / group["clip_threshold"]).clamp_(min=1.0))
    update.mul_(lr)
    if use_first_moment:
        exp_avg = state["exp_avg"]
        exp_avg.mul_(group["beta1"]).add_(update, alpha=(1 - group["beta1"]))
        update = exp_avg
    if group["weight_decay"] != 0:
        p.add_(p, alpha=(-group["weight_decay"] * lr))
    p.add_(-update)


def initial(shape):
    n = math.prod(shape)
    return (torch.sin(torch.arange(n, dtype=torch.float32) * 0.7) * 0.5).reshape(shape)


def gradient(p, t):
    n = p.numel()
    return torch.cos(p * 3.0 + float(t)) + 0.1 * torch.arange(n, dtype=torch.float32).reshape(p.shape)


CONFIGS = {
    "lester": dict(lr=0.3, eps=(1e-30, 1e-3), clip_threshold=1.0, decay_rate=-0.8, beta1=None,
                   weight_decay=1e-5, scale_parameter=False, relative_step=False, warmup_init=False),
    "relative": dict(lr=None, eps=(1e-30, 1e-3), clip_threshold=1.0, decay_rate=-0.8, beta1=None,
                     weight_decay=0.0, scale_parameter=True, relative_step=True, warmup_init=False),
    "momentum": dict(lr=0.01, eps=(1e-30, 1e-3), clip_threshold=1.0, decay_rate=-0.8, beta1=0.9,
                     weight_decay=0.0, scale_parameter=True, relative_step=False, warmup_init=False),
}
SHAPES = [(3, 4), (5,), (2, 3, 4)]

for name, group in CONFIGS.items():
    for shape in SHAPES:
        p = initial(shape)
        state = {}
        for t in range(5):
            adafactor_step(p, gradient(p, t), state, group)
        print(name, shape, [float("%.9g" % v) for v in p.flatten().tolist()])
