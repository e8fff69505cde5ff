"""Run the benchmarks: ``python -m benchmarks [topic ...]`` (all when none named)."""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from pathlib import Path

import benchmarks


def main(argv: list[str]) -> int:
    topics = sorted(
        name.removeprefix("bench_")
        for _, name, _ in pkgutil.iter_modules(benchmarks.__path__)
        if name.startswith("bench_")
    )
    unknown = sorted(set(argv) - set(topics))
    if unknown:
        print(f"unknown benchmark(s) {unknown}; available: {topics}", file=sys.stderr)
        return 2
    results = {}
    for topic in argv or topics:
        print(f"== {topic}", flush=True)
        results[topic] = importlib.import_module(f"benchmarks.bench_{topic}").main()
        print(json.dumps(results[topic], indent=2, default=str), flush=True)
    out = Path("out")
    out.mkdir(exist_ok=True)
    (out / "benchmarks.json").write_text(json.dumps(results, indent=2, default=str))
    print(f"wrote {out / 'benchmarks.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
