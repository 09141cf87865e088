"""Benchmarks with budgets, run by hand and in CI in a short mode."""
