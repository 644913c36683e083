"""Probe workers: site registry, probers, the check runner, the schedule and the region worker.

See the README section "Probes" and ``probes/worker.py`` for the design.
"""
