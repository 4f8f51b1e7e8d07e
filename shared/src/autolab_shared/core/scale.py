"""The working scale of the statistics: log values, mirrored so that lower is always better.

Effects are relative on this scale (0.001 ≈ 0.1 %), and an improvement is always a negative
delta, whatever the metric's direction. Metrics that can be zero or negative stay linear.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from autolab_shared.core.eqrepr import EqRepr


@dataclass(eq=False, repr=False)
class Scale(EqRepr):
    """Maps metric values y to working values x = sign·ln(y) (or sign·y when linear)."""

    direction: str  # 'min' or 'max'
    log: bool

    @property
    def sign(self) -> float:
        """+1 when lower is better, −1 when higher is better."""
        return 1.0 if self.direction == "min" else -1.0

    def to_x(self, y: float) -> float:
        """Metric value → working value."""
        return self.sign * (math.log(y) if self.log else y)

    def to_xs(self, ys: Iterable[float]) -> list[float]:
        """``to_x`` of every value (one call for a long history)."""
        xs = map(math.log, ys) if self.log else map(float, ys)  # ±1.0 · x is ±x exactly
        return list(xs) if self.direction == "min" else list(map(float.__neg__, xs))

    def to_y(self, x: float) -> float:
        """Working value → metric value."""
        z = self.sign * x
        return math.exp(z) if self.log else z

    def delta_y(self, dx: float, at_x: float) -> float:
        """A working-scale difference at ``at_x`` in metric units (signed as the metric moves)."""
        return self.to_y(at_x + dx) - self.to_y(at_x)

    def spread_y(self, sd_x: float, at_x: float) -> float:
        """A working-scale sd at ``at_x`` in metric units (first-order)."""
        return sd_x * (abs(self.to_y(at_x)) if self.log else 1.0)


def scale_for(values: Iterable[float], direction: str) -> Scale:
    """Log scale when every value is positive, else linear."""
    finite = list(filter(math.isfinite, values))
    return Scale(direction=direction, log=bool(finite) and min(finite) > 0)
