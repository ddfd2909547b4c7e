"""The parts of benchmarks/run.py: workers, servers, sizes, environment and report."""
