"""The alert engine: stream outputs in, typed alerts out (topic ``alerts``).

:mod:`slawatch.alerting.evaluator` holds the state and applies the pure rules of
:mod:`sla.alerts`, :mod:`sla.burnrate`, :mod:`sla.backup` and :mod:`sla.support`;
:mod:`slawatch.alerting.engine` is the Kafka loop around it (plain aiokafka, state
snapshotted with its input offsets to a compacted topic).
"""
