"""Judging through the shared statistics: experiments, champion candidates and the final verdict."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from autolab_shared.core.exitcodes import ExitCode
from autolab_shared.core.scale import scale_for
from autolab_shared.core.vocabulary import Status
from autolab_shared.files.appendrow import format_row, row_cells
from autolab_shared.parsing.replicates import group_configs, replicate_groups
from autolab_shared.parsing.results import History, parse_results
from autolab_shared.stats.audit import audit, night_p
from autolab_shared.stats.noise import pooled_noise

FINAL = (Status.KEEP, Status.DISCARD, Status.CRASH)  # the statuses that conclude an experiment


@dataclass(frozen=True)
class Row:
    """One measured row of a results file."""

    commit: str
    value: float | None
    memory_gb: float | None
    status: str  # a Status word, or in free mode the agent's own
    description: str
    node: str = ""  # where it ran (Ray executor; '' on this machine)
    gpu_type: str = ""

    def cells(self, metric: str) -> dict[str, str]:
        """The row's cells keyed by column name (crashes as 0.000000 / 0.0)."""
        return row_cells(
            self.commit, metric, self.value, self.memory_gb, self.status, self.description
        )


def history_of(rows: Sequence[Row], metric: str, direction: str | None = None) -> History:
    """A History parsed from rows, exactly as a results.tsv holding them would parse."""
    columns = ("commit", metric, "memory_gb", "status", "description")
    lines = ["\t".join(columns)]
    lines += [format_row(columns, row.cells(metric), metric=metric) for row in rows]
    return parse_results(
        "\n".join(lines) + "\n", "<autoevolve>", metric=metric, direction=direction
    )


def final_verdict(
    baseline: Sequence[Row], champion: Sequence[Row], metric: str, direction: str | None = None
) -> tuple[ExitCode, str]:
    """0 when the champion beats the baseline beyond noise, 1 when not, 2 when within noise."""
    if not champion or not baseline or champion[0].commit == baseline[0].commit:
        return ExitCode.DISCARD, "no champion beat the starting baseline"
    rows = [*(_kept(r) for r in baseline), *(_kept(r) for r in champion)]
    result = audit(history_of(rows, metric, direction))
    code = ExitCode(result.exit_verdict)
    if result.improvement is None or result.p_real is None:
        return code, "not enough data to compare the champion with the baseline"
    text = (
        (
            f"champion vs baseline: {result.improvement:+.6f} (90% interval "
            f"{result.improvement_ci90[0]:+.6f} .. {result.improvement_ci90[1]:+.6f}), "
            f"P(real) = {night_p(result.p_real)}"
        )
        if result.improvement_ci90
        else ""
    )
    return code, text


def _kept(row: Row) -> Row:
    return Row(row.commit, row.value, row.memory_gb, Status.KEEP, row.description)


def noise_sd(history: History) -> float:
    """The shared pooled noise floor (sd of one run) in metric units; 0.0 without replicates."""
    values = [e.value for e in history.experiments if e.value is not None]
    if not values:
        return 0.0
    scale = scale_for(values, history.direction)
    floor = pooled_noise(replicate_groups(group_configs(history.experiments), scale))
    if floor.groups == 0:
        return 0.0
    return floor.sigma * statistics.median(values) if scale.log else floor.sigma
