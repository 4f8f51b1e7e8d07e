"""How far two hand labellings of the same rows agree, and the classifier on each.

    uv run python benchmarks/classifier_heldout.py --agreement

Compares tests/fixtures/steer_labels_heldout6.tsv (the committed labels) with
tests/fixtures/steer_labels_heldout6_blind.tsv (a second labelling of the same rows, made from
a copy without the label columns; its `split` column says `blind`, or `seen` for rows whose
committed labels its labeller saw first). Prints, for all rows and for the blind ones: category
agreement and Cohen's kappa, `multi_change` agreement and kappa, agreement per committed
category, the rows they differ on, and the classifier's accuracy on the committed labels, on
the second labelling and on the rows where both agree (the ceiling figure).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from autolab_shared.steering.classify import Classifier

Row = dict[str, str]


def kappa(first: Sequence[str], second: Sequence[str]) -> float:
    """Cohen's kappa of two labellings of the same items (1.0 when both are one constant)."""
    n = len(first)
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / n
    one, two = Counter(first), Counter(second)
    expected = sum(one[k] * two[k] for k in one) / (n * n)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def multi(row: Row) -> str:
    """'yes' when the row is tagged `multi_change`."""
    return "yes" if "multi_change" in row["tags"].split(",") else "no"


def paired(committed: list[Row], second: list[Row]) -> list[tuple[Row, Row]]:
    """The rows of both files, matched by file, line and description (same order required)."""
    pairs = list(zip(committed, second, strict=True))
    key = ("file", "line", "description")
    if any(tuple(a[k] for k in key) != tuple(b[k] for k in key) for a, b in pairs):
        raise ValueError("the two labellings do not hold the same rows in the same order")
    return pairs


def print_agreement(pairs: list[tuple[Row, Row]]) -> None:
    """Category and multi_change agreement with kappa, then agreement per committed category."""
    n = len(pairs)
    cats = [(a["category"], b["category"]) for a, b in pairs]
    tags = [(multi(a), multi(b)) for a, b in pairs]
    same = sum(x == y for x, y in cats)
    same_tag = sum(x == y for x, y in tags)
    cat_kappa = kappa([x for x, _ in cats], [y for _, y in cats])
    tag_kappa = kappa([x for x, _ in tags], [y for _, y in tags])
    print(f"  category agreement {same}/{n} = {same / n:.1%}, kappa {cat_kappa:.3f}")
    print(
        f"  multi_change agreement {same_tag}/{n} = {same_tag / n:.1%}, kappa {tag_kappa:.3f} "
        f"(committed {sum(x == 'yes' for x, _ in tags)}, second {sum(y == 'yes' for _, y in tags)})"
    )
    rows = Counter(x for x, _ in cats)
    agreed = Counter(x for x, y in cats if x == y)
    print(f"  {'committed category':<18} {'rows':>4} {'same':>5}")
    for name, count in sorted(rows.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {name:<18} {count:>4} {agreed[name]:>5}")


def print_differences(pairs: list[tuple[Row, Row]]) -> None:
    """The rows the two labellings differ on (category or multi_change)."""
    print("  differ (committed | second | split | description):")
    for a, b in pairs:
        if a["category"] != b["category"] or multi(a) != multi(b):
            first = a["category"] + ("+M" if multi(a) == "yes" else "")
            other = b["category"] + ("+M" if multi(b) == "yes" else "")
            print(f"    {first:<16} | {other:<16} | {b['split']:<5} | {a['description'][:90]}")


def tag_line(wanted: list[bool], tagged: list[bool]) -> str:
    """multi_change recall and precision of the classifier's tags against the labels."""
    hits = sum(w and t for w, t in zip(wanted, tagged, strict=True))
    return (
        f"multi_change recall {hits}/{sum(wanted)} = {hits / max(sum(wanted), 1):.2f}, "
        f"precision {hits}/{sum(tagged)} = {hits / max(sum(tagged), 1):.2f}"
    )


def print_classifier(pairs: list[tuple[Row, Row]], classifier: Classifier) -> None:
    """The classifier's accuracy and tags on each labelling and on the rows both agree on."""
    found = [classifier(a["description"]) for a, _ in pairs]
    got = [(a, b, f.category) for (a, b), f in zip(pairs, found, strict=True)]
    tagged = ["multi_change" in f.tags for f in found]
    both = [(a, g) for a, b, g in got if a["category"] == b["category"]]
    for name, right, total in (
        ("committed labels", sum(g == a["category"] for a, _, g in got), len(got)),
        ("second labelling", sum(g == b["category"] for _, b, g in got), len(got)),
        ("rows both agree on", sum(g == a["category"] for a, g in both), len(both)),
    ):
        print(f"  classifier on {name:<18} {right}/{total} = {right / max(total, 1):.1%}")
    same = [(multi(a), t) for (a, b), t in zip(pairs, tagged, strict=True) if multi(a) == multi(b)]
    for name, wanted, have in (
        ("committed tags", [multi(a) == "yes" for a, _ in pairs], tagged),
        ("second tags", [multi(b) == "yes" for _, b in pairs], tagged),
        ("tags both agree on", [m == "yes" for m, _ in same], [t for _, t in same]),
    ):
        print(f"  classifier on {name:<18} {tag_line(wanted, have)}")


def report(committed: list[Row], second: list[Row], classifier: Classifier) -> None:
    """Every agreement figure, for all rows and for the rows labelled blind."""
    pairs = paired(committed, second)
    for split in ("all", "blind"):
        chosen = [(a, b) for a, b in pairs if split in ("all", b["split"])]
        print(f"rows: {split} ({len(chosen)})")
        print_agreement(chosen)
        print_differences(chosen)
        print_classifier(chosen, classifier)
        print()
