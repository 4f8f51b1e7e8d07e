"""The change classifier on hand-labelled sets: accuracy per category, tag recall/precision.

    uv run python benchmarks/classifier_heldout.py [--set held-out|tuning10|tuning9|tuning8|
        tuning7|tuning6|tuning5|tuning4|nn-rows2|tuning3|nn-rows|tuning2|tuning] [--errors]
    uv run python benchmarks/classifier_heldout.py --agreement

Labelled sets of real descriptions that tests/fixtures/steer_labels.tsv does not hold (see
tests/shared/test_classify_heldout.py):

* held-out: tests/fixtures/steer_labels_heldout11.tsv, 84 rows from 5 files (rows no other
  set holds, random.Random(2121), drawn like heldout10: 15 from each of the two
  network-training files with such rows, then up to 18 from each other file, fewest
  labelled rows first, until 100; only five real files have five such rows left, so the
  draw ends at 84), labelled before the classifier was run on them, never used to change a
  rule or to train the fallback (every one of its files has other rows in the tuning sets);
* tuning10: tests/fixtures/steer_labels_heldout10.tsv, 102 rows from 6 files, the previous
  held-out set (78.4 %), since the tenth round used to change the rules and train the
  fallback;
* tuning9: tests/fixtures/steer_labels_heldout9.tsv, 102 rows from 6 files, the previous
  held-out set (80.4 %), since the ninth round used to change the rules and train the
  fallback;
* tuning8: tests/fixtures/steer_labels_heldout8.tsv, 99 rows from 7 files, the previous
  held-out set (78.8 %), since the eighth round used to change the rules and train the
  fallback;
* tuning7: tests/fixtures/steer_labels_heldout7.tsv, 101 rows from 9 files, the previous
  held-out set (86.1 %), since the seventh round used to change the rules and train the
  fallback;
* tuning6: tests/fixtures/steer_labels_heldout6.tsv, 121 rows from 11 files, the previous
  held-out set (74.4 %; 77.7 % on its four corrected labels), since the sixth round used to
  change the rules and train the fallback;
* tuning5: tests/fixtures/steer_labels_heldout5.tsv, 153 rows from 14 files, the previous
  held-out set (measured at 70.6 %, then 75.8 % after the round that tuned on tuning4 and
  nn-rows2), since then used to change the rules and train the fallback;
* tuning4: tests/fixtures/steer_labels_heldout4.tsv, 155 rows from 21 files, the previous
  held-out set (measured at 71.6 %), then used to change the rules and train the fallback;
* nn-rows2: tests/fixtures/steer_labels_heldout_nn2.tsv, 60 network-training rows, the
  previous network-training held-out set (73.3 %), then tuned on the same way;
* tuning3: tests/fixtures/steer_labels_heldout3.tsv, 158 rows from 11 files, measured once
  (54.4 %), then used to change the rules and train the fallback;
* nn-rows: tests/fixtures/steer_labels_heldout_nn.tsv, 77 network-training rows that no
  other set holds, measured once (71.4 %), then used to train the fallback;
* tuning2: tests/fixtures/steer_labels_heldout2.tsv, 150 rows from 8 files, measured once
  (39.3 %), then used to change the rules;
* tuning: tests/fixtures/steer_labels_heldout.tsv, 366 rows from 9 files (its `split`
  column is the earlier dev/held-out split; both parts were read while tuning).

For the chosen set and those after it in the order held-out, tuning10, tuning9, tuning8, tuning7,
tuning6, tuning5, tuning4, nn-rows2, tuning3, nn-rows, tuning2, tuning (the default is held-out,
so all thirteen;
tuning alone with --set tuning) it prints:

* overall accuracy, then per true category: rows, right, recall, and the precision of the
  classifier's calls of that category; accuracy per file;
* recall and precision of the `multi_change` and `simplification` tags;
* how many rows the learned fallback named (benchmarks/train_fallback.py) and how many of
  those it got right;
* the accuracy when each file is read as a history (`Classifier.read_history`: items of a
  list that an earlier kept row set the same way are its base), when --data is present;
* the accuracy on tests/fixtures/steer_labels.tsv (the older set) for comparison;
* with --errors, the rows it gets wrong (for the held-out set, look only once the rules are
  final: that is what keeps it held out).

--agreement prints instead how far heldout6's committed labels and a second, blind labelling
of the same rows (steer_labels_heldout6_blind.tsv) agree, and the classifier on each
(benchmarks/label_agreement.py).
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter
from pathlib import Path

from label_agreement import report as agreement_report

from autolab_shared.parsing.results import read_results
from autolab_shared.parsing.status import KEEP
from autolab_shared.steering.classify import LEARNED, Classifier

ROOT = Path(__file__).resolve().parents[1]
HELD_OUT = ROOT / "tests" / "fixtures" / "steer_labels_heldout11.tsv"
TUNING10 = ROOT / "tests" / "fixtures" / "steer_labels_heldout10.tsv"
TUNING9 = ROOT / "tests" / "fixtures" / "steer_labels_heldout9.tsv"
TUNING8 = ROOT / "tests" / "fixtures" / "steer_labels_heldout8.tsv"
TUNING7 = ROOT / "tests" / "fixtures" / "steer_labels_heldout7.tsv"
TUNING6 = ROOT / "tests" / "fixtures" / "steer_labels_heldout6.tsv"
TUNING6_BLIND = ROOT / "tests" / "fixtures" / "steer_labels_heldout6_blind.tsv"
TUNING5 = ROOT / "tests" / "fixtures" / "steer_labels_heldout5.tsv"
TUNING4 = ROOT / "tests" / "fixtures" / "steer_labels_heldout4.tsv"
NN_ROWS2 = ROOT / "tests" / "fixtures" / "steer_labels_heldout_nn2.tsv"
TUNING3 = ROOT / "tests" / "fixtures" / "steer_labels_heldout3.tsv"
NN_ROWS = ROOT / "tests" / "fixtures" / "steer_labels_heldout_nn.tsv"
TUNING = ROOT / "tests" / "fixtures" / "steer_labels_heldout.tsv"
TUNING2 = ROOT / "tests" / "fixtures" / "steer_labels_heldout2.tsv"
OLD_FIXTURE = ROOT / "tests" / "fixtures" / "steer_labels.tsv"
TAGS = ("multi_change", "simplification")


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def per_category(rows: list[dict[str, str]], got: list[str]) -> None:
    truth = Counter(r["category"] for r in rows)
    right = Counter(r["category"] for r, g in zip(rows, got, strict=True) if g == r["category"])
    called = Counter(got)
    total = sum(right.values())
    print(f"accuracy {total}/{len(rows)} = {total / len(rows):.1%}")
    print(f"  {'category':<15} {'rows':>4} {'right':>5} {'recall':>7} {'precision':>9}")
    for name, n in sorted(truth.items(), key=lambda kv: (-kv[1], kv[0])):
        precision = right[name] / called[name] if called[name] else float("nan")
        print(f"  {name:<15} {n:>4} {right[name]:>5} {right[name] / n:>7.0%} {precision:>9.0%}")


def per_file(rows: list[dict[str, str]], got: list[str]) -> None:
    files = Counter(r["file"] for r in rows)
    right = Counter(r["file"] for r, g in zip(rows, got, strict=True) if g == r["category"])
    print(f"  {'file':<60} {'right':>9}")
    for name, n in sorted(files.items()):
        print(f"  {name[:60]:<60} {right[name]:>4}/{n:<4}")


def tag_scores(rows: list[dict[str, str]], tags: list[tuple[str, ...]]) -> None:
    print(f"  {'tag':<15} {'labelled':>8} {'tagged':>6} {'recall':>7} {'precision':>9}")
    for tag in TAGS:
        want = [tag in r["tags"].split(",") for r in rows]
        have = [tag in t for t in tags]
        if not any(want):
            print(f"  {tag:<15} (not labelled in this set)")
            continue
        hits = sum(w and h for w, h in zip(want, have, strict=True))
        recall = hits / max(sum(want), 1)
        precision = hits / max(sum(have), 1)
        print(f"  {tag:<15} {sum(want):>8} {sum(have):>6} {recall:>7.0%} {precision:>9.0%}")


def with_history(classifier: Classifier, rows: list[dict[str, str]], data: Path) -> None:
    """Accuracy when every file is read in order with `read_history`."""
    if not data.is_dir():
        print(f"{data} is absent: no history figure")
        return
    right = 0
    for name in sorted({r["file"] for r in rows}):
        experiments = read_results(data / name).experiments
        found = classifier.read_history(
            [e.description.strip() for e in experiments], [e.status == KEEP for e in experiments]
        )
        by_line = {e.line: f.category for e, f in zip(experiments, found, strict=True)}
        right += sum(by_line[int(r["line"])] == r["category"] for r in rows if r["file"] == name)
    print(f"read as histories: accuracy {right}/{len(rows)} = {right / len(rows):.1%}")


def report(path: Path, split: str, classifier: Classifier, args: argparse.Namespace) -> None:
    """Every figure for the rows of `path` in `split` ("all" for every row)."""
    rows = [r for r in read(path) if split in ("all", r["split"])]
    found = [classifier(r["description"]) for r in rows]
    files = len({r["file"] for r in rows})
    print(f"{path.name}, split {split}: {len(rows)} rows from {files} files")
    per_category(rows, [f.category for f in found])
    per_file(rows, [f.category for f in found])
    tag_scores(rows, [f.tags for f in found])
    learned = [(r, f) for r, f in zip(rows, found, strict=True) if f.on == LEARNED]
    right = sum(f.category == r["category"] for r, f in learned)
    print(f"learned fallback: named {len(learned)} rows no rule matched, {right} right")
    with_history(classifier, rows, args.data)
    if args.errors:
        print("wrong (label <- classifier):")
        for row, f in zip(rows, found, strict=True):
            if f.category != row["category"]:
                print(f"  {row['category']:>14} <- {f.category:<14} {row['description'][:100]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--set",
        choices=(
            "held-out",
            "tuning10",
            "tuning9",
            "tuning8",
            "tuning7",
            "tuning6",
            "tuning5",
            "tuning4",
            "nn-rows2",
            "tuning3",
            "nn-rows",
            "tuning2",
            "tuning",
        ),
        default="held-out",
        help="held-out is heldout11 (measure it once, when the rules are final); every other "
        "set is tuning data: tuning10 (heldout10), tuning9 (heldout9), tuning8 (heldout8), "
        "tuning7 (heldout7), "
        "tuning6 (heldout6), tuning5 (heldout5), tuning4 "
        "and nn-rows2 were held-out sets, measured once each and then used to change the rules",
    )
    parser.add_argument(
        "--split", choices=("held-out", "dev", "all"), default="all", help="of the tuning set"
    )
    parser.add_argument("--errors", action="store_true", help="list the rows it gets wrong")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "real")
    parser.add_argument(
        "--agreement",
        action="store_true",
        help="heldout6's committed labels against its blind second labelling, and the "
        "classifier on each",
    )
    args = parser.parse_args()
    classifier = Classifier()
    if args.agreement:
        agreement_report(read(TUNING6), read(TUNING6_BLIND), classifier)
        return
    order = {
        "held-out": HELD_OUT,
        "tuning10": TUNING10,
        "tuning9": TUNING9,
        "tuning8": TUNING8,
        "tuning7": TUNING7,
        "tuning6": TUNING6,
        "tuning5": TUNING5,
        "tuning4": TUNING4,
        "nn-rows2": NN_ROWS2,
        "tuning3": TUNING3,
        "nn-rows": NN_ROWS,
        "tuning2": TUNING2,
        "tuning": TUNING,
    }
    names = list(order)[list(order).index(args.set) :]
    errors = args.errors
    for name in names:  # --errors for the chosen set only
        args.errors = errors and name == args.set
        report(order[name], args.split if name == "tuning" else "all", classifier, args)
        print()
    old = read(OLD_FIXTURE)
    right = sum(classifier.category(r["description"]) == r["category"] for r in old)
    print(f"{OLD_FIXTURE.name}: {right}/{len(old)} = {right / len(old):.1%}")


if __name__ == "__main__":
    main()
