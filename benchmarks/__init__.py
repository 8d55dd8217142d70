"""Benchmark suite: `python -m benchmarks all --device cpu|cuda [--quick]`, or one subcommand per benchmark.

Scripts, not tests: each prints one JSON record per benchmark and appends it to benchmarks/results.jsonl
(or --out PATH; --out - prints only). See docs/PERFORMANCE.md for the tables and how they were measured.
"""
