"""Accuracy, `other` share and speed of the autosteer change classifier.

    uv run python benchmarks/classifier_accuracy.py [--data ../shared/data/real] [-n 100000]

Prints:

* accuracy on tests/fixtures/steer_labels.tsv (hand-labelled real descriptions), overall and
  split into the files the rules were written against ("dev") and the files set aside while
  writing them ("held-out", HELD_OUT below), with the confusions (true -> predicted, count);
* the share of `other` over every description in the real GPT-pretraining files (those whose
  metric is a bpb) under --data, with the `other` rows themselves;
* the time to classify and to parse knobs of -n synthetic descriptions, all distinct (so the
  per-description cache never hits), and the same descriptions again (cache warm).
"""

from __future__ import annotations

import argparse
import csv
import random
import time
from collections import Counter
from pathlib import Path

from autolab_shared.parsing.results import read_results
from autolab_shared.steering.classify import Classifier
from autolab_shared.steering.knobs import parse_knobs

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "steer_labels.tsv"
HELD_OUT = frozenset(
    {
        "sagecodes__ai-build-and-learn__topics__autoresearch__local-llm-autoresearch__saved_runs__gemma-overnight.tsv",
        "sagecodes__ai-build-and-learn__topics__autoresearch__local-llm-autoresearch__saved_runs__gemma-with-history.tsv",
        "BobMolt__autoresearch-mlx__results.tsv",
        "miolini__autoresearch-macos__pull-3__results.tsv",
        "miolini__autoresearch-macos__pull-4__results.tsv",
        "Bervaso__autoresearch-macos__results.tsv",
        "blueberry-llm__autoresearch-windows__branch-autoresearch-mar21-topk2__results.tsv",
        "karpathy__autoresearch__pull-442__results_all.tsv",
        "karpathy__autoresearch__pull-158__results.tsv",
        "karpathy__autoresearch__pull-242__phase1__agent__results.tsv",
        "Abhaysharma53__test_autoresearch_folktales__results.tsv",
        "Hilo-Hilo__parameter-golf__records__track_non_record_16mb__2026-03-19_SwiGLU_WarmdownFix_QuarterBatch_1x5090__results.tsv",
        "Hilo-Hilo__parameter-golf__branch-research-continuous-mar18__results__results.tsv",
        "amrit110__autoresearch__experiments.tsv",
        "DDay-FG__autoresearch-mlx__results.tsv",
    }
)


def accuracy(classifier: Classifier) -> None:
    with FIXTURE.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    hits: Counter[tuple[str, bool]] = Counter()
    confusions: Counter[tuple[str, str]] = Counter()
    for row in rows:
        got = classifier(row["description"]).category
        split = "held-out" if row["file"] in HELD_OUT else "dev"
        hits[split, got == row["category"]] += 1
        if got != row["category"]:
            confusions[row["category"], got] += 1
    files = len({r["file"] for r in rows})
    print(f"fixture: {len(rows)} hand-labelled descriptions from {files} real files")
    for split in ("dev", "held-out"):
        right, wrong = hits[split, True], hits[split, False]
        print(f"  {split:<9} {right:>4}/{right + wrong:<4} = {right / max(right + wrong, 1):.1%}")
    right = sum(n for (_, ok), n in hits.items() if ok)
    print(f"  {'all':<9} {right:>4}/{len(rows):<4} = {right / len(rows):.1%}")
    print("confusions (true -> predicted: count):")
    for (true, got), n in confusions.most_common():
        print(f"  {true} -> {got}: {n}")
    per_true = Counter(r["category"] for r in rows)
    wrong_true = Counter()
    for (true, _), n in confusions.items():
        wrong_true[true] += n
    print(
        "recall per category: "
        + ", ".join(f"{c} {1 - wrong_true[c] / n:.0%} ({n})" for c, n in per_true.most_common())
    )


def other_share(classifier: Classifier, folder: Path) -> None:
    if not folder.is_dir():
        print(f"\n{folder} is absent: no `other` share")
        return
    total, others, files = 0, [], 0
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        history = read_results(path)
        if "bpb" not in history.metric:
            continue
        files += 1
        for exp in history.experiments:
            text = exp.description.strip() or (exp.get("experiment") or "").strip()
            if not text:
                continue
            total += 1
            if classifier(text).category == "other":
                others.append(f"{path.name[:40]}: {text[:90]}")
    share = len(others) / max(total, 1)
    print(f"\n`other` on the real GPT files ({files} files with a bpb metric, {total} rows):")
    print(f"  {len(others)} rows = {share:.1%}")
    for line in others[:25]:
        print(f"  {line}")


_TEMPLATES = (
    "{knob} {a} -> {b}",
    "{verb} {knob} from {a} to {b} to {reason}",
    "agent{i}: {knob}={b} ({reason})",
    "exp{i} {KNOB} {a}->{b} ({a} vs {b})",
    "{knob} {a} to {b} — val_bpb {a}->{b}, {reason}",
    "{verb} {knob} to {b} on {base}",
)
_KNOBS = (
    "matrix LR", "embedding LR", "unembedding LR", "scalar LR", "weight decay", "VE WD",
    "warmdown", "warmup ratio", "final LR frac", "total batch size", "device batch", "depth",
    "aspect ratio", "head dim", "n_kv_head", "softcap", "RoPE base", "MLP ratio", "init scale",
    "x0_lambda init", "adam beta2", "muon momentum", "ns_steps", "seq_len", "short window",
)  # fmt: skip
_REASONS = (
    "more steps in the budget", "too slow", "worse", "regressed", "marginal gain",
    "reduce overhead", "increase the number of optimizer updates", "new best",
)  # fmt: skip


def synthetic(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        knob = rng.choice(_KNOBS)
        out.append(
            rng.choice(_TEMPLATES).format(
                knob=knob,
                KNOB=knob.upper().replace(" ", "_"),
                i=i,
                a=f"{rng.random():.4f}",
                b=f"{rng.random():.4f}",
                verb=rng.choice(("raise", "lower", "reduce", "increase", "set")),
                reason=rng.choice(_REASONS),
                base=f"head{rng.choice((64, 128, 256))}",
            )
        )
    return out


def speed(n: int) -> None:
    texts = synthetic(n)
    distinct = len(set(texts))
    classifier = Classifier()
    start = time.perf_counter()
    for text in texts:
        classifier(text)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    for text in texts:
        classifier(text)
    warm = time.perf_counter() - start
    start = time.perf_counter()
    for text in texts:
        parse_knobs(text)
    knobs = time.perf_counter() - start
    print(f"\nspeed on {n} synthetic descriptions ({distinct} distinct):")
    print(f"  classify, cache cold: {cold:.2f} s ({cold / n * 1e6:.1f} µs each)")
    print(f"  classify, cache warm: {warm:.2f} s ({warm / n * 1e6:.2f} µs each)")
    print(f"  parse_knobs:          {knobs:.2f} s ({knobs / n * 1e6:.1f} µs each)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "real")
    parser.add_argument("-n", type=int, default=100_000, help="synthetic descriptions to time")
    args = parser.parse_args()
    classifier = Classifier()
    accuracy(classifier)
    other_share(classifier, args.data)
    speed(args.n)


if __name__ == "__main__":
    main()
