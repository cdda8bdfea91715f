import pytest

from weightwatch.bench.runner import measure, ratio
from weightwatch.bench.suites import SUITES, get_suite
from weightwatch.errors import InputError


def test_measure_runs_in_a_fresh_process_and_reports_memory() -> None:
    small = measure("small", "weightwatch.bench.runner:_allocate_for_test", mib=1)
    big = measure("big", "weightwatch.bench.runner:_allocate_for_test", mib=200)
    assert small.result == {"allocated_mib": 1} and big.result == {"allocated_mib": 200}
    # each case's peak is its own: the big allocation does not leak into the small one
    assert big.peak_mib - small.peak_mib > 150
    assert ratio(big, small) > 0


def test_unknown_suite_names_the_known_ones() -> None:
    assert {"ingest", "collector"} <= set(SUITES)
    with pytest.raises(InputError, match=r"known: .*ingest"):
        get_suite("nope")
