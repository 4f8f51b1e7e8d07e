"""EqRepr gives a dataclass the == and repr that @dataclass would have generated."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest

from autolab_shared.core.eqrepr import EqRepr
from autolab_shared.stats.incumbent import Incumbent


@dataclass
class Generated:
    name: str
    values: tuple[float, ...] = ()
    note: str = field(default="", repr=False, compare=False)


@dataclass(eq=False, repr=False)
class Shared(EqRepr):
    name: str
    values: tuple[float, ...] = ()
    note: str = field(default="", repr=False, compare=False)


@pytest.mark.parametrize(
    "args", [("a",), ("b", (1.0, 2.5)), ("c", (), "hidden"), ("it's", (float("nan"),))]
)
def test_repr_and_equality_are_the_generated_ones(args: tuple[object, ...]) -> None:
    made, generated = Shared(*args), Generated(*args)  # type: ignore[arg-type]
    assert repr(made) == repr(generated).replace("Generated(", "Shared(", 1)
    again, generated_again = Shared(*args), Generated(*args)  # type: ignore[arg-type]
    assert (made == again) == (generated == generated_again)
    assert made == dataclasses.replace(made, note="other")  # a field left out of compare


def test_other_values_and_other_classes_are_not_equal_and_instances_are_unhashable() -> None:
    assert Shared("a", (1.0,)) != Shared("a", (2.0,))
    assert Shared("a") != Generated("a") and Shared("a").__eq__(Generated("a")) is NotImplemented
    with pytest.raises(TypeError):
        hash(Shared("a"))


def test_a_library_class_on_it_prints_its_fields() -> None:
    assert repr(Incumbent(0.5, 0.25, "k")) == "Incumbent(mean=0.5, var=0.25, key='k')"
    assert Incumbent(0.5, 0.25) == Incumbent(0.5, 0.25, "")
