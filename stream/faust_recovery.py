"""Faust's table recovery with the stream partitions sought *before* they are resumed.

faust-streaming 0.15.3 ends a rebalance (``Recovery.on_recovery_completed`` and
``Recovery._resume_streams``) by resuming the stream partitions and only then seeking them
to their committed offsets. Its fetcher is already running at that point (it read the
changelogs), so records waiting in the topic — the normal case for a worker restarted after
a crash — can be fetched between the two steps. The seek then rewinds the position under
them while the fetch loop records a read offset past them: measured on our broker with a
SIGKILLed worker restarted onto two waiting records, the first was processed twice in about
half of the runs, and in others it was **never processed** (the read offset had moved past
it, so Faust dropped it when fetched again). Upstream fixed the same ordering for one branch
only (faust-streaming PR #217); this module applies it to both.

A second hole: aiokafka's ``seek_to_committed`` does not move a partition that has no
committed offset yet (a worker killed before its first commit), so records fetched and
dropped while the rebalance settled were never read again (measured: a restarted stream
worker whose partition stood at offset 21 with nothing processed). Such partitions are
sought to their beginning here, as ``consumer_auto_offset_reset="earliest"`` means.

Use it with ``faust.App(..., TableManager=OrderedSeekTableManager)``.
``tests/integration/test_faust_recovery.py`` restarts a worker onto waiting records and
checks each is counted exactly once.
"""

from __future__ import annotations

import asyncio

from faust.tables.manager import TableManager
from faust.tables.recovery import Recovery


class OrderedSeekRecovery(Recovery):
    """Recovery that seeks the stream partitions to their committed offsets, then resumes them."""

    async def on_recovery_completed(self, generation_id: int = 0) -> None:
        """Faust's body, with the seek moved before ``resume_partitions``."""
        self.log.info("Restore complete!")
        await self.app.on_rebalance_complete.send()
        self._set_recovery_ended()
        callbacks = [
            asyncio.ensure_future(
                table.on_recovery_completed(
                    self.actives_for_table[table], self.standbys_for_table[table]
                )
            )
            for table in self.tables.values()
        ]
        if callbacks:
            await asyncio.wait(callbacks)
        await self._resume(generation_id, standbys_ready=not self.app.assignor.assigned_standbys())

    async def _resume_streams(self, generation_id: int = 0) -> None:
        """Faust's body (no changelog to read), with the seek moved before the resume."""
        await self.app.on_rebalance_complete.send()
        await self._resume(generation_id, standbys_ready=True)

    async def _resume(self, generation_id: int, *, standbys_ready: bool) -> None:
        """The end both of Faust's paths share: seek, resume, start fetching, mark ready."""
        if self.app.consumer_generation_id != generation_id:
            self.log.warning("Recovery rebalancing again (generation %s)", generation_id)
            return
        await self._seek_then_resume()
        self.completed.set()
        self.app.flow_control.resume()
        self.app.consumer.resume_flow()
        await self.app._fetcher.maybe_start()  # type: ignore[attr-defined]
        self.tables.on_actives_ready()
        if standbys_ready:
            self.tables.on_standbys_ready()
        self.app.on_rebalance_end()
        self.log.info("Worker ready")

    async def _seek_then_resume(self) -> None:
        consumer = self.app.consumer
        streams = {tp for tp in consumer.assignment() if not self._is_changelog_tp(tp)}
        if not streams:
            self.log.info("Resuming streams with empty assignment")
            return
        # While paused, nothing of these partitions is handed to the agents, so no record
        # can be read at the old position and then again (or never) at the sought one.
        self.log.info("Seek stream partitions to committed offsets.")
        timeout = self.app.conf.broker_request_timeout
        await self._wait(consumer.perform_seek(), timeout=timeout)
        # aiokafka's seek_to_committed leaves a partition without a committed offset (or at
        # 0) where it is, so records fetched and dropped during the rebalance stay skipped.
        # Such a partition starts again from its beginning, as auto_offset_reset says.
        never_committed = [tp for tp in streams if not consumer._committed_offset.get(tp)]  # type: ignore[attr-defined]
        if never_committed and self.app.conf.consumer_auto_offset_reset == "earliest":
            self.log.info(
                "Partitions without a committed offset start from their beginning: %s",
                sorted(f"{tp.topic}[{tp.partition}]" for tp in never_committed),
            )
            earliest = await consumer.earliest_offsets(*never_committed)
            for tp, offset in earliest.items():
                await self._wait(consumer.seek(tp, offset), timeout=timeout)
        consumer.resume_partitions(streams)


class OrderedSeekTableManager(TableManager):
    """Faust's table manager, recovering through :class:`OrderedSeekRecovery`."""

    @property
    def recovery(self) -> Recovery:
        """The recovery service (created on first use, as Faust's own)."""
        if self._recovery is None:
            self._recovery = OrderedSeekRecovery(self.app, self, beacon=self.beacon, loop=self.loop)
        return self._recovery
