"""Every real history can be judged and audited without an exception."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from support import REAL_RESULTS, real_params

from autolab_shared.core.errors import InputError
from autolab_shared.parsing.results import read_results
from autolab_shared.stats.audit import audit
from autolab_shared.stats.judge import judge


@pytest.mark.real_data
@pytest.mark.parametrize("path", real_params(REAL_RESULTS))
def test_judge_and_audit_every_real_history(path: Path) -> None:
    history = read_results(path)
    if not history.experiments:
        with pytest.raises(InputError, match="no experiments"):
            judge(history)
        return
    verdict = judge(history).assessment
    assert verdict.verdict in {"STRONG_KEEP", "KEEP", "MARGINAL", "RETEST", "DISCARD", "CRASH"}
    assert math.isnan(verdict.p_improve) or 0.0 <= verdict.p_improve <= 1.0
    report = audit(history)
    assert report.exit_verdict in (0, 1, 2)
    assert len(report.rows) <= len(history.experiments)
