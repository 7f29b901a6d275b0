"""Benchmarks: `python -m voicecoach.bench NAME` prints tables (accuracy, latency, memory)."""
