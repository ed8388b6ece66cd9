"""Benchmarks: ingest throughput, ask latency and memory, written down with the machine."""
