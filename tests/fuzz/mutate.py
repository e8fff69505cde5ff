"""Shared tools of the fuzz suite: the byte mutations and a per-file time limit.

``mutations(text)`` draws one of: truncation, byte flips, 1-4 numbers replaced by
nan/inf/negative/huge/zero, a line repeated up to 60 times, a re-encoding (UTF-16,
Latin-1 accents), an empty file or the header alone.
"""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# CI runs a short derandomised profile; SSELAB_FUZZ_EXAMPLES=2000 pytest -m slow the long one.
EXAMPLES = int(os.environ.get("SSELAB_FUZZ_EXAMPLES", "25"))
LONG_EXAMPLES = max(EXAMPLES, 500)


def fuzz_settings(examples: int = EXAMPLES, long: bool = False) -> settings:
    """Hypothesis settings of the suite: fixed examples in CI, random ones in the long profile."""
    return settings(
        max_examples=examples,
        deadline=None,  # time is bounded per file by time_limit instead
        derandomize=not long,  # the same examples on every CI run
        suppress_health_check=list(HealthCheck),
    )


NUMBER = re.compile(rb"-?\d+(?:[.,]\d+)?(?:[eE][-+]?\d+)?")
INJECTED = [b"nan", b"NaN", b"inf", b"-inf", b"-5.7", b"1e300", b"-1e300", b"0.0", b"1e-300"]
# The first data row: a number, then a separator and another number.
DATA_ROW = re.compile(rb"^[ \t]*[-+]?\d[\d.,eE+-]*[ \t,;]+[-+]?\d", re.MULTILINE)


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Raise TimeoutError in the block after ``seconds`` (a hang is a failure, not a wait)."""

    def _raise(signum: int, frame: object) -> None:
        raise TimeoutError(f"reader did not return within {seconds} s")

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@st.composite
def mutations(draw: st.DrawFn, text: bytes) -> bytes:
    kind = draw(st.sampled_from(["truncate", "flip", "inject", "repeat", "encode", "empty"]))
    if kind == "truncate":
        return text[: draw(st.integers(0, len(text)))]
    if kind == "flip":
        data = bytearray(text)
        for _ in range(draw(st.integers(1, 8))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        return bytes(data)
    if kind == "inject":
        numbers = list(NUMBER.finditer(text))
        indices = st.lists(st.integers(0, len(numbers) - 1), min_size=1, max_size=4)
        for k in sorted(set(draw(indices)), reverse=True):  # from the end: offsets stay valid
            match = numbers[k]
            text = text[: match.start()] + draw(st.sampled_from(INJECTED)) + text[match.end() :]
        return text
    if kind == "repeat":
        lines = text.splitlines(keepends=True)
        k = draw(st.integers(0, len(lines) - 1))
        return b"".join(lines[: k + 1] + [lines[k]] * draw(st.integers(1, 60)) + lines[k + 1 :])
    if kind == "encode":
        decoded = text.decode("latin-1")
        if draw(st.booleans()):
            return decoded.encode("utf-16")
        return decoded.replace("e", "é").replace("o", "ö").encode("latin-1")
    if draw(st.booleans()):
        return b""
    first = DATA_ROW.search(text)
    return text if first is None else text[: first.start()]  # the header alone
