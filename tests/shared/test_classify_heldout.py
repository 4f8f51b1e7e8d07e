"""The classifier on descriptions it was not written against, and in linear time on any text.

Hand-labelled sets of descriptions from real results files that steer_labels.tsv does not
use, each row with its file and line as provenance. Columns: file, line, description,
category, tags (comma-separated: multi_change, simplification) and split.

* tests/fixtures/steer_labels_heldout.tsv (366 rows, 9 files) is TUNING data. Its `split`
  column records an earlier split by file (random.Random(13)); the rows of its held-out part
  were read while they were labelled and the rules were later tuned on all of them.
* tests/fixtures/steer_labels_heldout2.tsv (150 rows, 8 files) is TUNING data too (TUNING2):
  it was drawn as a held-out set (the real .tsv files that neither set above uses and that
  hold at least 8 distinct descriptions in neither, shuffled with random.Random(2613), up to
  20 rows each, until 140 rows), labelled blind and measured once (39.3 %), and then used to
  change the rules.
* tests/fixtures/steer_labels_heldout3.tsv (158 rows, 11 files) is TUNING data too (TUNING3):
  the real .tsv and .csv files that no set above uses and that hold at least 8 distinct
  descriptions in none of them, shuffled with random.Random(1313) and taken in that order,
  up to 15 rows each (a seeded sample, first occurrence of a description), until 150 rows
  were reached. Labelled blind and measured once as the held-out set (54.4 %), then used to
  change the rules and to train the learned fallback. None of its files is language-model
  training. Only `multi_change` is labelled there and in TUNING2 and HELD_OUT4.
* tests/fixtures/steer_labels_heldout_nn.tsv (77 rows, 9 files) are NN_ROWS: network-training
  rows in no set above, drawn from the files of steer_labels.tsv and TUNING (all of them
  network training) that hold at least 5 such descriptions, shuffled with
  random.Random(1315), up to 10 rows each, until 80 rows (or the files ran out). Labelled
  and committed before the classifier was run on them and measured once (71.4 %); since
  then the learned fallback is trained on them too (no rule was changed for them).

* tests/fixtures/steer_labels_heldout4.tsv (155 rows, 21 files) is HELD_OUT4, TUNING data
  since heldout5 was drawn (it was the held-out set, measured at 71.6 %), drawn after
  every set above had been used to tune: the real .tsv and .csv files with at least 5
  descriptions in no set above, shuffled with random.Random(1414), then ordered by how many
  rows of those sets they hold (fewest first; ties keep the shuffled order), up to 8 rows
  each (a seeded sample), until 150 rows. Labelled by hand and committed before the
  classifier was run on them; since heldout5 was drawn, used to change rules and train the
  fallback.

* tests/fixtures/steer_labels_heldout_nn2.tsv (60 rows, 4 files) is NN_HELD_OUT, TUNING data
  since heldout5 was drawn (it was the network-training held-out set, 73.3 %), drawn after
  HELD_OUT4 because that draw is mostly other fields: the four network-training files
  (NN_FILES) that still hold rows no set holds, 15 rows of each sampled with one
  random.Random(1416) in that order. Labelled and committed before the classifier was run
  on them; tuned on since heldout5 was drawn.

* tests/fixtures/steer_labels_heldout5.tsv (153 rows, 14 files) is HELD_OUT5, TUNING data
  since heldout6 was drawn (it was the held-out set, measured at 70.6 %, and at 75.8 % after
  the round that tuned on HELD_OUT4 and NN_HELD_OUT), drawn after every set above: the real
  .tsv and .csv files with at least 5 one-line descriptions in no set above, shuffled with
  random.Random(1515), then ordered by how many rows of those sets they hold (fewest first),
  up to 12 rows each (a seeded sample), until 150 rows. Labelled by hand and committed
  before the classifier was run on them.

* tests/fixtures/steer_labels_heldout6.tsv (121 rows, 11 files) is HELD_OUT6, TUNING data
  since heldout7 was drawn (it was the held-out set, measured at 74.4 %), drawn after every
  set above: rows no set above holds (one-line descriptions, each once), from the real .tsv
  and .csv files with at least 5 of them; with one random.Random(1616), first 20 rows of each
  network-training file (NN_FILES) with such rows, then the other files shuffled and ordered
  by how many rows of those sets they hold (fewest first), up to 8 rows each, until 120 rows.
  Labelled by hand and committed before the classifier was run on them. Four of its labels
  were corrected after a blind second labelling (HELD_OUT6_BLIND) disagreed with them.

* tests/fixtures/steer_labels_heldout7.tsv (101 rows, 9 files) is HELD_OUT7, TUNING data
  since heldout8 was drawn (it was the held-out set, measured at 86.1 %), drawn the same way
  after every set above (HELD_OUT6 included) with one random.Random(1717): 15 rows of each
  network-training file with such rows, then the other files fewest first, up to 10 rows
  each, until 100 rows (only nine real files have five such rows left). Labelled by hand and
  committed before any rule of the sixth round changed and before the classifier was run on
  them; since the seventh round used to change rules and train the fallback. Every one of
  its files has other rows in the tuning sets.

* tests/fixtures/steer_labels_heldout8.tsv (99 rows, 7 files) is HELD_OUT8, TUNING data since
  heldout9 was drawn (it was the held-out set, measured at 78.8 %), drawn the same way after
  every set above (HELD_OUT7 included) with one random.Random(1818): 15 rows of each
  network-training file with such rows (Fchaubard, wendlerc), then the other files fewest
  first, up to 15 rows each, until 100 rows (only seven real files have five such rows left;
  the draw ends at 99). Labelled by hand by reading each row and its file, and committed
  before any rule of the seventh round changed and before the classifier was run on them;
  since the eighth round used to change rules and train the fallback.

* tests/fixtures/steer_labels_heldout9.tsv (102 rows, 6 files) is HELD_OUT9, TUNING data since
  heldout10 was drawn (it was the held-out set, measured at 80.4 %), drawn the same way after
  every set above (HELD_OUT8 included) with one random.Random(1919): 15 rows of each
  network-training file with such rows (Fchaubard, wendlerc), then the other files fewest
  first, up to 18 rows each, until 100 rows (only six real files have five such rows left, so
  at 15 a file the draw would end at 90; the fourth file's 18 take it to 102). Labelled by
  hand by reading each row and its file, and committed alone before any rule of the eighth
  round changed and before the classifier was run on them; since the ninth round used to
  change rules and train the fallback.

* tests/fixtures/steer_labels_heldout10.tsv (102 rows, 6 files) is HELD_OUT10, TUNING data
  since heldout11 was drawn (it was the held-out set, measured at 78.4 %), drawn the same way
  after every set above (HELD_OUT9 included) with one random.Random(2020): 15 rows of each
  network-training file with such rows (Fchaubard, wendlerc), then up to 18 rows of each other
  file, fewest labelled first, until 100 rows (the same six files; the fourth file's 18 take it
  to 102). Labelled by hand by reading each row and its file, and committed alone (ef416dc)
  before any rule of the ninth round changed and before the classifier was run on them; since
  the tenth round used to change rules and train the fallback.

* tests/fixtures/steer_labels_heldout11.tsv (84 rows, 5 files) is HELD_OUT11, drawn the same
  way after every set above (HELD_OUT10 included) with one random.Random(2121): 15 rows of each
  network-training file with such rows (Fchaubard, wendlerc), then up to 18 rows of each other
  file, fewest labelled first, until 100 rows (only five real files have five such rows left,
  so the draw ends at 84). Labelled by hand by reading each row and its file, and committed
  alone (b085edf) before any rule of the tenth round changed and before the classifier was run
  on them; the HELD-OUT set, never used to change a rule or train the fallback. Every one of
  its files has other rows in the tuning sets.

Labelling conventions are those of steer_labels.tsv plus, for lists of settings
(docs/classifier.md):

* `multi_change` when the change part names two or more separate settings or changes
  ("A + B", "X=1 Y=2", "LR 3e-3 and warmdown 0.3"), a base named beside the change included;
  a configuration a baseline merely describes (or a record of the configuration a sweep
  row ran), details in parentheses and derived values ("N_HEADS=6 (d_head=64)") do not count;
* the category of a list is its main change: a model-size or batch change with its LR or
  schedule retuned is that change; a list with no dominant change is `combination`; re-runs
  of a listed configuration are `baseline`;
* outside language-model training (TUNING2 and TUNING3): a switch of model family (Ridge,
  XGBoost, an ensemble, an OCR model) is `architecture`, trees/leaves/depth of a tree model
  `model_scale`, features, feature selection (top_k of a pool), sampling (SMOTE), outlier
  removal, input preprocessing and training windows `data`, regularisation strengths (alpha,
  min_leaf, subsample, gamma) `regularization`, inference and runtime settings (threads,
  batch, KV type, context, caches, prefetching, speculative decoding, dtype fixes)
  `efficiency`, trading rules, prompt changes, software features and result notes without
  a change `other`; a re-run after a dependency install is `baseline`;
* a row that records the whole configuration a sweep ran (every row of the file lists the
  same settings) is not `multi_change`.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lineartime import linear_enough
from support import REPO_ROOT, load_script

from autolab_shared.parsing.columns import DESCRIPTION_NAMES
from autolab_shared.parsing.results import read_results
from autolab_shared.steering.classify import Classifier, change_part, strip_labels
from autolab_shared.steering.listing import change_items

TUNING = REPO_ROOT / "tests" / "fixtures" / "steer_labels_heldout.tsv"
TUNING2 = REPO_ROOT / "tests" / "fixtures" / "steer_labels_heldout2.tsv"
TUNING3 = REPO_ROOT / "tests" / "fixtures" / "steer_labels_heldout3.tsv"
NN_ROWS = REPO_ROOT / "tests" / "fixtures" / "steer_labels_heldout_nn.tsv"
OLD_FIXTURE = REPO_ROOT / "tests" / "fixtures" / "steer_labels.tsv"
HELD_OUT4 = REPO_ROOT / "tests" / "fixtures" / "steer_labels_heldout4.tsv"
NN_HELD_OUT = REPO_ROOT / "tests" / "fixtures" / "steer_labels_heldout_nn2.tsv"
HELD_OUT5 = REPO_ROOT / "tests" / "fixtures" / "steer_labels_heldout5.tsv"
HELD_OUT6 = REPO_ROOT / "tests" / "fixtures" / "steer_labels_heldout6.tsv"
HELD_OUT7 = REPO_ROOT / "tests" / "fixtures" / "steer_labels_heldout7.tsv"
HELD_OUT8 = REPO_ROOT / "tests" / "fixtures" / "steer_labels_heldout8.tsv"
HELD_OUT9 = REPO_ROOT / "tests" / "fixtures" / "steer_labels_heldout9.tsv"
HELD_OUT10 = REPO_ROOT / "tests" / "fixtures" / "steer_labels_heldout10.tsv"
HELD_OUT11 = REPO_ROOT / "tests" / "fixtures" / "steer_labels_heldout11.tsv"
# A second labelling of HELD_OUT6's rows, made from a copy without its label columns (split
# `blind`; `seen` for the Fchaubard rows, whose committed labels were seen by mistake first).
HELD_OUT6_BLIND = REPO_ROOT / "tests" / "fixtures" / "steer_labels_heldout6_blind.tsv"
NN_FILES = (
    "Fchaubard__zero_order_diffusion_autoresearcher__branch-autoresearch-mar17__results.tsv",
    "Hilo-Hilo__parameter-golf__branch-research-continuous-mar18__results__results.tsv",
    "karpathy__autoresearch__pull-442__results_all.tsv",
    "wendlerc__autoresearch-wm__results__results_valloss_era.tsv",
)
TUNING_SETS = (OLD_FIXTURE, TUNING, TUNING2, TUNING3, NN_ROWS)
REAL = REPO_ROOT.parent / "shared" / "data" / "real"
# Floors just under what is reached (accuracy, multi_change recall, precision; figures from
# benchmarks/classifier_heldout.py after the tenth round, s-lab10: tuning 85.2 %, 0.94, 0.94;
# tuning2 81.3 %, 0.80, 0.91; tuning3 91.1 %, 0.80, 0.88; nn-rows 80.5 %, 0.90, 0.96;
# tuning4 85.8 %, 0.86, 0.86; nn-rows2 88.3 %, 0.83, 0.94; tuning5 88.9 %, 0.71, 0.92;
# tuning6 86.0 %, 0.85, 0.97; tuning7 92.1 %, 0.82, 0.93; tuning8 87.9 %, 1.00, 1.00;
# tuning9 86.3 %, 0.85, 0.96; tuning10 86.3 %, 0.96, 0.84; held-out (heldout11) 79.8 %, 0.89,
# 0.89, measured once when the rules were final; main's classifier before the round: the same
# 79.8 %, 0.89, 0.89). The issue's targets are TARGET_*, which test_issue_targets_on_held_out
# records as unmet.
FLOORS = {
    "tuning": (0.83, 0.90, 0.90),
    "tuning2": (0.80, 0.77, 0.83),
    "tuning3": (0.89, 0.77, 0.85),
    "nn-rows": (0.78, 0.83, 0.90),
    "tuning4": (0.82, 0.82, 0.80),
    "nn-rows2": (0.85, 0.75, 0.90),
    "tuning5": (0.85, 0.65, 0.85),
    "tuning6": (0.84, 0.80, 0.90),
    "tuning7": (0.91, 0.78, 0.85),
    "tuning8": (0.86, 0.95, 0.95),
    "tuning9": (0.85, 0.82, 0.92),
    "tuning10": (0.85, 0.92, 0.80),
    "held-out": (0.78, 0.84, 0.84),
}
SETS = {
    "tuning": TUNING,
    "tuning2": TUNING2,
    "tuning3": TUNING3,
    "nn-rows": NN_ROWS,
    "tuning4": HELD_OUT4,
    "nn-rows2": NN_HELD_OUT,
    "tuning5": HELD_OUT5,
    "tuning6": HELD_OUT6,
    "tuning7": HELD_OUT7,
    "tuning8": HELD_OUT8,
    "tuning9": HELD_OUT9,
    "tuning10": HELD_OUT10,
    "held-out": HELD_OUT11,
}
TARGET_ACCURACY, TARGET_MULTI = 0.95, 0.80


def _rows(path: object = TUNING3) -> list[dict[str, str]]:
    with open(str(path), encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def _scores(name: str) -> tuple[float, float, float]:
    """Accuracy, multi_change recall and precision of the built-in classifier on a set."""
    classifier = Classifier()
    rows = _rows(SETS[name])
    right, counts = 0, Counter[str]()
    for row in rows:
        found = classifier(row["description"])
        right += found.category == row["category"]
        want, got = "multi_change" in row["tags"].split(","), "multi_change" in found.tags
        counts["tp" if want and got else "fn" if want else "fp" if got else "tn"] += 1
    recall = counts["tp"] / max(counts["tp"] + counts["fn"], 1)
    precision = counts["tp"] / max(counts["tp"] + counts["fp"], 1)
    return right / len(rows), recall, precision


def _check_rows(rows: list[dict[str, str]]) -> None:
    for row in rows:
        assert row["line"].isdigit() and row["description"].strip()
        assert set(filter(None, row["tags"].split(","))) <= {"multi_change", "simplification"}


def test_tuning_set_is_new_labelled_and_split_by_file() -> None:
    rows = _rows(TUNING)
    assert len(rows) >= 150
    old = _rows(OLD_FIXTURE)
    assert not {r["description"] for r in old} & {r["description"] for r in rows}
    assert not {r["file"] for r in old} & {r["file"] for r in rows}
    split_of = {(r["file"], r["split"]) for r in rows}
    assert len(split_of) == len({r["file"] for r in rows})  # one split per file
    _check_rows(rows)


@pytest.mark.parametrize(
    ("path", "others"),
    [(TUNING2, (TUNING, OLD_FIXTURE)), (TUNING3, (TUNING, TUNING2, OLD_FIXTURE))],
    ids=["tuning2", "tuning3"],
)
def test_drawn_sets_use_files_no_earlier_set_uses(path: object, others: tuple[object, ...]) -> None:
    rows = _rows(path)
    assert len(rows) >= 120 and {r["split"] for r in rows} == {"held-out"}
    earlier = [row for other in others for row in _rows(other)]
    assert not {r["file"] for r in earlier} & {r["file"] for r in rows}
    assert not {r["description"] for r in earlier} & {r["description"] for r in rows}
    assert len({r["description"] for r in rows}) == len(rows)
    assert len({r["file"] for r in rows}) >= 6
    assert max(Counter(r["file"] for r in rows).values()) <= 20
    assert sum("multi_change" in r["tags"] for r in rows) >= 20
    _check_rows(rows)


def _unused_rows(
    used: list[dict[str, str]], suffixes: tuple[str, ...], keep: Callable[[str], bool], least: int
) -> dict[str, list[tuple[int, str]]]:
    """(line, description) by real file (of `suffixes`, named as `keep` accepts, in name order)
    for descriptions in none of `used`, each once, where a file holds at least `least`."""
    seen = {r["description"].strip() for r in used}
    pool: dict[str, list[tuple[int, str]]] = {}
    for path in sorted(p for p in REAL.iterdir() if p.suffix in suffixes):
        if not keep(path.name):
            continue
        history = read_results(path)
        if not set(history.columns) & set(DESCRIPTION_NAMES):
            continue  # names only (`exp3_warmdown200`): every draw was made before they counted
        rows = []
        for e in history.experiments:
            if e.description.strip() and e.description.strip() not in seen:
                seen.add(e.description.strip())
                rows.append((e.line, e.description.strip()))
        if len(rows) >= least:
            pool[path.name] = rows
    return pool


def _sample(
    pool: dict[str, list[tuple[int, str]]],
    names: list[str],
    rng: random.Random,
    per_file: int,
    total: int,
) -> list[tuple[str, int]]:
    """Up to `per_file` rows of each file, in `names` order, until `total` (file, line) pairs."""
    drawn: list[tuple[str, int]] = []
    for name in names:
        sample = rng.sample(pool[name], min(per_file, len(pool[name])))
        drawn += [(name, line) for line, _ in sorted(sample)]
        if len(drawn) >= total:
            break
    return drawn


def _seeded_draw(
    used: list[dict[str, str]],
    seed: int,
    per_file: int,
    total: int,
    suffixes: tuple[str, ...] = (".tsv",),
    among: set[str] | None = None,
) -> list[tuple[str, int]]:
    """(file, line) of a seeded draw: the real files none of `used` comes from (or the files
    `among`) with at least 8 (5) descriptions in none of `used`, shuffled, up to `per_file`
    rows each until `total`."""
    files = {r["file"] for r in used}
    keep = (lambda name: name not in files) if among is None else (lambda name: name in among)
    pool = _unused_rows(used, suffixes, keep, 8 if among is None else 5)
    names = sorted(pool)
    rng = random.Random(seed)
    rng.shuffle(names)
    return _sample(pool, names, rng, per_file, total)


def test_drawn_rows_are_the_seeded_samples() -> None:
    """Both drawn sets are exactly what the seeded draws described in the docstring give."""
    if not REAL.is_dir():
        pytest.skip("../shared/data/real is absent")
    earlier = _rows(TUNING) + _rows(OLD_FIXTURE)
    drawn2 = _seeded_draw(earlier, 2613, 20, 140, (".tsv",))
    assert drawn2 == [(r["file"], int(r["line"])) for r in _rows(TUNING2)]
    drawn3 = _seeded_draw(earlier + _rows(TUNING2), 1313, 15, 150, (".tsv", ".csv"))
    assert drawn3 == [(r["file"], int(r["line"])) for r in _rows(TUNING3)]
    every = earlier + _rows(TUNING2) + _rows(TUNING3)
    drawn_nn = _seeded_draw(every, 1315, 10, 80, among={r["file"] for r in earlier})
    assert drawn_nn == [(r["file"], int(r["line"])) for r in _rows(NN_ROWS)]


def _fewest_first_draw(
    used: list[dict[str, str]], seed: int, per_file: int, total: int, one_line: bool = False
) -> list[tuple[str, int]]:
    """(file, line) of the HELD_OUT4 draw: real .tsv/.csv files with at least 5 descriptions
    in none of `used`, shuffled, then ordered by how many rows of `used` they hold (fewest
    first), up to `per_file` rows each until `total`. With `one_line`, descriptions with a
    tab or line break (a fixture row cannot hold them) are left out of the pool first."""
    in_sets = Counter(r["file"] for r in used)
    pool = _unused_rows(used, (".tsv", ".csv"), lambda _: True, 5)
    if one_line:
        pool = {
            name: [(line, d) for line, d in rows if "\t" not in d and "\n" not in d]
            for name, rows in pool.items()
        }
    names = sorted(pool)
    rng = random.Random(seed)
    rng.shuffle(names)
    names.sort(key=lambda name: in_sets[name])
    return _sample(pool, names, rng, per_file, total)


def _check_new_draw(rows: list[dict[str, str]], earlier: list[dict[str, str]]) -> None:
    """A held-out draw: new descriptions, each once, >= 150 rows, >= 20 multi_change; skip
    the redraw check when ../shared is absent."""
    assert not {r["description"] for r in earlier} & {r["description"] for r in rows}
    assert len(rows) >= 150 and len({r["description"] for r in rows}) == len(rows)
    assert {r["split"] for r in rows} == {"held-out"}
    assert sum("multi_change" in r["tags"] for r in rows) >= 20
    _check_rows(rows)
    if not REAL.is_dir():
        pytest.skip("../shared/data/real is absent")


def test_held_out4_is_the_seeded_fewest_first_draw() -> None:
    """HELD_OUT4 is exactly the draw its docstring describes, from rows no other set holds."""
    rows = _rows(HELD_OUT4)
    earlier = [row for path in TUNING_SETS for row in _rows(path)]
    _check_new_draw(rows, earlier)
    assert _fewest_first_draw(earlier, 1414, 8, 150) == [(r["file"], int(r["line"])) for r in rows]


def test_nn_held_out_is_the_seeded_draw_from_network_training_files() -> None:
    rows = _rows(NN_HELD_OUT)
    earlier = [row for path in (*TUNING_SETS, HELD_OUT4) for row in _rows(path)]
    assert not {r["description"] for r in earlier} & {r["description"] for r in rows}
    assert len(rows) == 60 and len({r["description"] for r in rows}) == len(rows)
    _check_rows(rows)
    if not REAL.is_dir():
        pytest.skip("../shared/data/real is absent")
    seen = {r["description"].strip() for r in earlier}
    rng, drawn = random.Random(1416), []
    for name in NN_FILES:
        pool = []
        for e in read_results(REAL / name).experiments:
            if e.description.strip() and e.description.strip() not in seen:
                seen.add(e.description.strip())
                pool.append(e.line)
        drawn += [(name, line) for line in sorted(rng.sample(pool, 15))]
    assert drawn == [(r["file"], int(r["line"])) for r in rows]


def test_held_out5_is_the_seeded_fewest_first_draw() -> None:
    """HELD_OUT5 is the fewest-first draw (random.Random(1515), up to 12 rows a file, one-line
    descriptions) from rows that no set before it holds, HELD_OUT4 and NN_HELD_OUT included."""
    rows = _rows(HELD_OUT5)
    earlier = [row for path in (*TUNING_SETS, HELD_OUT4, NN_HELD_OUT) for row in _rows(path)]
    _check_new_draw(rows, earlier)
    drawn = _fewest_first_draw(earlier, 1515, 12, 150, one_line=True)
    assert drawn == [(r["file"], int(r["line"])) for r in rows]


def _network_first_draw(
    rows: list[dict[str, str]],
    earlier: list[dict[str, str]],
    seed: int,
    per_network: int,
    per_other: int,
    total: int,
    min_rows: int,
    least: int | None = None,
    least_multi: int = 20,
) -> None:
    """Check that `rows` are the draw the sixth and seventh sets describe: `per_network` rows of
    each network-training file with rows left, then up to `per_other` of each other file
    (fewest labelled rows first), until `total`, from rows no earlier set holds. The files may
    run out before `total` (`least` rows, 90 % of it unless given)."""
    assert not {r["description"] for r in earlier} & {r["description"] for r in rows}
    assert len(rows) >= (0.9 * total if least is None else least)
    assert len({r["description"] for r in rows}) == len(rows)
    assert {r["split"] for r in rows} == {"held-out"}
    assert sum("multi_change" in r["tags"] for r in rows) >= least_multi
    _check_rows(rows)
    if not REAL.is_dir():
        pytest.skip("../shared/data/real is absent")
    in_sets = Counter(r["file"] for r in earlier)
    pool = {
        name: [(line, d) for line, d in found if "\t" not in d and "\n" not in d]
        for name, found in _unused_rows(earlier, (".tsv", ".csv"), lambda _: True, 5).items()
    }
    pool = {name: found for name, found in pool.items() if len(found) >= min_rows}
    rng = random.Random(seed)
    first = [name for name in NN_FILES if name in pool]
    drawn = _sample(pool, first, rng, per_network, len(first) * per_network)
    rest = sorted(name for name in pool if name not in first)
    rng.shuffle(rest)
    rest.sort(key=lambda name: in_sets[name])
    drawn += _sample(pool, rest, rng, per_other, total - len(drawn))
    assert drawn == [(r["file"], int(r["line"])) for r in rows]


def test_held_out6_is_the_seeded_draw_network_training_files_first() -> None:
    """HELD_OUT6 is the draw its docstring describes: 20 rows of each network-training file
    with rows left, then the fewest-first draw of the other files (random.Random(1616))."""
    earlier = [
        row for path in (*TUNING_SETS, HELD_OUT4, NN_HELD_OUT, HELD_OUT5) for row in _rows(path)
    ]
    _network_first_draw(_rows(HELD_OUT6), earlier, 1616, 20, 8, 120, 0)


def test_held_out7_is_the_seeded_draw_after_held_out6() -> None:
    """HELD_OUT7 is HELD_OUT6's draw with random.Random(1717), 15 rows of each network-training
    file with rows left, then up to 10 of each other file, from rows no earlier set holds."""
    earlier = [
        row
        for path in (*TUNING_SETS, HELD_OUT4, NN_HELD_OUT, HELD_OUT5, HELD_OUT6)
        for row in _rows(path)
    ]
    _network_first_draw(_rows(HELD_OUT7), earlier, 1717, 15, 10, 100, 5)


def test_held_out8_is_the_seeded_draw_after_held_out7() -> None:
    """HELD_OUT8 is the same draw with random.Random(1818), 15 rows of each network-training
    file with rows left, then up to 15 of each other file (only seven real files have five
    such rows left, so it ends at 99 rows), from rows no earlier set holds, HELD_OUT7 included."""
    earlier = [
        row
        for path in (*TUNING_SETS, HELD_OUT4, NN_HELD_OUT, HELD_OUT5, HELD_OUT6, HELD_OUT7)
        for row in _rows(path)
    ]
    _network_first_draw(_rows(HELD_OUT8), earlier, 1818, 15, 15, 100, 5)


def test_held_out9_is_the_seeded_draw_after_held_out8() -> None:
    """HELD_OUT9 is the same draw with random.Random(1919), 15 rows of each network-training
    file with rows left, then up to 18 of each other file (only six real files have five such
    rows left; at 15 a file the draw would end at 90), until 100 rows (102: the last file's 18
    are all taken), from rows no earlier set holds, HELD_OUT8 included."""
    earlier = [
        row
        for path in (
            *TUNING_SETS,
            HELD_OUT4,
            NN_HELD_OUT,
            HELD_OUT5,
            HELD_OUT6,
            HELD_OUT7,
            HELD_OUT8,
        )
        for row in _rows(path)
    ]
    _network_first_draw(_rows(HELD_OUT9), earlier, 1919, 15, 18, 100, 5)


def _draw_before_held_out10() -> list[dict[str, str]]:
    return [
        row
        for path in (
            *TUNING_SETS,
            HELD_OUT4,
            NN_HELD_OUT,
            HELD_OUT5,
            HELD_OUT6,
            HELD_OUT7,
            HELD_OUT8,
            HELD_OUT9,
        )
        for row in _rows(path)
    ]


def test_held_out10_is_the_seeded_draw_after_held_out9() -> None:
    """HELD_OUT10 is the same draw with random.Random(2020), 15 rows of each network-training
    file with rows left, then up to 18 of each other file, until 100 rows, from rows no earlier
    set holds, HELD_OUT9 included."""
    _network_first_draw(_rows(HELD_OUT10), _draw_before_held_out10(), 2020, 15, 18, 100, 5)


def test_held_out11_is_the_seeded_draw_after_held_out10() -> None:
    """HELD_OUT11 is the same draw with random.Random(2121), 15 rows of each network-training
    file with rows left, then up to 18 of each other file, fewest labelled first, until 100
    rows, from rows no earlier set holds, HELD_OUT10 included. Only five real files have five
    such rows left (JsonTheRuler's ran out), so the draw ends at 84 rows, 19 of them
    multi_change."""
    earlier = _draw_before_held_out10() + _rows(HELD_OUT10)
    _network_first_draw(_rows(HELD_OUT11), earlier, 2121, 15, 18, 100, 5, 84, 19)


def test_held_out6_blind_relabels_the_same_rows_and_agrees_on_most() -> None:
    """The blind labelling holds HELD_OUT6's rows in order, with known categories; the two
    labellings agree on at least 95 % of the blind rows' categories (benchmarks/
    classifier_heldout.py --agreement prints the figures and the rows they differ on)."""
    rows, blind = _rows(HELD_OUT6), _rows(HELD_OUT6_BLIND)
    key = ("file", "line", "description")
    assert [tuple(r[k] for k in key) for r in blind] == [tuple(r[k] for k in key) for r in rows]
    known = {r["category"] for path in SETS.values() for r in _rows(path)}
    assert {r["category"] for r in blind} <= known
    assert {r["tags"] for r in blind} <= {"", "multi_change"}
    seen = {r["file"] for r in blind if r["split"] == "seen"}
    assert seen == {NN_FILES[0]} and {r["split"] for r in blind} == {"blind", "seen"}
    pairs = [(a, b) for a, b in zip(rows, blind, strict=True) if b["split"] == "blind"]
    agree = sum(a["category"] == b["category"] for a, b in pairs)
    assert len(pairs) >= 100 and agree / len(pairs) >= 0.95


def test_cohens_kappa_of_the_agreement_benchmark() -> None:
    kappa = load_script(REPO_ROOT / "benchmarks" / "label_agreement.py").kappa
    assert kappa(["a", "a", "b", "b"], ["a", "b", "b", "b"]) == pytest.approx(0.5)
    assert kappa(["a", "b", "c"], ["a", "b", "c"]) == pytest.approx(1.0)
    assert kappa(["x", "x"], ["x", "x"]) == 1.0
    assert kappa(["a", "b"], ["b", "a"]) == pytest.approx(-1.0)


def test_nn_rows_are_new_rows_of_network_training_files() -> None:
    rows = _rows(NN_ROWS)
    earlier = _rows(TUNING) + _rows(OLD_FIXTURE)
    others = earlier + _rows(TUNING2) + _rows(TUNING3)
    assert len(rows) >= 70 and {r["file"] for r in rows} <= {r["file"] for r in earlier}
    assert not {r["description"] for r in others} & {r["description"] for r in rows}
    assert len({r["description"] for r in rows}) == len(rows)
    _check_rows(rows)


@pytest.mark.parametrize("path", list(SETS.values()), ids=list(SETS))
def test_fixture_descriptions_are_those_of_the_real_files(path: object) -> None:
    if not REAL.is_dir():
        pytest.skip("../shared/data/real is absent")
    by_file: dict[str, dict[int, str]] = {}
    for row in _rows(path):
        if row["file"] not in by_file:
            history = read_results(REAL / row["file"])
            by_file[row["file"]] = {e.line: e.description.strip() for e in history.experiments}
        assert by_file[row["file"]][int(row["line"])] == row["description"]


@pytest.mark.parametrize("name", list(SETS))
def test_accuracy_and_multi_change_tag_hold_their_floor(name: str) -> None:
    accuracy, recall, precision = _scores(name)
    floor_accuracy, floor_recall, floor_precision = FLOORS[name]
    assert accuracy >= floor_accuracy, f"{name} accuracy {accuracy:.3f}"
    assert recall >= floor_recall, f"{name} multi_change recall {recall:.2f}"
    assert precision >= floor_precision, f"{name} multi_change precision {precision:.2f}"


@pytest.mark.xfail(strict=True, reason="issue 13 targets not reached on the held-out set")
def test_issue_targets_on_held_out() -> None:
    """Issue 13's targets on HELD_OUT11: 79.8 % (67/84), multi_change recall 0.89 (17/19) and
    precision 0.89 (17/19) after the round that tuned on HELD_OUT10 (main's classifier before
    it: the same 79.8 %, 0.89, 0.89): the tag targets are met, the accuracy is not (two hand
    labellings of HELD_OUT6 agree on 96-97 % of categories: benchmarks/classifier_heldout.py
    --agreement)."""
    accuracy, recall, precision = _scores("held-out")
    assert accuracy >= TARGET_ACCURACY
    assert recall >= TARGET_MULTI and precision >= TARGET_MULTI


# ---------------------------------------------------------------------------- linear time

# 50 KB of hostile text must classify in milliseconds (issue 13); the bound leaves room for a
# loaded CI machine while a quadratic regex (seconds at this size) would still fail it.
BOUND_S = 0.25
HOSTILE = (
    "KNOB=" * 10000,
    "x=1 " * 12500,
    "a" * 50000,
    "(" * 50000,
    " (" * 25000,
    "on x, " * 8000,
    "gpu0: " * 8000,
    "1+" * 25000,
    "a + " * 12500,
    "depth 8 and " * 4000,
    "x0_lambda alone " * 3000,
    "lr 0.1, " * 6000,
    "(a, " * 12500,
    "X=(1 " * 10000,
    "establish the " * 4000,  # the fifth round's patterns and list signals
    "exp1 run1 " * 5000,
    "x 0.4+512KB " * 4000,
    "int4: a=1 b=2 " * 3500,
    "remove A" + "_B1" * 16000,  # the eighth round's feature column and measured figures
    "1.5ms, " * 7000,
    "x, unblocks y, " * 3500,
    "1est" * 12500,  # the ninth round's estimators after a number and one-word family
    "gradientboost" * 3850,
    "x (a b best) + " * 3500,  # the tenth round's best base, run after an aside, glued values
    " (a a a a" * 5500,
    "x (y) run 1" * 4500,
    "run 1 " * 8000,
    "seed1" * 10000,
    "beta95 LR 1 " * 4000,
    "xgboost a=1 " * 4000,
    "cosine-only " * 4000,
    "l80 " * 12500,
)


def _read(text: str) -> None:
    Classifier(cache_size=1)(text)
    change_part(text)
    strip_labels(text)
    change_items(text, text)


def _timed(text: str) -> None:
    passed, measured = linear_enough(_read, text, BOUND_S)
    assert passed, measured


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: repr(t[:12]))
def test_hostile_descriptions_classify_in_linear_time(text: str) -> None:
    assert len(text) >= 48000
    _timed(text)


FRAGMENTS = st.sampled_from(
    [
        "KNOB=",
        "x=1 ",
        "=",
        " + ",
        "+",
        ", ",
        " and ",
        "(",
        ")",
        " (",
        "lr ",
        "0.1",
        "->",
        "—",
        " - ",
        ": ",
        "gpu0:",
        "exp3_",
        "[",
        "]",
        "baseline ",
        "alone ",
        "than ",
        "depth ",
        "N_BLOCKS=6 ",
        "a",
        " ",
        "\t",
        "_",
        "é",
        "2**19 ",
        "524K ",
    ]
)


@settings(max_examples=40, deadline=None)
@given(st.lists(FRAGMENTS, min_size=1, max_size=8), st.integers(min_value=2000, max_value=12000))
def test_long_random_text_classifies_in_linear_time(parts: list[str], repeat: int) -> None:
    text = ("".join(parts) * repeat)[:50000]
    _timed(text)


# ---------------------------------------------------------------------------- histories


def test_a_history_tells_the_base_of_a_list_from_its_change() -> None:
    descriptions = [
        "baseline",
        "N_BLOCKS=6 BS=8",
        "N_BLOCKS=6 BS=8 + GRAD_CLIP=3.0",
        "N_BLOCKS=6 BS=8 WD=0",
        "GRAD_CLIP=3.0 + WD=0",
    ]
    classifier = Classifier()
    alone = [classifier(d).category for d in descriptions]
    assert alone[2:] == ["combination", "combination", "combination"]
    read = classifier.read_history(descriptions, [True, True, False, False, False])
    assert [f.category for f in read] == [
        "baseline",
        "combination",  # nothing in force yet: both settings are new
        "optimizer",  # N_BLOCKS=6 BS=8 was kept: the clip is the change
        "regularization",
        "combination",  # the clip was never kept: still two changes
    ]
    assert all("multi_change" in f.tags for f in read[1:])  # the row still lists several
    not_kept = classifier.read_history(descriptions, [False] * len(descriptions))
    assert [f.category for f in not_kept] == alone


def test_reading_the_labelled_files_as_histories_does_not_lose_accuracy() -> None:
    if not REAL.is_dir():
        pytest.skip("../shared/data/real is absent")
    classifier = Classifier()
    rows = _rows(TUNING)
    alone = history = 0
    for name in sorted({r["file"] for r in rows}):
        experiments = read_results(REAL / name).experiments
        found = classifier.read_history(
            [e.description.strip() for e in experiments], [e.status == "keep" for e in experiments]
        )
        by_line = {e.line: f.category for e, f in zip(experiments, found, strict=True)}
        for row in (r for r in rows if r["file"] == name):
            history += by_line[int(row["line"])] == row["category"]
            alone += classifier(row["description"]).category == row["category"]
    assert history >= alone
