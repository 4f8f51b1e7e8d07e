# /// script
# requires-python = ">=3.10"
# dependencies = []
# ///
"""Demo train.py for autoevolve: a CPU-only stand-in for autoresearch's GPT training run.

It trains nothing. It simulates a 5-minute H100 run of Karpathy's model from the constants below
with a known smooth landscape (the optimum is away from these defaults) plus Gaussian noise, and
prints the same summary block. Environment: DEMO_RUN_SECONDS (wall seconds a run takes),
DEMO_NOISE_SD (relative noise sd, default 0.0015), DEMO_NOISE_SEED (reproducible noise).
"""

from __future__ import annotations

import math
import os
import random
import sys
import time
import zlib
from collections.abc import Mapping

# ---------------------------------------------------------------------------
# Hyperparameters (edit these directly, no CLI flags needed)

# Model architecture
ASPECT_RATIO = 64  # model_dim = depth * ASPECT_RATIO
HEAD_DIM = 128  # target head dimension for attention
WINDOW_PATTERN = "SSSL"  # sliding window pattern: L=full, S=half context

# Optimization
TOTAL_BATCH_SIZE = 524288  # ~524K tokens per optimizer step (2**19)
EMBEDDING_LR = 0.6  # learning rate for token embeddings (Adam)
UNEMBEDDING_LR = 0.004  # learning rate for lm_head (Adam)
MATRIX_LR = 0.04  # learning rate for matrix parameters (Muon)
SCALAR_LR = 0.5  # learning rate for per-layer scalars (Adam)
WEIGHT_DECAY = 0.2  # cautious weight decay for Muon
ADAM_BETAS = (0.8, 0.95)  # Adam beta1, beta2
WARMDOWN_RATIO = 0.5  # fraction of time budget for LR warmdown

# Model size
DEPTH = 8  # number of transformer layers
DEVICE_BATCH_SIZE = 128  # per-device batch size (reduce if OOM)

# Demo only: wall-clock seconds one run takes (not a knob).
RUN_SECONDS = float(os.environ.get("DEMO_RUN_SECONDS", "1.0"))

# ---------------------------------------------------------------------------
# The simulated machine and the landscape (shared with autoevolve.demo.true_value)

SIM = {
    "vocab": 8192,
    "seq_len": 2048,
    "time_budget": 300.0,
    "startup_seconds": 25.8,
    "peak_flops": 989.5e12,
    "mfu": 0.402,
    "vram_capacity_mb": 81090.0,
    "noise_sd": 0.0015,
}
# Log-space bowls: knob -> (optimum, weight); the penalty is weight * ln(value / optimum) ** 2.
LOG_BOWLS = {
    "MATRIX_LR": (0.06, 0.055),
    "EMBEDDING_LR": (0.9, 0.024),
    "UNEMBEDDING_LR": (0.003, 0.036),
    "SCALAR_LR": (0.5, 0.01),
    "WEIGHT_DECAY": (0.1, 0.0083),
    "TOTAL_BATCH_SIZE": (262144.0, 0.0083),
    "HEAD_DIM": (128.0, 0.0083),
}
# Linear bowls: knob -> (optimum, weight); the penalty is weight * (value - optimum) ** 2.
LINEAR_BOWLS = {"WARMDOWN_RATIO": (0.7, 0.1)}
# Model size and data (Chinchilla form: a * N**-alpha + b * D**-beta with matrix parameters N
# and tokens D in millions) over the irreducible "floor"; a learning rate "diverge" times its
# optimum makes the loss explode.
LAW = {"a": 0.45, "alpha": 0.34, "b": 0.9, "beta": 0.28, "floor": 0.6616, "diverge": 12.0}


class OutOfMemoryError(RuntimeError):
    """Raised like torch's CUDA out-of-memory error."""


def current_knobs() -> dict[str, float]:
    """The hyperparameters above, by name."""
    return {
        "ASPECT_RATIO": ASPECT_RATIO,
        "HEAD_DIM": HEAD_DIM,
        "TOTAL_BATCH_SIZE": TOTAL_BATCH_SIZE,
        "EMBEDDING_LR": EMBEDDING_LR,
        "UNEMBEDDING_LR": UNEMBEDDING_LR,
        "MATRIX_LR": MATRIX_LR,
        "SCALAR_LR": SCALAR_LR,
        "WEIGHT_DECAY": WEIGHT_DECAY,
        "WARMDOWN_RATIO": WARMDOWN_RATIO,
        "DEPTH": DEPTH,
        "DEVICE_BATCH_SIZE": DEVICE_BATCH_SIZE,
    }


def check(k: Mapping[str, float]) -> None:
    """Raise like PyTorch or train.py's asserts would for an unusable configuration."""
    for name in ("EMBEDDING_LR", "UNEMBEDDING_LR", "MATRIX_LR", "SCALAR_LR"):
        if not k[name] > 0:
            raise ValueError(f"Invalid learning rate: {k[name]}")
    if not k["WEIGHT_DECAY"] >= 0:
        raise ValueError(f"Invalid weight_decay value: {k['WEIGHT_DECAY']}")
    for name in ("DEPTH", "ASPECT_RATIO", "HEAD_DIM", "DEVICE_BATCH_SIZE", "TOTAL_BATCH_SIZE"):
        if k[name] != int(k[name]) or k[name] < 1:
            raise ValueError(f"{name} must be a positive integer, got {k[name]}")
    assert 0.0 <= k["WARMDOWN_RATIO"] <= 1.0, "WARMDOWN_RATIO must be within [0, 1]"
    tokens_per_fwdbwd = int(k["DEVICE_BATCH_SIZE"]) * int(SIM["seq_len"])
    assert int(k["TOTAL_BATCH_SIZE"]) % tokens_per_fwdbwd == 0


def shape(k: Mapping[str, float]) -> dict[str, float]:
    """Model width, heads, parameter counts and FLOPs per token of a configuration."""
    depth, head_dim, vocab = int(k["DEPTH"]), int(k["HEAD_DIM"]), SIM["vocab"]
    width = -(-depth * int(k["ASPECT_RATIO"]) // head_dim) * head_dim
    matrices = 12.0 * depth * width**2
    params = matrices + vocab * width * (2 + depth // 2)
    flops = 6.0 * (matrices + vocab * width) + 12.0 * depth * width * SIM["seq_len"] * 0.625
    heads = width // head_dim
    return {"width": width, "heads": heads, "matrices": matrices, "params": params, "flops": flops}


def throughput(k: Mapping[str, float], s: Mapping[str, float]) -> dict[str, float]:
    """Simulated MFU, tokens per second and optimizer steps of a run in the time budget."""
    mfu = SIM["mfu"] * min(1.05, (k["DEVICE_BATCH_SIZE"] / 128) ** 0.1)
    tok_per_sec = mfu * SIM["peak_flops"] / s["flops"]
    steps = max(1, int(SIM["time_budget"] * tok_per_sec / k["TOTAL_BATCH_SIZE"]))
    return {"mfu": mfu, "tok_per_sec": tok_per_sec, "steps": steps}


def peak_vram_mb(k: Mapping[str, float], s: Mapping[str, float]) -> float:
    """Peak GPU memory in MiB: weights and optimizer state plus activations and logits."""
    rows = k["DEVICE_BATCH_SIZE"] * SIM["seq_len"]
    per_row = k["DEPTH"] * s["width"] * 29.8 + SIM["vocab"] * 6
    return 1500.0 + s["params"] * 16 / 2**20 + rows * per_row / 2**20


def check_memory(k: Mapping[str, float], s: Mapping[str, float]) -> float:
    """Peak memory in MiB, or OutOfMemoryError when it exceeds the simulated GPU."""
    vram, capacity = peak_vram_mb(k, s), SIM["vram_capacity_mb"]
    if vram > capacity:
        raise OutOfMemoryError(
            "[simulated by the autoevolve demo; no GPU was used] CUDA out of memory. Tried to"
            f" allocate {(vram - capacity) / 1024:.2f} GiB. The simulated GPU 0 has a total"
            f" capacity of {capacity / 1024:.2f} GiB"
        )
    return vram


def true_bpb(k: Mapping[str, float]) -> float:
    """Noise-free val_bpb of a valid configuration (inf when a learning rate diverges)."""
    s = shape(k)
    run = throughput(k, s)
    budget_tokens = SIM["time_budget"] * run["tok_per_sec"]
    tokens_m = min(run["steps"] * k["TOTAL_BATCH_SIZE"], budget_tokens) / 1e6
    value = LAW["floor"] + LAW["a"] * math.pow(s["matrices"] / 1e6, -LAW["alpha"])
    value += LAW["b"] * math.pow(tokens_m, -LAW["beta"])
    for name, (best, weight) in LOG_BOWLS.items():
        if name.endswith("_LR") and k[name] > LAW["diverge"] * best:
            return math.inf
        value += weight * math.log(k[name] / best) ** 2
    for name, (best, weight) in LINEAR_BOWLS.items():
        value += weight * (k[name] - best) ** 2
    return value


def noise(sd: float) -> float:
    """One relative noise draw: seeded by DEMO_NOISE_SEED (and autoevolve's run id) when set."""
    seed = os.environ.get("DEMO_NOISE_SEED")
    run = zlib.crc32(os.environ.get("AUTOEVOLVE_RUN_ID", "").encode())
    rng = random.Random(None if seed is None else f"{int(seed)}/{run}")
    return rng.gauss(0.0, 1.0) * sd


def progress(step: int, steps: int, loss: float, run: Mapping[str, float], dt: float) -> str:
    """One progress line in the form of autoresearch's train.py."""
    pct = 100.0 * step / steps
    lrm = min(1.0, (1.0 - step / steps) / max(WARMDOWN_RATIO, 1e-9))
    remaining = SIM["time_budget"] * (1.0 - step / steps)
    return (
        f"step {step:05d} ({pct:.1f}%) | loss: {loss:.6f} | lrm: {lrm:.2f} | dt: {dt * 1000:.0f}ms"
        f" | tok/sec: {run['tok_per_sec']:,.0f} | mfu: {run['mfu'] * 100:.1f}% | epoch: 1"
        f" | remaining: {remaining:.0f}s"
    )


def train(k: Mapping[str, float], run: Mapping[str, float]) -> float:
    """Print progress for RUN_SECONDS; return the final val_bpb (exit 1 if the loss explodes)."""
    steps, value = int(run["steps"]), true_bpb(k)
    dt = k["TOTAL_BATCH_SIZE"] / run["tok_per_sec"]
    lines = 10
    for i in range(lines):
        step = i * steps // lines
        if math.isinf(value):
            loss = 9.0 * 4.0**i
        else:
            loss = 2.9 * value + 6.0 * math.exp(-8.0 * step / steps)
        print(progress(step, steps, loss, run, dt), flush=True)
        if not loss <= 100:  # fast fail, as in autoresearch
            print("FAIL", flush=True)
            sys.exit(1)
        time.sleep(max(0.0, RUN_SECONDS) / lines)
    sd = float(os.environ.get("DEMO_NOISE_SD", SIM["noise_sd"]))
    return value * (1.0 + noise(sd))


def main() -> None:
    """Simulate one training run and print the summary block."""
    k = current_knobs()
    check(k)
    s = shape(k)
    print(f"Vocab size: {SIM['vocab']:,.0f}")
    config = {"n_layer": DEPTH, "n_head": int(s["heads"]), "n_embd": int(s["width"])}
    print(f"Model config: {config}")
    print(f"Parameter counts: total {s['params']:,.0f}")
    print(f"Estimated FLOPs per token: {s['flops']:e}")
    print(f"Time budget: {SIM['time_budget']:.0f}s")
    print(f"Gradient accumulation steps: {TOTAL_BATCH_SIZE // (DEVICE_BATCH_SIZE * 2048)}")
    vram = check_memory(k, s)
    run = throughput(k, s)
    value = train(k, run)
    steps = int(run["steps"])
    print("---")
    print(f"val_bpb:          {value:.6f}")
    print(f"training_seconds: {SIM['time_budget'] + 0.1:.1f}")
    print(f"total_seconds:    {SIM['time_budget'] + SIM['startup_seconds']:.1f}")
    print(f"peak_vram_mb:     {vram:.1f}")
    print(f"mfu_percent:      {run['mfu'] * 100:.2f}")
    print(f"total_tokens_M:   {steps * TOTAL_BATCH_SIZE / 1e6:.1f}")
    print(f"num_steps:        {steps}")
    print(f"num_params_M:     {s['params'] / 1e6:.1f}")
    print(f"depth:            {DEPTH}")


if __name__ == "__main__":
    main()
