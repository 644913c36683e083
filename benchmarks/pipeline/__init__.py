"""Pieces of the end-to-end pipeline benchmark (``bench_pipeline.py``).

``targets``: the local target servers with a down switch; ``procs``: peak memory and CPU
of each process from ``/proc``; ``observe``: offsets, consumer lag and the outage/alert
events seen on Kafka; ``figures``: rates and percentiles; ``orchestrate``: the run itself
(a child process of its own, since chDB allows one embedded engine per process).
"""
