"""Benchmarks and the synthetic data they run on (not run by CI)."""
