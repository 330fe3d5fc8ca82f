"""Side-by-side benchmarks of segments-orm and segments-ai (see run.py)."""
