"""Run one benchmark case in a fresh Python process and report its time and peak memory.

A case is any importable function ``module:function`` that takes JSON-able keyword
arguments and returns a JSON-able dict.  The child process times the call itself (imports
excluded) and reads its own peak resident set size (``VmHWM``), so cases do not inherit each other's
memory and the parent's noise stays out of the numbers.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

from weightwatch.errors import WeightwatchError

_CHILD = r"""
import importlib, json, resource, sys, time
spec = json.loads(sys.stdin.read())
module, _, name = spec["target"].partition(":")
func = getattr(importlib.import_module(module), name)
start = time.perf_counter()
result = func(**spec["kwargs"])
seconds = time.perf_counter() - start
# VmHWM belongs to this address space (reset by exec); ru_maxrss would inherit the parent's
with open("/proc/self/status") as status:
    hwm = [line for line in status if line.startswith("VmHWM:")]
peak_kib = int(hwm[0].split()[1]) if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print("\n" + json.dumps({"seconds": seconds, "peak_kib": peak_kib, "result": result}, default=str))
"""


@dataclass(frozen=True)
class Measurement:
    """One case's wall time (s), peak RSS (MiB) and whatever the case returned."""

    label: str
    seconds: float
    peak_mib: float
    result: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "seconds": round(self.seconds, 3),
            "peak_mib": round(self.peak_mib, 1),
            **{k: v for k, v in self.result.items() if k not in {"label"}},
        }


def measure(label: str, target: str, timeout: float | None = 3600, **kwargs: Any) -> Measurement:
    """Run ``target`` (``"package.module:function"``) with ``kwargs`` in a new interpreter."""
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD],
        input=json.dumps({"target": target, "kwargs": kwargs}),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-8:])
        raise WeightwatchError(f"benchmark case {label!r} ({target}) failed:\n{tail}")
    payload = json.loads(proc.stdout.strip().splitlines()[-1])
    return Measurement(
        label=label,
        seconds=float(payload["seconds"]),
        peak_mib=payload["peak_kib"] / 1024,
        result=payload["result"] if isinstance(payload["result"], dict) else {},
    )


def ratio(slow: Measurement, fast: Measurement) -> float:
    """How many times faster ``fast`` ran than ``slow`` (same run, same data)."""
    return slow.seconds / fast.seconds if fast.seconds > 0 else float("inf")


def _allocate_for_test(mib: int) -> dict[str, int]:
    """A case that holds ``mib`` MiB, so tests can check peak memory is per case."""
    block = bytearray(mib * 1024 * 1024)
    for offset in range(0, len(block), 4096):  # touch every page so it is resident
        block[offset] = 1
    return {"allocated_mib": len(block) // (1024 * 1024)}
