"""Benchmarks of sciplane against a real gunicorn server and a real PostgreSQL.

Run with ``python -m bench`` from the repository root; see ``bench/README.md``.
"""
