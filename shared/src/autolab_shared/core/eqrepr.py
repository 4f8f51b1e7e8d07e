"""``__eq__`` and ``__repr__`` for dataclasses, written once instead of generated per class.

``@dataclass`` compiles every method it generates with ``exec`` when the class is created
(about 0.05 ms a method here), and a verdict imports ~30 dataclasses at every start. A class
declared ``@dataclass(eq=False, repr=False)`` on top of :class:`EqRepr` compares and prints as
the generated methods would: fields in order, equal only to its own class, unhashable.
"""

from __future__ import annotations

from dataclasses import Field, fields
from typing import Any


class EqRepr:
    """Base of a dataclass declared with ``eq=False, repr=False``: the same ``==`` and repr."""

    __slots__ = ()

    def _fields(self) -> tuple[Field[Any], ...]:
        return fields(self)  # type: ignore[arg-type]  # every subclass is a dataclass

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        mine = tuple(getattr(self, f.name) for f in self._fields() if f.compare)
        return mine == tuple(getattr(other, f.name) for f in self._fields() if f.compare)

    __hash__ = None  # type: ignore[assignment]  # as a dataclass with eq that is not frozen

    def __repr__(self) -> str:
        shown = (f"{f.name}={getattr(self, f.name)!r}" for f in self._fields() if f.repr)
        return f"{self.__class__.__qualname__}({', '.join(shown)})"
