"""Fault injection: slawatch's guarantees, each with the test that proves it.

Every test listed is marked ``faults``: ``make test-faults`` (``pytest -m faults
--run-slow-faults``) runs them all; ``make test`` runs all but the ``slow_faults`` ones, which
it skips with the reason. Kafka and ClickHouse are the real ones (brokers of the test's own
where one is killed; chDB in process); ``slawatch stream`` runs as a subprocess, the probe
worker, sink, alert engine and notifier in the test's event loop.

Guarantees → tests (``F`` = tests/faults)

Broker faults
  A single broker SIGKILLed and restarted under load: every result a probe worker reports
  as published is stored exactly once, and probes → stream → sink resume (an outage that
  starts after the restart is confirmed and stored).
    F/test_broker_faults.py::test_single_broker_killed_and_restarted_loses_nothing
  One node of a three-node cluster (RF 3, min ISR 2, acks=all) SIGKILLed under the same flow.
    F/test_broker_faults.py::test_one_of_three_brokers_killed_loses_nothing  (slow)
  An acknowledged message survives the SIGKILL of its partition leader.
    tests/integration/test_three_brokers.py::test_killing_the_leader_loses_no_acknowledged_message
  Kafka away: a probe worker's buffer stays bounded, the schedule waits, nothing is shed,
  every check is published once.
    tests/probes/test_worker_kafka.py::test_kafka_away_fills_the_buffer_slows_checks_and_loses_nothing
    (slow)

Poison messages (truncated JSON, wrong types, 900 KB of binary junk, unknown schema_version,
non-UTF-8 bytes, a null value), each followed by a good message
  Stream (probe-results, maintenance, exclusions): each in ``dead-letter`` with its reason;
  the good result, window and exclusion after them are applied.
    F/test_poison.py::test_stream_dead_letters_poison_on_its_three_inputs_and_goes_on
  Sink (all eight topics): dead-lettered with a bounded quote, no flush ever fails, the good
  row is stored.
    F/test_poison.py::test_sink_dead_letters_poison_on_all_its_topics_and_stores_the_good
  Alert engine (its six inputs): dead-lettered, the good messages applied to its state.
    F/test_poison.py::test_alert_engine_dead_letters_poison_on_all_inputs_and_applies_the_good
  Notifier (alerts, maintenance): in ``notify-dead-letter``, the good notices delivered.
    F/test_poison.py::test_notifier_dead_letters_poison_on_alerts_and_maintenance_and_delivers_the_good
  Probe workers (sites; a null value there is the documented removal, a keyless entry is
  poison): dead-lettered, the good site checked.
    F/test_poison.py::test_probe_worker_dead_letters_bad_sites_and_checks_the_good

Hostile targets
  Targets that hang, never answer, flood, send a 10 GB body or dribble hold neither the
  worker (a healthy neighbour checked on every slot, on time; no skipped slot) nor its memory
  (RSS growth measured, bounded at 40 MB while the floods push tens of MB).
    F/test_hostile_targets.py::test_hostile_targets_hold_neither_the_worker_nor_its_memory
  One check against an endless, huge or dribbling body or a slow answer ends at
  max_body_bytes or the timeout, never past the interval.
    tests/probes/test_probers.py::test_http_endless_body_is_cut_at_max_body_bytes,
    test_http_huge_body_is_refused, test_http_dribbling_endless_body_hits_the_timeout,
    test_http_too_slow_is_a_timeout, test_timeout_never_exceeds_the_interval

Crashes and outages of a component
  The stream worker SIGKILLed mid-stream and restarted onto a backlog: the month's ledger
  equals an undisturbed run's.
    tests/stream/test_worker.py::test_sigkill_and_restart_give_the_same_ledger
  A Faust worker SIGKILLed restores its table from the changelog and counts the records that
  waited for it exactly once (stream.faust_recovery).
    tests/integration/test_faust_recovery.py::test_killed_worker_restores_its_table_from_the_changelog
  The sink SIGKILLed between the ClickHouse write and the offset commit: every row once in
  the table and the rollups.
    tests/sinks/test_crash_kafka.py::test_killed_mid_batch_and_restarted_stores_everything_once
  The store away for a while: the sink pauses, retries with backoff, holds one batch,
  catches up; nothing lost or doubled.
    tests/sinks/test_runner_kafka.py::test_store_away_then_back_everything_once_memory_bounded
  A probe worker SIGKILLed: its sites are checked by the other worker within session
  timeout + heartbeat + interval.
    tests/probes/test_worker_kafka.py::test_two_workers_share_sites_and_a_killed_ones_sites_move

Dead-letter formats: the stream writes ``stream.messages.DeadLetter`` (``source`` =
``topic/partition/offset``); the sink, the alert engine and the probe workers write
:func:`slawatch.dead_letters.dead_letter_json` (``source_topic``, ``partition``, ``offset``,
``reason``, ``component``, a quote of at most 10 000 characters and ``value_bytes``); the
notifier writes ``notify-dead-letter`` (``key`` = ``topic[partition]@offset``, ``error``).
"""
