"""Benchmarks (`make bench`): each ``bench_*.py`` module exposes ``run() -> dict``.

They print figures and write them to ``artifacts/bench.json``; they are not tests and
assert nothing about speed.
"""
