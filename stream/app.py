"""The Faust worker: probe results in; outages, segments, ledger, site status out.

The agent is thin: it takes batches of raw events (``take_events``), decodes each result
with pydantic straight from bytes, groups the batch by site, hands each site's results to
:class:`stream.processor.SiteProcessor` and produces what comes back. State is one compact
JSON value per site in the ``sites`` table (changelog-backed, so a SIGKILLed worker
recovers it), written once per site per batch.

Faust only lets a table key change "inside stream iteration" (it takes the changelog
partition from the current event). A batch is handled outside that context, so the agent
writes the table's store directly and sends the changelog record itself, to the partition
of the site's own events — exactly what Faust would do, once per site and batch instead
of once per message.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import faust
from pydantic import ValidationError

from sla.confirmation import ConfirmationConfig
from sla.contract import Contract
from sla.model import CheckResult
from slawatch import topics
from stream import faust_fetch, metrics
from stream.calendar_reader import read_calendar
from stream.faust_recovery import OrderedSeekTableManager
from stream.messages import DeadLetter, decode_error
from stream.processor import Calendar, Outputs, SiteProcessor, SiteRecord, new_record
from stream.topics import OUTPUT_TOPICS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StreamSettings:
    """Everything the worker needs (built from ``slawatch.yaml`` and the command line)."""

    bootstrap: str
    data_dir: Path
    topic_prefix: str = ""
    app_id: str = "slawatch-stream"
    partitions: int = 6
    replication_factor: int = 1
    web_port: int | None = None  # None: no web server
    batch_size: int = 5000
    batch_within_s: float = 0.2
    tick_interval_s: float = 1.0
    # A fetch waits for this much data or this long (stream.faust_fetch): a trickle of
    # results then arrives in batches instead of one fetch per record.
    fetch_min_bytes: int = 64 * 1024
    fetch_max_wait_s: float = 0.2
    # How soon a killed worker's partitions move to the others (Kafka's default is 45 s).
    session_timeout_s: float = 10.0
    contract: Contract = field(default_factory=Contract)
    confirmation: ConfirmationConfig = field(default_factory=ConfirmationConfig)
    site_confirmation: dict[str, ConfirmationConfig] = field(default_factory=dict)

    def config_for(self, site: str) -> ConfirmationConfig:
        """The site's confirmation rules (its own, else the defaults)."""
        return self.site_confirmation.get(site, self.confirmation)

    def topic(self, base: str) -> str:
        """A topic's full name under the prefix."""
        return topics.topic(base, self.topic_prefix)


@dataclass
class Counters:
    """What the worker did (logged on every tick that changed something)."""

    results: int = 0
    batches: int = 0
    dead: int = 0
    late: int = 0
    outages: int = 0


class StreamWorker:
    """The Faust app and its agent, timer and calendar task."""

    def __init__(self, settings: StreamSettings) -> None:
        self.settings = settings
        self.calendar = Calendar()
        self.calendar_loaded = asyncio.Event()
        self.counters = Counters()
        self._logged_results = 0
        self._waiting: dict[str, datetime] = {}  # site → arrival of its last buffered result
        self._ticked_generation = -1  # -1: look at every site on the first tick
        self.processor = SiteProcessor(
            settings.contract, settings.config_for, settings.topic(topics.PROBE_RESULTS)
        )
        self.app = self._build_app()

    # --- wiring -------------------------------------------------------------------------

    def _build_app(self) -> faust.App:
        s = self.settings
        app = faust.App(
            f"{s.topic_prefix}{s.app_id}",
            broker=f"kafka://{s.bootstrap}",
            store="memory://",
            datadir=str(s.data_dir),
            autodiscover=False,
            topic_replication_factor=s.replication_factor,
            topic_partitions=s.partitions,
            table_standby_replicas=0,
            web_enabled=s.web_port is not None,
            web_port=s.web_port or 6066,
            producer_linger_ms=5,
            stream_buffer_maxsize=max(4096, s.batch_size * 2),
            broker_max_poll_records=s.batch_size,
            consumer_auto_offset_reset="earliest",
            broker_session_timeout=s.session_timeout_s,
            broker_heartbeat_interval=min(3.0, s.session_timeout_s / 3),
            TableManager=OrderedSeekTableManager,  # a restart must not skip waiting results
        )
        faust_fetch.install(
            app, min_bytes=s.fetch_min_bytes, max_wait_ms=round(s.fetch_max_wait_s * 1000)
        )
        raw: dict[str, Any] = {"key_serializer": "raw", "value_serializer": "raw"}
        self.results_topic = app.topic(s.topic(topics.PROBE_RESULTS), **raw)
        self.out = {name: app.topic(s.topic(name), **raw) for name in OUTPUT_TOPICS}
        schema: Any = faust.Schema(
            key_type=str, value_type=bytes, key_serializer="json", value_serializer="raw"
        )
        self.table = app.Table("sites", partitions=s.partitions, schema=schema)
        app.agent(self.results_topic, name="confirm")(self._agent)
        app.timer(s.tick_interval_s)(self._tick)
        app.task(self._calendar_task)
        return app

    async def _calendar_task(self) -> None:
        await read_calendar(
            self.settings.bootstrap,
            self.settings.topic(topics.MAINTENANCE),
            self.settings.topic(topics.EXCLUSIONS),
            self.calendar,
            lambda key, value: self._send(topics.DEAD_LETTER, [(key or b"", value)]),
            self.calendar_loaded,
        )

    # --- the agent ----------------------------------------------------------------------

    async def _agent(self, stream: faust.StreamT) -> None:
        async for events in stream.take_events(  # type: ignore[attr-defined]
            self.settings.batch_size, within=self.settings.batch_within_s
        ):
            self.handle_batch(events, datetime.now(UTC))

    def handle_batch(self, events: Any, now: datetime) -> None:
        """Decode, group by site, process each site once, write state, produce outputs."""
        started = time.perf_counter()
        out = Outputs()
        by_site: dict[str, list[tuple[CheckResult, str, int]]] = defaultdict(list)
        partition_of: dict[str, int] = {}
        validate = CheckResult.model_validate_json
        for event in events:
            message = event.message
            try:
                result = validate(event.value)
            except ValidationError as exc:
                out.dead.append(self._dead_letter(message, decode_error(exc, "CheckResult"), now))
                continue
            by_site[result.site].append((result, str(message.partition), message.offset))
            partition_of[result.site] = message.partition
        for site, items in by_site.items():
            record = self._load(site)
            record.partition = partition_of[site]
            self.processor.process(record, items, now, self.calendar, out)
            self._store(site, record)
            if record.detector.buffer:
                self._waiting[site] = now
        self.counters.batches += 1
        self.counters.results += len(events)
        self._produce(out)
        metrics.BATCHES.inc()
        metrics.RESULTS.inc(len(events))
        metrics.BATCH_SIZE.observe(len(events))
        metrics.PROCESSING_SECONDS.observe(time.perf_counter() - started)

    def _dead_letter(self, message: Any, reason: str, now: datetime) -> tuple[bytes, bytes]:
        value = message.value if isinstance(message.value, bytes) else b""
        key = message.key.decode(errors="replace") if isinstance(message.key, bytes) else None
        letter = DeadLetter(
            source=f"{message.topic}/{message.partition}/{message.offset}",
            key=key,
            reason=reason,
            value=value.decode(errors="replace")[:10000],
            received_at=now,
        )
        return (message.key or b"", letter.model_dump_json().encode())

    # --- the timer ----------------------------------------------------------------------

    async def _tick(self) -> None:
        if self.app.rebalancing:
            return
        now = datetime.now(UTC)
        out = Outputs()
        for site in self._sites_to_tick(now):
            raw = self.table.data.get(site)
            if raw is None:
                self._waiting.pop(site, None)
                continue
            record = SiteRecord.from_bytes(raw)
            if self.processor.tick(record, now, self.calendar, out):
                self._store(site, record)
            if not record.detector.buffer:
                self._waiting.pop(site, None)
        if out.count():
            self._produce(out)
        if self.counters.results != self._logged_results:
            self._logged_results = self.counters.results
            log.info(
                "stream: processed results=%d batches=%d outages=%d late=%d dead=%d",
                self.counters.results,
                self.counters.batches,
                self.counters.outages,
                self.counters.late,
                self.counters.dead,
            )

    def _sites_to_tick(self, now: datetime) -> list[str]:
        """Every site when the calendar changed (or after a start), else the idle buffered ones.

        Loading every site's state each tick would cost more than the results themselves;
        ``_waiting`` (in memory) knows which sites hold buffered results and since when.
        """
        if self.calendar.generation != self._ticked_generation:
            self._ticked_generation = self.calendar.generation
            return [str(site) for site in self.table.data]
        return [
            site for site, arrived in self._waiting.items() if now - arrived >= self._idle_for(site)
        ]

    def _idle_for(self, site: str) -> timedelta:
        config = self.settings.config_for(site)
        return config.idle_flush if config.idle_flush is not None else config.grace

    # --- state and output ---------------------------------------------------------------

    def _load(self, site: str) -> SiteRecord:
        raw = self.table.data.get(site)
        return new_record(site) if raw is None else SiteRecord.from_bytes(raw)

    def _store(self, site: str, record: SiteRecord) -> None:
        raw = record.to_bytes()
        self.table.data[site] = raw
        self.table.send_changelog(record.partition, site, raw)

    def _produce(self, out: Outputs) -> None:
        self.counters.dead += len(out.dead)
        self.counters.late += len(out.late)
        self.counters.outages += len(out.outages)
        metrics.LATE_RESULTS.inc(len(out.late))
        metrics.count_outages([value for _, value in out.outages])
        self._send(topics.OUTAGES, out.outages)
        self._send(topics.SEGMENTS, out.segments)
        self._send(topics.LEDGER, out.ledger)
        self._send(topics.SITE_STATUS, out.status)
        self._send(topics.LATE_RESULTS, out.late)
        self._send(topics.DEAD_LETTER, out.dead)

    def _send(self, base: str, pairs: list[tuple[bytes, bytes]]) -> None:
        topic = self.out[base]
        for key, value in pairs:
            topic.send_soon(key=key, value=value)
        if pairs:
            metrics.MESSAGES_PRODUCED.labels(base).inc(len(pairs))
            if base == topics.DEAD_LETTER:
                metrics.DEAD_LETTERS.inc(len(pairs))


def run_worker(
    settings: StreamSettings,
    loglevel: str = "info",
    *,
    log_format: str = "text",
    metrics_host: str = "127.0.0.1",
    metrics_port: int | None = None,
    lag_interval_s: float = 5.0,
) -> int:
    """Run the worker in the foreground until SIGTERM/SIGINT; returns the exit status.

    With ``metrics_port``, ``/metrics`` is served from a thread (Faust owns the event loop)
    and, unless ``lag_interval_s`` is 0, a timer refreshes ``slawatch_consumer_lag`` of the
    worker's consumer group.
    """
    from slawatch.observability import refresh_lag, setup_logging, start_metrics_thread
    from stream.topics import ensure_topics

    json_logs = log_format == "json"
    if json_logs:  # text: Faust's own format, as before (tools parse its "[time] …" lines)
        setup_logging(log_format, loglevel.upper())
    start_metrics_thread(metrics_host, metrics_port)

    partitions = asyncio.run(
        ensure_topics(
            settings.bootstrap,
            settings.topic_prefix,
            settings.partitions,
            settings.replication_factor,
            settings.app_id,
        )
    )
    if partitions != settings.partitions:
        log.info("probe-results has %d partitions: the state table follows it", partitions)
        settings = _with_partitions(settings, partitions)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    worker = StreamWorker(settings)
    if metrics_port is not None and lag_interval_s > 0:
        group = worker.app.conf.id  # Faust's consumer group is the application id

        async def lag() -> None:
            await refresh_lag(settings.bootstrap, [group])

        worker.app.timer(lag_interval_s)(lag)
    # JSON: logging is set up above and Faust must not replace the handlers; its start-up
    # banner and spinner would be the only lines that are not JSON.
    faust_worker = faust.Worker(
        worker.app, loglevel=loglevel, override_logging=not json_logs, quiet=json_logs
    )
    if json_logs:
        faust_worker.spinner = None  # its terminal escapes would precede the first line
    faust_worker.execute_from_commandline()
    return 0


def _with_partitions(settings: StreamSettings, partitions: int) -> StreamSettings:
    from dataclasses import replace

    return replace(settings, partitions=partitions)


ConfigFor = Callable[[str], ConfirmationConfig]
