"""Where one verdict on a long history spends its CPU: each phase timed in one process.

    uv run python benchmarks/verdict_phases.py [--rows 100000] [--repeats 5] [--results FILE]

Writes `scale.py`'s history of --rows rows (or reads --results), then times, with the cyclic
collector off as the console script runs, the phases of `autojudge --results FILE`: reading
and decoding the file, the scan into records, choosing the metric and reading the rows into
experiments, the replicate keys (for ``commit_reused``), the scan and rows of a plain file by
columns (what the parse does with one), the whole parse, and the verdict's
own steps (the configurations it reads, the history's differences, the noise floor, the two
replays of the window and the prior fit) and the whole verdict. Each figure is the least CPU
time (``time.process_time``) of --repeats runs; the import of the library is timed once.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
_START = time.process_time()


def timed(name: str, call: Callable[[], T], repeats: int) -> T:
    """Run `call` `repeats` times; print the least CPU time; return the last result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        begin = time.process_time()
        result = call()
        best = min(best, time.process_time() - begin)
    print(f"{name:<44} {best:8.4f}", flush=True)
    return result  # type: ignore[return-value]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--results", type=Path, help="a results file instead of scale.py's")
    args = parser.parse_args()
    gc.disable()
    import numpy  # noqa: F401  (a verdict loads it; timed with the library)

    from autolab_shared.parsing import columnrows, plaincolumns, replicates, results, tsvlines
    from autolab_shared.stats import chain, judge, noise, nullnoise, verdictconfigs
    from autolab_shared.stats.prior import EffectPrior

    print(f"{'import numpy and the library':<44} {time.process_time() - _START:8.4f}")
    if args.results is None:
        sys.path.insert(0, str(Path(__file__).parent))
        from scale import make_history

        folder = tempfile.mkdtemp(prefix="verdict-phases-")
        args.results = Path(folder) / f"results-{args.rows}.tsv"
        args.results.write_text(make_history(args.rows), encoding="utf-8")
    path, n = str(args.results), args.repeats
    data = timed("read the file", lambda: results.read_bytes(path), n)
    text = timed("decode", lambda: results._decode(data, path)[0], n)
    found = timed("scan lines into records", lambda: tsvlines.scan(text, path), n)
    choice = results.choose_metric_column(found, None, path)
    exps = timed(
        "choose the metric, rows into experiments",
        lambda: results._RowReader(path, found, choice).read_all(found.records),
        n,
    )
    timed("replicate keys (commit_reused)", lambda: replicates._Keys().all(exps), n)
    plain = timed("plain file: scan by columns", lambda: plaincolumns.plain_columns(text, path), n)
    if plain is not None:
        layout = columnrows.Layout.of(plain.scan.schemas[0], choice.index[0])
        timed(
            "plain file: rows by columns, keys",
            lambda: columnrows.read_columns(plain.columns, layout, plain.second),
            n,
        )
    history = timed("whole parse (parse_results)", lambda: results.parse_results(data, path), n)
    table = history.table
    keys = table.keys  # from the parse, as in the CLI
    key = keys[-1]
    values = verdictconfigs.valued(table.values)
    scale = judge.scale_for(values, history.direction)
    picked = timed(
        "verdict: configurations it reads",
        lambda: verdictconfigs.pick_configs(table, key, scale),
        n,
    )
    first = picked.first
    x_cand = [scale.to_x(e.value) for e in picked.rows if e.value is not None]
    deltas = timed(
        "verdict: differences of consecutive rows",
        lambda: nullnoise.deltas_of_columns(
            table.values[:first], table.statuses[:first], keys[:first], scale, skip=key
        ),
        n,
    )
    floor = timed(
        "verdict: noise floor (groups, empirical null)",
        lambda: noise.history_noise(
            replicates.replicate_groups(picked.measured, scale, (key, len(exps), x_cand)),
            deltas,
        ),
        n,
    )
    sigma2 = floor.sigma**2
    span = chain.values_span(picked.span_values, scale, x_cand)

    def replays() -> object:
        first_pass = chain.replay(
            picked.window, scale, EffectPrior.default_prior(span=span), sigma2
        )
        prior = chain.fit_prior(first_pass, sigma2, max(0.5 * floor.sigma, 1e-9), span)
        return chain.replay(picked.window, scale, prior, sigma2)

    timed("verdict: two replays of the window, prior fit", replays, n)
    timed("whole verdict (judge)", lambda: judge.judge(history), n)
    timed("parse and verdict", lambda: judge.judge(results.parse_results(data, path)), n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
