"""A broken run far from the rest (a discarded 3.2 among values of 0.97) says nothing about
the incumbent: the coarse grid far from 0 must not pass its rounding on as information.

Karpathy's H100 night had this: "weight tying (broken)" at 3.215849 moved the incumbent's
estimate by 3 noise sd, and the next two rows at the night's usual level read as KEEPs.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from autojudge.cli import cli
from autolab_shared.core.scale import scale_for
from autolab_shared.parsing.replicates import group_configs
from autolab_shared.parsing.results import parse_results
from autolab_shared.stats.chain import effect_span, replay
from autolab_shared.stats.prior import EffectPrior

HEADER = "commit\tval_bpb\tmemory_gb\tstatus\tdescription"
NIGHT = [
    "a000001\t0.997900\t44.0\tkeep\tbaseline",
    "a000002\t0.986000\t44.0\tkeep\thalve batch",
    "a000003\t0.986900\t44.0\tdiscard\twarmup",
    "a000004\t0.985500\t44.0\tdiscard\tsoftcap",
    "a000005\t0.986400\t44.0\tdiscard\tbeta1",
    "a000006\t0.985800\t44.0\tdiscard\twd",
    "a000007\t0.986200\t44.0\tdiscard\tclip",
]
BROKEN = "b000001\t{value:.6f}\t44.0\tdiscard\tweight tying (broken)"


def _incumbent(rows: list[str]) -> tuple[float, float]:
    exps = parse_results("\n".join([HEADER, *rows]) + "\n", "f.tsv").experiments
    scale = scale_for([e.value for e in exps if e.value is not None], "min")
    configs = group_configs(exps)
    prior = EffectPrior.default_prior(span=effect_span(configs, scale))
    inc = replay(configs, scale, prior, (0.00076) ** 2).incumbent
    assert inc is not None
    return inc.mean, inc.sd


@settings(max_examples=60, deadline=None)
@given(st.floats(1.05, 40.0))
def test_a_far_discard_leaves_the_incumbent_where_it_was(factor: float) -> None:
    before, sd = _incumbent(NIGHT)
    after, _ = _incumbent([*NIGHT, BROKEN.format(value=0.986 * factor)])
    # under a fifth of a noise sd (the Laplace slab's own pull is ~0.1 sd; the grid's
    # rounding moved it by up to 50 sd before)
    assert abs(after - before) < 0.2 * 0.00076
    assert math.isfinite(sd) and sd > 0


@pytest.mark.parametrize("value", [1.5, 3.215849, 30.0])
def test_the_row_after_a_broken_run_is_judged_as_without_it(tmp_path: Path, value: float) -> None:
    candidate = "c000001\t0.985900\t44.0\tkeep\tinit scale 0.68"
    docs = []
    for k, rows in enumerate(
        ([*NIGHT, candidate], [*NIGHT, BROKEN.format(value=value), candidate])
    ):
        path = tmp_path / f"results{k}.tsv"
        path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
        out = CliRunner().invoke(cli, ["--results", str(path), "--format", "json"])
        docs.append(json.loads(out.stdout)["data"])
    plain, broken = docs
    assert broken["verdict"] == plain["verdict"]
    assert abs(broken["confidence"] - plain["confidence"]) < 0.05
