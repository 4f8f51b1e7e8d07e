#!/usr/bin/env python3
"""Write a synthetic autoresearch overnight run whose ground truth is known.

results.tsv is the agent's history; run.log is the next experiment, run but not yet recorded.
Every configuration has a true val_bpb; each run observes it plus N(0, 0.0005) noise, and the
agent keeps a commit when the observed value beats the best observed so far. Deterministic:
the same --seed and --n give the same bytes. --truth prints commit, true_value, true_effect and
source (results or run.log) as TSV to stdout instead of writing files. Stdlib only, Python 3.10+.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import random
import sys
from pathlib import Path

NOISE_SD = 0.0005  # measured H100 run-to-run sd of val_bpb
BASELINE = 0.9979
BASE_VRAM_MB, BASE_FLOPS, BASE_STEPS = 45060.2, 2.390784e08, 953
SEQ, VOCAB, DEVICE_TOKENS, PEAK_FLOPS = 2048, 8192, 128 * 2048, 989.5e12
PARAM_NAMES = ("wte", "value_embeds", "lm_head", "transformer_matrices", "scalars")
ARCH = ("DEPTH", "ASPECT_RATIO", "HEAD_DIM", "N_KV_HEAD", "TOTAL_BATCH_SIZE")  # cost steps

# NAME | label | starting value | allowed values, in order
KNOBS = {
    f[0]: (f[1], f[3].split(), f[2])
    for f in (
        line.split(" | ")
        for line in """\
DEPTH | depth | 8 | 7 8 9 10
ASPECT_RATIO | aspect ratio | 64 | 56 64 72
HEAD_DIM | head dim | 128 | 64 128
N_KV_HEAD | n_kv_head | 4 | 1 2 4
WINDOW_PATTERN | window pattern | SSSL | L SL SSL SSSL SSSSL
ROPE_BASE | RoPE base | 10000 | 10000 50000 100000 200000 400000
TOTAL_BATCH_SIZE | batch | 2**19 | 2**19 2**20
MATRIX_LR | matrix LR | 0.04 | 0.03 0.035 0.04 0.045 0.05 0.06
EMBEDDING_LR | embedding LR | 0.6 | 0.4 0.5 0.6 0.7 0.8 1.0
UNEMBEDDING_LR | unembedding LR | 0.004 | 0.002 0.003 0.004 0.005 0.006
SCALAR_LR | scalar LR | 0.5 | 0.3 0.4 0.5 0.6 0.7
WEIGHT_DECAY | weight decay | 0.2 | 0.0 0.05 0.1 0.15 0.2 0.25 0.3
WARMUP_RATIO | warmup | 0.0 | 0.0 0.02 0.05
WARMDOWN_RATIO | warmdown | 0.5 | 0.3 0.4 0.5 0.6 0.7 0.8
FINAL_LR_FRAC | final LR frac | 0.0 | 0.0 0.02 0.05 0.1
ADAM_BETA1 | Adam beta1 | 0.8 | 0.7 0.8 0.85 0.9
ADAM_BETA2 | Adam beta2 | 0.95 | 0.9 0.95 0.99
MUON_MOMENTUM | Muon momentum | 0.95 | 0.9 0.95 0.96 0.97
NS_STEPS | Muon ns_steps | 5 | 3 4 5 6
SOFTCAP | logit softcap | 15 | 10 12 15 20 30""".splitlines()
    )
}
HYPER = [k for k in KNOBS if k.endswith(("_LR", "DOWN_RATIO", "DECAY", "BETA1", "MOMENTUM"))]

HIDDEN = {"VE": "alt", "MLP": "4"}  # set only by the free-text ideas below
# memory change in GB | risky (likely to hurt a lot) | description | hidden knob it sets
IDEAS = [
    (float(f[0]), f[1] == "risky", f[2], dict([f[3].split("=")]) if len(f) > 3 else {})
    for f in (
        line.split(" | ")
        for line in """\
1.4 | - | SwiGLU MLP instead of ReLU² (hidden 8/3x)
0.3 | - | GeLU activation instead of ReLU²
0.4 | - | U-Net style skip connections (layer i -> depth-1-i)
3.2 | - | value embeddings on every layer instead of alternating | VE=all
-3.9 | risky | remove value embeddings | VE=none
-1.1 | risky | parallel attention + MLP blocks
0.1 | - | QK-norm with learnable per-head scale
-2.0 | - | MLP hidden 4x -> 3x | MLP=3
0.6 | - | sigmoid output gate per attention head
2.3 | risky | dropout 0.1 in MLP
0.0 | - | z-loss 1e-4 on logits
0.0 | risky | label smoothing 0.1
1.8 | - | attention dropout=0.05
0.0 | - | zero-init attn out proj and MLP c_proj
0.0 | - | lm_head init std 0.001 -> 0.002
0.0 | - | embedding init std 1.0 -> 0.5
0.0 | - | transformer init scale 0.8x
0.0 | - | orthogonal init for QKV
0.0 | - | x0_lambda init 0.1 -> 0.05
0.0 | risky | shuffle buffer 10x smaller (faster loader)
0.2 | - | BOS-aligned packing, no attention across documents
0.0 | - | drop documents shorter than 32 tokens
0.0 | - | Muon without Nesterov
0.0 | - | Muon momentum warmup 300 -> 150 steps
0.1 | - | gradient clipping max_norm=1.0
0.0 | - | cosine warmdown instead of linear
0.0 | - | weight decay follows LR schedule
0.0 | risky | remove logit softcap
-0.2 | risky | remove x0 residual mixing
0.0 | risky | remove cautious weight decay mask
0.4 | risky | remove rotary, learned absolute positions
0.0 | - | simplify: fixed resid_lambdas = 1.0""".splitlines()
    )
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


def model(v: dict[str, str]) -> dict:
    """Sizes, FLOPs per token, peak VRAM (MB) and steps in 5 minutes for knob values v."""
    depth, hd = int(v["DEPTH"]), int(v["HEAD_DIM"])
    n = -(-depth * int(v["ASPECT_RATIO"]) // hd) * hd
    heads = n // hd
    kv = max(1, heads * int(v["N_KV_HEAD"]) // 4)
    ve = {"alt": depth // 2, "all": depth, "none": 0}[v["VE"]]
    mats = depth * ((2 + 2 * int(v["MLP"])) * n * n + 2 * n * kv * hd) + ve * 32 * kv
    pat = (v["WINDOW_PATTERN"] * depth)[: depth - 1] + "L"
    raw = 6 * mats + 12 * n * sum(SEQ // 2 if c == "S" else SEQ for c in pat)
    flops = BASE_FLOPS * raw / (6 * 25166336 + 12 * 512 * 10240)
    batch = 2 ** int(v["TOTAL_BATCH_SIZE"][3:])
    sizes = [VOCAB * n, ve * VOCAB * kv * hd, VOCAB * n, mats, 2 * depth]
    return dict(
        depth=depth,
        n_embd=n,
        n_head=heads,
        n_kv_head=kv,
        flops=flops,
        batch=batch,
        params=dict(zip(PARAM_NAMES, sizes, strict=True)),
        vram=BASE_VRAM_MB * depth * n * (0.9 + 0.1 * kv / heads) / 4096,
        steps=BASE_STEPS * BASE_FLOPS / flops * 2**19 / batch,
    )


class Sim:
    def __init__(self, seed: int, n: int) -> None:
        self.rng, self.seed, self.n = random.Random(seed), seed, n
        self.knobs = {**HIDDEN, **{k: start for k, (_, _, start) in KNOBS.items()}}
        self.extra = 0.0  # GB added by kept free-text ideas
        self.head = {"true": BASELINE, "effect": 0.0, "commit": ""}
        self.best = math.inf  # best observed val_bpb so far: the agent's bar
        self.rows: list[dict] = []
        self.tried: set[tuple[str, str]] = set()  # knob settings tried since the last keep
        self.ideas, self.crashes = list(IDEAS), list(CRASHES)
        self.hashes: set[str] = set()
        self.done: set[str] = set()  # replicate groups already made

    def commit(self) -> str:
        """A 7-hex short hash, unique within the run, fixed by the seed."""
        k, h = len(self.hashes), ""
        while not h or h in self.hashes:
            h = hashlib.sha1(f"autolab:{self.seed}:{k}".encode()).hexdigest()[:7]
            k += 1
        self.hashes.add(h)
        return h

    def mem(self, knobs: dict[str, str], extra: float) -> float:
        return round(model(knobs)["vram"] / 1024 + extra, 1)

    def add(self, commit: str, true, effect, status: str, desc: str, mem: float) -> dict:
        """Append one run; status "" means apply the greedy rule to the observed value."""
        obs = None if status == "crash" else round(true + self.rng.gauss(0.0, NOISE_SD), 6)
        status = status or ("keep" if obs < self.best else "discard")
        row = dict(
            commit=commit, obs=obs, mem=mem, status=status, desc=desc, true=true, effect=effect
        )
        self.rows.append(row)
        return row

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
            pretty = {"2**19": "524K", "2**20": "1M"}
            return f"{label} {pretty.get(old, old)} to {pretty.get(new, new)}"
        verb = "increase" if vals.index(new) > vals.index(old) else "decrease"
        return f"{verb} {name.lower()} to {new}"

    def propose(self, kind: str) -> tuple[str, dict[str, str], float]:
        """(description, knob changes, memory change in GB) of the next idea."""
        risky, r = [i for i in self.ideas if i[1]], self.rng.random()
        if kind == "bad" and risky and self.rng.random() < 0.7:
            pick = self.rng.choice(risky)
        elif r < 0.45 and self.ideas:
            pick = self.rng.choice(self.ideas)
        else:
            moves = [m for m in [self.knob_move(list(KNOBS))] if m]
            if r > 0.93 and moves:  # multi-change
                moves += [m for m in [self.knob_move([k for k in HYPER if k != moves[0][0]])] if m]
            desc = " + ".join(self.knob_text(*m) for m in moves)
            return desc, {m[0]: m[2] for m in moves}, 0.0
        self.ideas.remove(pick)
        return pick[2], pick[3], pick[0]

    def draw_effect(self) -> tuple[float, str]:
        u, frac = self.rng.random(), len(self.rows) / self.n
        if u < 0.18:  # the easy wins are taken first
            return -(0.0005 + 0.0035 * (1 - 0.6 * frac) * self.rng.betavariate(1, 2.5)), "help"
        if u < 0.55:
            return 0.0, "null"
        if u < 0.90:
            return self.rng.uniform(0.0002, 0.002), "hurt"
        return self.rng.uniform(0.003, 0.012), "bad"

    def adopt(self, row: dict, knobs: dict[str, str], extra: float) -> None:
        self.head = {"true": row["true"], "effect": row["effect"], "commit": row["commit"]}
        row["adopted"], self.best = True, row["obs"]
        self.knobs, self.extra, self.tried = knobs, extra, set()

    def rerun_head(self, desc: str) -> None:
        h, mem = self.head, self.mem(self.knobs, self.extra)
        row = self.add(h["commit"], h["true"], h["effect"], "keep", desc, mem)
        self.best = min(self.best, row["obs"])

    def experiment(self) -> None:
        eff, kind = self.draw_effect()
        desc, changes, dmem = self.propose(kind)
        knobs, extra = {**self.knobs, **changes}, self.extra + dmem
        if any(k in ARCH for k in changes):  # 5-minute budget: compute moves cost steps or capacity
            new, old = model(knobs), model(self.knobs)
            cost = 0.02 * abs(math.log(new["flops"] / old["flops"]))
            cost += 0.005 * abs(math.log(new["batch"] / old["batch"]))
            eff += cost * self.rng.uniform(0.5, 1.5)
        c, mem, last = self.commit(), self.mem(knobs, extra), len(self.rows) + 1 >= self.n
        row = self.add(c, self.head["true"] + eff, eff, "", desc, mem)
        self.tried.update(changes.items())
        gap = row["obs"] - self.best
        if row["status"] == "keep":
            self.adopt(row, knobs, extra)
            if gap < -0.0015 and len(self.rows) > 10 and not last and "confirm" not in self.done:
                self.done.add("confirm")
                self.rerun_head(f"re-run of {c} to confirm")
        elif gap > 0.004 and self.rng.random() < 0.6:
            row["desc"] += " (much worse)"
        elif gap < 0.0003 and len(self.rows) > self.n // 4 and not last and "near" not in self.done:
            self.done.add("near")
            again = self.add(c, row["true"], eff, "", f"re-run of {c} (within noise of best)", mem)
            if again["status"] == "keep":
                self.adopt(again, knobs, extra)
        elif gap < 0.0004 and self.rng.random() < 0.3:
            row["desc"] += " (flat)"

    def run(self) -> None:
        c, mem = self.commit(), self.mem(self.knobs, 0.0)
        self.head["commit"] = c
        for d in ("baseline", "re-run baseline to measure noise", "re-run baseline (3 of 3)"):
            self.best = min(self.best, self.add(c, BASELINE, 0.0, "keep", d, mem)["obs"])
        while len(self.rows) < self.n:
            late = len(self.rows) > 0.65 * self.n and len(self.rows) + 2 <= self.n
            if late and "remeasure" not in self.done:
                self.done.add("remeasure")
                for k in (2, 3):
                    self.rerun_head(
                        f"re-run best ({self.head['commit']}) to re-measure noise, {k}/3"
                    )
            elif len(CRASHES) - len(self.crashes) < 0.075 * self.n and self.rng.random() < 0.07:
                desc = self.crashes.pop(self.rng.randrange(len(self.crashes)))(self.knobs)
                self.add(self.commit(), None, None, "crash", desc, 0.0)
            else:
                self.experiment()

    def candidate(self) -> dict:
        """The next experiment: a one-knob tweak whose result edges past the best so far.

        Ideas are drawn as in the history until one observes in [best - 0.0009, best - 0.0001], so
        its true effect is a draw from the effects that give such a result: what a judge faces.
        """
        name, old, new = self.knob_move(HYPER) or self.knob_move(list(KNOBS)) or ("", "", "")
        for _ in range(1_000_000):
            eff = self.draw_effect()[0]
            obs = round(self.head["true"] + eff + self.rng.gauss(0.0, NOISE_SD), 6)
            if self.best - 0.0009 <= obs <= self.best - 0.0001:
                break
        true = self.head["true"] + eff
        knobs = {**self.knobs, name: new}
        return dict(
            commit=self.commit(),
            obs=obs,
            true=true,
            effect=eff,
            knobs=knobs,
            desc=self.knob_text(name, old, new),
        )


def run_log(rng: random.Random, cand: dict, extra_gb: float) -> str:
    v, m = cand["knobs"], model(cand["knobs"])
    total = sum(m["params"].values())
    cfg = (
        f"{{'sequence_len': {SEQ}, 'vocab_size': {VOCAB}, 'n_layer': {m['depth']}, "
        f"'n_head': {m['n_head']}, 'n_kv_head': {m['n_kv_head']}, 'n_embd': {m['n_embd']}, "
        f"'window_pattern': '{v['WINDOW_PATTERN']}'}}"
    )
    head = [f"Vocab size: {VOCAB:,}", f"Model config: {cfg}", "Parameter counts:"]
    head += [f"  {k:<24}: {x:,}" for k, x in [*m["params"].items(), ("total", total)]]
    lr_scale = f"1/sqrt({m['n_embd']}/768) = {(m['n_embd'] / 768) ** -0.5:.6f}"
    head += [f"Estimated FLOPs per token: {m['flops']:e}", f"Scaling AdamW LRs by {lr_scale}"]
    head += ["Time budget: 300s", f"Gradient accumulation steps: {m['batch'] // DEVICE_TOKENS}"]
    dt0 = 300000 / (m["steps"] * rng.uniform(0.98, 1.02) - 11)
    wd, final, warm = (float(v[k]) for k in ("WARMDOWN_RATIO", "FINAL_LR_FRAC", "WARMUP_RATIO"))
    end = 2.81 * cand["obs"]  # smoothed train loss (nats) that goes with this val_bpb
    lines, elapsed, step, mfus = [], 0.0, 0, []
    while step <= 11 or elapsed < 300:
        dt = rng.uniform(21000, 24000) if step == 0 else dt0 * (0.99 + abs(rng.gauss(0, 0.02)))
        prog = min(elapsed / 300, 1.0)
        lrm = prog / warm if prog < warm else 1.0
        if prog > 1 - wd:
            lrm = (1 - prog) / wd + (1 - (1 - prog) / wd) * final
        loss = end + 0.45 * max(0.0, 1 - step / m["steps"]) ** 1.5
        loss += (9.01 - end - 0.45) * math.exp(-step / 30) + rng.gauss(0, 0.005)
        tps = int(m["batch"] / (dt / 1000))
        mfu = 100 * m["flops"] * tps / PEAK_FLOPS
        lines.append(
            f"\rstep {step:05d} ({100 * prog:.1f}%) | loss: {loss:.6f} | lrm: {lrm:.2f} | "
            f"dt: {dt:.0f}ms | tok/sec: {tps:,} | mfu: {mfu:.1f}% | epoch: 1 | "
            f"remaining: {max(0.0, 300 - elapsed):.0f}s    "
        )
        if step > 10:
            elapsed += dt / 1000
            mfus.append(mfu)
        step += 1
    summary = {
        "val_bpb": f"{cand['obs']:.6f}",
        "training_seconds": f"{elapsed:.1f}",
        "total_seconds": f"{elapsed + rng.uniform(24, 46):.1f}",
        "peak_vram_mb": f"{m['vram'] + extra_gb * 1024:.1f}",
        "mfu_percent": f"{sum(mfus) / len(mfus):.2f}",
        "total_tokens_M": f"{step * m['batch'] / 1e6:.1f}",
        "num_steps": str(step),
        "num_params_M": f"{total / 1e6:.1f}",
        "depth": str(m["depth"]),
    }
    tail = "".join(f"{k + ':':<18}{x}\n" for k, x in summary.items())
    return "\n".join(head) + "\n" + "".join(lines) + "\n---\n" + tail


def summarize(sim: Sim, cand: dict) -> str:
    rows = sim.rows
    st = {s: sum(r["status"] == s for r in rows) for s in ("keep", "discard", "crash")}
    commits = [r["commit"] for r in rows]
    groups = sum(commits.count(c) > 1 for c in set(commits))
    noise = sum(bool(r.get("adopted")) and r["effect"] >= 0 for r in rows)
    ok = [r for r in rows if r["obs"] is not None]
    best = min(ok, key=lambda r: r["obs"])
    return (
        f"rows {len(rows)}: keep {st['keep']}, discard {st['discard']}, crash {st['crash']}; "
        f"replicate groups {groups}; greedy keeps with true effect >= 0 (noise): {noise}\n"
        f"best observed {best['obs']:.6f} ({best['commit']}, true {best['true']:.6f}); "
        f"final HEAD true {sim.head['true']:.6f}; "
        f"best true tried {min(r['true'] for r in ok):.6f}\n"
        f"run.log candidate {cand['commit']} '{cand['desc']}': observed {cand['obs']:.6f}, "
        f"true {cand['true']:.6f} (effect {cand['effect']:+.6f})"
    )


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
    if args.truth:
        fmt = lambda x: "nan" if x is None else f"{x:.6f}"  # noqa: E731
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
    print(summarize(sim, cand), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
