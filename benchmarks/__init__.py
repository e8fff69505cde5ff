"""Speed measurements of sselab against the libraries it replaces or wraps.

Each ``bench_<topic>.py`` module has a ``main() -> dict`` that times one thing and
returns its numbers; ``python -m benchmarks [topic ...]`` (``make bench``) runs
them and writes ``out/benchmarks.json``. Benchmarks are not tests: they assert
nothing about speed, they measure it.
"""
