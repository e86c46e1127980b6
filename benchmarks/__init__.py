"""Benchmarks for scaffold: generated services against bare gin and axum, generation, builds.

Run from the repository root with `python -m benchmarks` (or `scripts/bench`, which also sets up
.venv and installs wrk); `--quick` is a short smoke run. See benchmarks/README.md.
"""
