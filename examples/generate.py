#!/usr/bin/env python3
"""Write a synthetic autoresearch overnight run whose ground truth is known.

results.tsv is the agent's history; run.log is the next experiment, run but not yet recorded.
Each configuration has a true val_bpb; every run observes it plus N(0, 0.0005) noise, and the
agent keeps a commit when the observed value beats the best observed so far. Deterministic:
the same --seed and --n give the same bytes. --truth prints commit, true_value, true_effect and
source (results or run.log) as TSV to stdout instead of writing files. Stdlib only, Python 3.10+.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
from pathlib import Path
from statistics import NormalDist

NOISE_SD = 0.0005  # measured H100 run-to-run sd of val_bpb
BASELINE = 0.9979
BASE_VRAM_MB, BASE_FLOPS, BASE_STEPS = 45060.2, 2.390784e08, 953
SEQ, VOCAB, DEVICE_TOKENS, PEAK_FLOPS = 2048, 8192, 128 * 2048, 989.5e12

# knob -> (label, ordered values, index of the starting value)
KNOBS = {
    "DEPTH": ("depth", ["6", "7", "8", "9", "10", "12"], 2),
    "ASPECT_RATIO": ("aspect ratio", ["48", "56", "64", "72", "80"], 2),
    "HEAD_DIM": ("head dim", ["64", "128"], 1),
    "N_KV_HEAD": ("n_kv_head", ["1", "2", "4"], 2),
    "WINDOW_PATTERN": ("window pattern", ["L", "SL", "SSL", "SSSL", "SSSSL"], 3),
    "ROPE_BASE": ("RoPE base", ["10000", "50000", "100000", "200000", "400000"], 0),
    "TOTAL_BATCH_SIZE": ("batch", ["2**18", "2**19", "2**20"], 1),
    "MATRIX_LR": ("matrix LR", ["0.03", "0.035", "0.04", "0.045", "0.05", "0.06"], 2),
    "EMBEDDING_LR": ("embedding LR", ["0.4", "0.5", "0.6", "0.7", "0.8", "1.0"], 2),
    "UNEMBEDDING_LR": ("unembedding LR", ["0.002", "0.003", "0.004", "0.005", "0.006"], 2),
    "SCALAR_LR": ("scalar LR", ["0.3", "0.4", "0.5", "0.6", "0.7"], 2),
    "WEIGHT_DECAY": ("weight decay", ["0.0", "0.05", "0.1", "0.15", "0.2", "0.25", "0.3"], 4),
    "WARMUP_RATIO": ("warmup", ["0.0", "0.02", "0.05"], 0),
    "WARMDOWN_RATIO": ("warmdown", ["0.3", "0.4", "0.5", "0.6", "0.7", "0.8"], 2),
    "FINAL_LR_FRAC": ("final LR frac", ["0.0", "0.02", "0.05", "0.1"], 0),
    "ADAM_BETA1": ("Adam beta1", ["0.7", "0.8", "0.85", "0.9"], 1),
    "ADAM_BETA2": ("Adam beta2", ["0.9", "0.95", "0.99"], 1),
    "MUON_MOMENTUM": ("Muon momentum", ["0.9", "0.95", "0.96", "0.97"], 1),
    "NS_STEPS": ("Muon ns_steps", ["3", "4", "5", "6"], 2),
    "SOFTCAP": ("logit softcap", ["10", "12", "15", "20", "30"], 2),
}
HYPER = [k for k in KNOBS if k.endswith(("_LR", "_RATIO", "_FRAC", "DECAY", "BETA1", "MOMENTUM"))]
HYPER.remove("ASPECT_RATIO")

# free-text ideas: (description, memory change in GB, risky: likely to hurt a lot)
IDEAS = [
    ("SwiGLU MLP instead of ReLU² (hidden 8/3x)", 1.4, False),
    ("GeLU activation instead of ReLU²", 0.3, False),
    ("U-Net style skip connections (layer i -> depth-1-i)", 0.4, False),
    ("value embeddings on every layer instead of alternating", 3.2, False),
    ("remove value embeddings", -3.9, True),
    ("parallel attention + MLP blocks", -1.1, True),
    ("QK-norm with learnable per-head scale", 0.1, False),
    ("MLP hidden 4x -> 3x", -2.0, False),
    ("sigmoid output gate per attention head", 0.6, False),
    ("dropout 0.1 in MLP", 2.3, True),
    ("z-loss 1e-4 on logits", 0.0, False),
    ("label smoothing 0.1", 0.0, True),
    ("attention dropout=0.05", 1.8, False),
    ("zero-init attn out proj and MLP c_proj", 0.0, False),
    ("lm_head init std 0.001 -> 0.002", 0.0, False),
    ("embedding init std 1.0 -> 0.5", 0.0, False),
    ("transformer init scale 0.8x", 0.0, False),
    ("orthogonal init for QKV", 0.0, False),
    ("x0_lambda init 0.1 -> 0.05", 0.0, False),
    ("sequence_len 2048 -> 1024 (twice the docs per batch)", -3.5, True),
    ("BOS-aligned packing, no attention across documents", 0.2, False),
    ("drop documents shorter than 32 tokens", 0.0, False),
    ("Muon without Nesterov", 0.0, False),
    ("Muon momentum warmup 300 -> 150 steps", 0.0, False),
    ("gradient clipping max_norm=1.0", 0.1, False),
    ("cosine warmdown instead of linear", 0.0, False),
    ("weight decay follows LR schedule", 0.0, False),
    ("remove logit softcap", 0.0, True),
    ("remove x0 residual mixing", -0.2, True),
    ("remove cautious weight decay mask", 0.0, True),
    ("remove rotary, learned absolute positions", 0.4, True),
    ("simplify: fixed resid_lambdas = 1.0", 0.0, False),
]
CRASHES = [
    lambda v: f"DEPTH {v['DEPTH']} -> {2 * int(v['DEPTH'])} (OOM)",
    lambda v: f"double model width, ASPECT_RATIO={2 * int(v['ASPECT_RATIO'])} (OOM)",
    lambda v: f"matrix LR {v['MATRIX_LR']} -> {float(v['MATRIX_LR']) * 10:g} (loss NaN at step 41)",
    lambda v: "fused QKV projection (typo, NameError: qkv_w)",
    lambda v: "DEVICE_BATCH_SIZE 128 -> 256 (CUDA OOM)",
    lambda v: "FP8 matmuls in MLP (dtype assert in _scaled_mm)",
    lambda v: "TOTAL_BATCH_SIZE=2**17 (assert: not divisible by device batch)",
    lambda v: "fp16 autocast instead of bf16 (loss NaN)",
    lambda v: "embedding LR x10 (diverged, NaN)",
    lambda v: "torch.compile mode=max-autotune (killed at 10 min timeout)",
]


def model(v: dict[str, str]) -> dict[str, float]:
    """Model size, per-token FLOPs, peak VRAM (no extras) and steps in 5 min for knob values v."""
    depth, hd = int(v["DEPTH"]), int(v["HEAD_DIM"])
    n = -(-depth * int(v["ASPECT_RATIO"]) // hd) * hd
    heads = n // hd
    kv = max(1, heads * int(v["N_KV_HEAD"]) // 4)
    ve = depth // 2
    mats = depth * (10 * n * n + 2 * n * kv * hd) + ve * 32 * kv
    pat = (v["WINDOW_PATTERN"] * depth)[: depth - 1] + "L"
    raw = 6 * mats + 12 * n * sum(SEQ // 2 if c == "S" else SEQ for c in pat)
    flops = BASE_FLOPS * raw / (6 * 25166336 + 12 * 512 * 10240)
    batch = 2 ** int(v["TOTAL_BATCH_SIZE"][3:])
    return {
        "depth": depth, "n_embd": n, "n_head": heads, "n_kv_head": kv, "pattern": pat,
        "wte": VOCAB * n, "value_embeds": ve * VOCAB * kv * hd, "lm_head": VOCAB * n,
        "transformer_matrices": mats, "scalars": 2 * depth, "flops": flops, "batch": batch,
        "vram": BASE_VRAM_MB * depth * n * (0.9 + 0.1 * kv / heads) / 4096,
        "steps": BASE_STEPS * BASE_FLOPS / flops * 2**19 / batch,
    }  # fmt: skip


class Sim:
    def __init__(self, seed: int, n: int) -> None:
        self.rng, self.seed, self.n = random.Random(seed), seed, n
        self.knobs = {k: vals[i] for k, (_, vals, i) in KNOBS.items()}
        self.extra = 0.0  # GB added by kept free-text ideas
        self.head = {"true": BASELINE, "effect": 0.0, "commit": ""}
        self.best = float("inf")
        self.rows: list[dict] = []
        self.tried: set[tuple[str, str]] = set()
        self.ideas = list(IDEAS)
        self.crashes = list(CRASHES)
        self.hashes: set[str] = set()

    def commit(self) -> str:
        k = len(self.hashes)
        while True:
            h = hashlib.sha1(f"autolab-example:{self.seed}:{k}".encode()).hexdigest()[:7]
            if h not in self.hashes:
                self.hashes.add(h)
                return h
            k += 1

    def mem(self, knobs: dict[str, str], extra: float) -> float:
        return round((model(knobs)["vram"] + extra * 1024) / 1024, 1)

    def add(self, commit, true, effect, status, desc, mem, new=True, obs=None) -> float | None:
        if status != "crash" and obs is None:
            obs = round(true + self.rng.gauss(0.0, NOISE_SD), 6)
        if status == "":
            status = "keep" if obs < self.best else "discard"
        self.rows.append(dict(commit=commit, obs=obs, mem=mem, status=status, desc=desc,
                              true=true, effect=effect, new=new))  # fmt: skip
        return obs

    def knob_move(self, names: list[str]) -> tuple[str, str, str] | None:
        for _ in range(100):
            name = self.rng.choice(names)
            vals, old = KNOBS[name][1], self.knobs[name]
            j = vals.index(old) + self.rng.choice((-1, 1)) * (2 if self.rng.random() < 0.15 else 1)
            if 0 <= j < len(vals) and (name, vals[j]) not in self.tried:
                return name, old, vals[j]
        return None

    def knob_text(self, name: str, old: str, new: str) -> str:
        label, vals, _ = KNOBS[name]
        r = self.rng.random()
        if r < 0.35:
            return f"{name} {old} -> {new}"
        if r < 0.55 or not new[0].isdigit():
            return f"{name.lower()}={new}"
        if r < 0.8:
            pretty = {"2**18": "262K", "2**19": "524K", "2**20": "1M"}
            return f"{label} {pretty.get(old, old)} to {pretty.get(new, new)}"
        verb = "increase" if vals.index(new) > vals.index(old) else "decrease"
        return f"{verb} {name.lower()} to {new}"

    def propose(self, kind: str) -> tuple[str, list[tuple[str, str]], float]:
        """Returns (description, knob changes, memory change in GB) for a new idea."""
        risky = [i for i in self.ideas if i[2]]
        r = self.rng.random()
        if kind == "bad" and risky and self.rng.random() < 0.7:
            pick = self.rng.choice(risky)
        elif r < 0.45 and self.ideas:
            pick = self.rng.choice(self.ideas)
        else:
            moves = [self.knob_move(list(KNOBS))]
            if r > 0.93:
                moves.append(self.knob_move(HYPER))
            moves = [m for m in moves if m and m[0] != (moves[-1] or "")[0]] + moves[-1:]
            moves = list({m[0]: m for m in moves if m}.values())
            desc = " + ".join(self.knob_text(*m) for m in moves)
            return desc, [(m[0], m[2]) for m in moves], 0.0
        self.ideas.remove(pick)
        return pick[0], [], pick[1]

    def effect(self) -> tuple[float, str]:
        u, frac = self.rng.random(), len(self.rows) / self.n
        if u < 0.18:  # helpful ideas get rarer in size as the easy wins are taken
            return -(0.0005 + 0.0035 * (1 - 0.6 * frac) * self.rng.betavariate(1, 2.5)), "help"
        if u < 0.55:
            return 0.0, "null"
        if u < 0.90:
            return self.rng.uniform(0.0002, 0.002), "hurt"
        return self.rng.uniform(0.003, 0.012), "bad"

    def adopt(self, commit: str, true: float, effect: float, knobs: dict, extra: float) -> None:
        self.head = {"true": true, "effect": effect, "commit": commit}
        self.knobs, self.extra, self.tried = knobs, extra, set()

    def rerun_head(self, desc: str) -> None:
        h = self.head
        obs = self.add(h["commit"], h["true"], h["effect"], "keep", desc, self.mem(self.knobs, self.extra), False)
        self.best = min(self.best, obs)

    def experiment(self, triggers: dict[str, bool]) -> None:
        eff, kind = self.effect()
        desc, changes, dmem = self.propose(kind)
        knobs, extra = {**self.knobs, **dict(changes)}, self.extra + dmem
        true, c, mem = self.head["true"] + eff, self.commit(), self.mem(knobs, self.extra + dmem)
        obs = self.add(c, true, eff, "", desc, mem, obs=None)
        self.tried.update(changes)
        gap, row = obs - self.best, self.rows[-1]
        if row["status"] == "keep":
            self.adopt(c, true, eff, knobs, extra)
            self.best = obs
            if gap < -0.0015 and not triggers["confirm"] and len(self.rows) > 10 and len(self.rows) < self.n:
                triggers["confirm"] = True
                self.rerun_head(f"re-run of {c} to confirm")
            return
        if gap > 0.004 and self.rng.random() < 0.6:
            row["desc"] += " (much worse)"
        elif gap < 0.0003 and not triggers["near"] and len(self.rows) > self.n // 4 and len(self.rows) < self.n:
            triggers["near"] = True
            obs2 = self.add(c, true, eff, "", f"re-run of {c} (within noise of best)", mem, False)
            if self.rows[-1]["status"] == "keep":
                self.adopt(c, true, eff, knobs, extra)
                self.best = obs2
        elif gap < 0.0004 and self.rng.random() < 0.3:
            row["desc"] += " (flat)"

    def run(self) -> None:
        c, mem = self.commit(), self.mem(self.knobs, 0.0)
        self.head["commit"] = c
        for d in ("baseline", "re-run baseline to measure noise", "re-run baseline (3 of 3)"):
            self.best = min(self.best, self.add(c, BASELINE, 0.0, "keep", d, mem, d == "baseline"))
        triggers = {"confirm": False, "near": False, "remeasure": False}
        while len(self.rows) < self.n:
            if not triggers["remeasure"] and len(self.rows) > 0.65 * self.n and len(self.rows) + 2 <= self.n:
                triggers["remeasure"] = True
                for k in (2, 3):
                    self.rerun_head(f"re-run best ({self.head['commit']}) to re-measure noise, {k}/3")
            elif self.crashes and self.rng.random() < 0.075:
                desc = self.crashes.pop(self.rng.randrange(len(self.crashes)))(self.knobs)
                self.add(self.commit(), None, None, "crash", desc, 0.0)
            else:
                self.experiment(triggers)

    def candidate(self) -> dict:
        """The next experiment: a small tweak that observes slightly better than the best."""
        u = self.rng.random()
        eff = -self.rng.uniform(0.0002, 0.0008) if u < 0.4 else 0.0 if u < 0.8 else self.rng.uniform(0.0002, 0.0008)
        name, old, new = self.knob_move(HYPER) or ("WARMDOWN_RATIO", "", "0.6")
        true = self.head["true"] + eff
        nd = NormalDist(true, NOISE_SD)
        lo, hi = self.best - 0.0009, self.best - 0.0001
        plo, phi = nd.cdf(lo), nd.cdf(hi)
        if phi - plo > 1e-9:
            obs = nd.inv_cdf(min(max(self.rng.uniform(plo, phi), 1e-12), 1 - 1e-12))
        else:
            obs = self.rng.uniform(lo, hi)
        knobs = {**self.knobs, name: new}
        return dict(commit=self.commit(), obs=round(obs, 6), true=true, effect=eff, knobs=knobs,
                    desc=self.knob_text(name, old, new), mem=self.mem(knobs, self.extra))  # fmt: skip


def run_log(rng: random.Random, cand: dict, extra_gb: float) -> str:
    v, m = cand["knobs"], model(cand["knobs"])
    counts = ["wte", "value_embeds", "lm_head", "transformer_matrices", "scalars"]
    total = sum(m[k] for k in counts)
    cfg = (f"{{'sequence_len': {SEQ}, 'vocab_size': {VOCAB}, 'n_layer': {m['depth']}, "
           f"'n_head': {m['n_head']}, 'n_kv_head': {m['n_kv_head']}, 'n_embd': {m['n_embd']}, "
           f"'window_pattern': '{v['WINDOW_PATTERN']}'}}")  # fmt: skip
    head = [f"Vocab size: {VOCAB:,}", f"Model config: {cfg}", "Parameter counts:"]
    head += [f"  {k:<24}: {m[k]:,}" for k in counts] + [f"  {'total':<24}: {total:,}"]
    head += [f"Estimated FLOPs per token: {m['flops']:e}",
             f"Scaling AdamW LRs by 1/sqrt({m['n_embd']}/768) = {(m['n_embd'] / 768) ** -0.5:.6f}",
             "Time budget: 300s", f"Gradient accumulation steps: {m['batch'] // DEVICE_TOKENS}"]  # fmt: skip
    dt0 = 300000 / (m["steps"] * rng.uniform(0.98, 1.02) - 11)
    wd, final = float(v["WARMDOWN_RATIO"]), float(v["FINAL_LR_FRAC"])
    warm, end_loss = float(v["WARMUP_RATIO"]), 2.81 * cand["obs"]
    lines, elapsed, step, mfus = [], 0.0, 0, []
    while True:
        dt = rng.uniform(21000, 24000) if step == 0 else dt0 * (1 + abs(rng.gauss(0, 0.02)) - 0.01)
        if step > 10:
            elapsed += dt / 1000
        prog = min(elapsed / 300, 1.0)
        lrm = prog / warm if prog < warm else 1.0
        if prog > 1 - wd:
            cool = (1 - prog) / wd
            lrm = cool + (1 - cool) * final
        frac = step / m["steps"]
        loss = end_loss + 0.45 * max(0.0, 1 - frac) ** 1.5 + (9.01 - end_loss - 0.45) * 2.718281828 ** (-step / 30)
        tps = int(m["batch"] / (dt / 1000))
        mfu = 100 * m["flops"] * tps / PEAK_FLOPS
        if step > 10:
            mfus.append(mfu)
        lines.append(f"\rstep {step:05d} ({100 * prog:.1f}%) | loss: {loss + rng.gauss(0, 0.005):.6f} | "
                     f"lrm: {lrm:.2f} | dt: {dt:.0f}ms | tok/sec: {tps:,} | mfu: {mfu:.1f}% | "
                     f"epoch: 1 | remaining: {max(0.0, 300 - elapsed):.0f}s    ")  # fmt: skip
        step += 1
        if step > 11 and elapsed >= 300:
            break
    vram = m["vram"] + extra_gb * 1024
    summary = [("val_bpb", f"{cand['obs']:.6f}"), ("training_seconds", f"{elapsed:.1f}"),
               ("total_seconds", f"{elapsed + rng.uniform(24, 46):.1f}"), ("peak_vram_mb", f"{vram:.1f}"),
               ("mfu_percent", f"{sum(mfus) / len(mfus):.2f}"),
               ("total_tokens_M", f"{step * m['batch'] / 1e6:.1f}"), ("num_steps", str(step)),
               ("num_params_M", f"{total / 1e6:.1f}"), ("depth", str(m["depth"]))]  # fmt: skip
    tail = [f"{k + ':':<18}{val}" for k, val in summary]
    return "\n".join(head) + "\n" + "".join(lines) + "\n---\n" + "\n".join(tail) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    ap.add_argument("--seed", type=int, default=20260311)
    ap.add_argument("--n", type=int, default=120, help="rows in results.tsv (>= 20)")
    ap.add_argument("--truth", action="store_true", help="print ground truth TSV to stdout only")
    args = ap.parse_args(argv)
    if args.n < 20:
        ap.error("--n must be at least 20")
    sim = Sim(args.seed, args.n)
    sim.run()
    cand = sim.candidate()
    fmt = lambda x: "nan" if x is None else f"{x:.6f}"  # noqa: E731
    if args.truth:
        out = ["commit\ttrue_value\ttrue_effect\tsource"]
        out += [f"{r['commit']}\t{fmt(r['true'])}\t{fmt(r['effect'])}\tresults" for r in sim.rows]
        out.append(f"{cand['commit']}\t{fmt(cand['true'])}\t{fmt(cand['effect'])}\trun.log")
        sys.stdout.write("\n".join(out) + "\n")
        return 0
    tsv = ["commit\tval_bpb\tmemory_gb\tstatus\tdescription"]
    for r in sim.rows:
        obs = "0.000000" if r["obs"] is None else f"{r['obs']:.6f}"
        tsv.append(f"{r['commit']}\t{obs}\t{r['mem']:.1f}\t{r['status']}\t{r['desc']}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.tsv").write_bytes(("\n".join(tsv) + "\n").encode())
    (args.out / "run.log").write_bytes(run_log(sim.rng, cand, sim.extra).encode())
    summarize(sim, cand)
    return 0


def summarize(sim: Sim, cand: dict) -> None:
    rows = sim.rows
    st = {s: sum(r["status"] == s for r in rows) for s in ("keep", "discard", "crash")}
    commits = [r["commit"] for r in rows]
    groups = sum(commits.count(c) > 1 for c in set(commits))
    noise = sum(r["status"] == "keep" and r["new"] and r["effect"] >= 0 and r["desc"] != "baseline" for r in rows)
    ok = [r for r in rows if r["obs"] is not None]
    best = min(ok, key=lambda r: r["obs"])
    print(f"rows {len(rows)}: keep {st['keep']}, discard {st['discard']}, crash {st['crash']}; "
          f"replicate groups {groups}; keeps that were pure noise (true effect >= 0): {noise}\n"
          f"best observed {best['obs']:.6f} ({best['commit']}, true {best['true']:.6f}); "
          f"final HEAD true {sim.head['true']:.6f}; best true tried {min(r['true'] for r in ok):.6f}\n"
          f"run.log candidate {cand['commit']} '{cand['desc']}': observed {cand['obs']:.6f}, "
          f"true {cand['true']:.6f} (effect {cand['effect']:+.6f})", file=sys.stderr)  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
