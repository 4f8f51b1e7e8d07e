"""Train the classifier's learned fallback on every tuning label fixture, and cross-validate it.

    uv run python benchmarks/train_fallback.py [--write] [--threshold P]

Rows: tests/fixtures/steer_labels.tsv, steer_labels_heldout.tsv, _heldout2, _heldout3,
_heldout_nn, _heldout4, _heldout_nn2, _heldout5, _heldout6, _heldout7, _heldout8, _heldout9 and
_heldout10 (never steer_labels_heldout11.tsv, the held-out set). Prints
leave-one-file-out accuracy (each file's rows predicted by a model trained on the other files)
of the model alone, of the rules alone, and of the rules with the fallback on the rows no rule
matches at several thresholds; --write stores the model trained on all rows, with --threshold
(default 0.8), as shared/src/autolab_shared/data/fallback_nb.json.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from autolab_shared.steering.classify import NONE, Classifier
from autolab_shared.steering.fallback import from_stored, train
from autolab_shared.steering.taxonomy import OTHER

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
TUNING = (
    "steer_labels.tsv",
    "steer_labels_heldout.tsv",
    "steer_labels_heldout2.tsv",
    "steer_labels_heldout3.tsv",
    "steer_labels_heldout_nn.tsv",
    "steer_labels_heldout4.tsv",
    "steer_labels_heldout_nn2.tsv",
    "steer_labels_heldout5.tsv",
    "steer_labels_heldout6.tsv",
    "steer_labels_heldout7.tsv",
    "steer_labels_heldout8.tsv",
    "steer_labels_heldout9.tsv",
    "steer_labels_heldout10.tsv",
)
STORED = ROOT / "shared" / "src" / "autolab_shared" / "data" / "fallback_nb.json"
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)


def fixture_rows(name: str) -> list[dict[str, str]]:
    """The rows of one label fixture in tests/fixtures (file, description, category)."""
    with (FIXTURES / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def tuning_rows() -> list[dict[str, str]]:
    """Every row of the tuning fixtures, file by file."""
    return [row for name in TUNING for row in fixture_rows(name)]


def trained(rows: list[dict[str, str]], threshold: float) -> dict[str, object]:
    """The stored form of the model trained on ``rows`` (what --write stores)."""
    return train([(r["description"], r["category"]) for r in rows], threshold)


def cross_validate(rows: list[dict[str, str]]) -> None:
    """Leave-one-file-out accuracy of the model, the rules, and both at each threshold."""
    rules = Classifier(fallback=False)
    found = [rules(r["description"]) for r in rows]
    ruled = [f.category for f in found]
    unmatched = [f.on == NONE for f in found]  # the rows the fallback is asked about
    guesses: list[tuple[str, float]] = [("", 0.0)] * len(rows)
    for name in sorted({r["file"] for r in rows}):
        rest = [(r["description"], r["category"]) for r in rows if r["file"] != name]
        model = from_stored(train(rest, threshold=0.0))
        for i, row in enumerate(rows):
            if row["file"] == name:
                guesses[i] = (model.posterior(row["description"]) or [("", 0.0)])[0]
    n = len(rows)
    truth = [r["category"] for r in rows]
    alone = sum(g[0] == t for g, t in zip(guesses, truth, strict=True))
    print(f"{n} rows from {len({r['file'] for r in rows})} files, leave one file out")
    print(f"  model alone {alone / n:.1%}; rules alone {_acc(ruled, truth):.1%}")
    others = [i for i, u in enumerate(unmatched) if u]
    other = sum(truth[i] == OTHER for i in others)
    print(f"  {len(others)} rows no rule matches, {other} of them labelled other")
    for threshold in THRESHOLDS:
        used = [u and guesses[i][1] >= threshold for i, u in enumerate(unmatched)]
        got = [
            guesses[i][0] if use else c for i, (c, use) in enumerate(zip(ruled, used, strict=True))
        ]
        right = sum(got[i] == truth[i] for i in others)
        print(
            f"  threshold {threshold:.2f}: rules + fallback {_acc(got, truth):.1%}; "
            f"of those rows {right} right, the fallback named {sum(used)}"
        )


def _acc(got: list[str], truth: list[str]) -> float:
    return sum(g == t for g, t in zip(got, truth, strict=True)) / len(truth)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"store the model as {STORED.name}")
    parser.add_argument("--threshold", type=float, default=0.8)
    args = parser.parse_args()
    rows = tuning_rows()
    cross_validate(rows)
    if args.write:
        stored = trained(rows, args.threshold)
        STORED.write_text(json.dumps(stored, ensure_ascii=False, separators=(",", ":")) + "\n")
        print(f"wrote {STORED} ({STORED.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
