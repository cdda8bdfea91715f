"""``-p KEY=VALUE`` parsing shared by `weightwatch metric` and `weightwatch bench`."""

from __future__ import annotations

import pytest

from weightwatch.bench.suites import parse_params
from weightwatch.errors import InputError
from weightwatch.params import key_values


def test_keys_read_dashes_as_underscores_and_values_go_through_the_reader() -> None:
    got = key_values(["min-downloads= 10 ", "top=5", "name=a=b"], str.upper, example="x=1")
    assert got == {"min_downloads": "10", "top": "5", "name": "A=B"}
    # the bench reads JSON where it parses, text otherwise
    assert parse_params(["runs=3", "flag=true", "workdir=/data/x", "none=null"]) == {
        "runs": 3,
        "flag": True,
        "workdir": "/data/x",
        "none": None,
    }


@pytest.mark.parametrize("item", ["runs", "=3", "two words=1", "1st=2"])
def test_bad_items_are_named(item: str) -> None:
    with pytest.raises(InputError, match=f"parameter '{item}': write KEY=VALUE, e.g. top=5"):
        key_values([item], str, example="top=5")
