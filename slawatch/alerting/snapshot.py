"""The alert engine's state snapshot as Kafka records that each stay far below the size limit.

A snapshot is the engine state's JSON, zlib-compressed and cut into chunks of at most
``CHUNK_BYTES``; each chunk is its own record on the compacted state topic, keyed
``<state_key>/chunk/<snapshot id>/<index>``. Once every chunk is acknowledged a *manifest*
is written under the key ``<state_key>`` itself: format marker, snapshot id, chunk count and
the SHA-256 of the compressed bytes. Restoring reads the latest manifest and the chunks it
names, so a snapshot interrupted half-way never replaces the last good one (its manifest is
not written). Chunks of replaced snapshots are deleted with tombstones after the next
manifest. A value under ``<state_key>`` that is not a manifest is a snapshot of the old
format (the state's plain JSON in one record) and is restored as such.

Everything here is pure (no I/O): the engine sends and reads the records.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from slawatch.alerting.evaluator import EngineState

FORMAT = "slawatch.alert-engine-state/zlib-chunks/1"
CHUNK_BYTES = 256 * 1024  # four records per MiB: far below Kafka's ~1 MB default
_COMPRESSION_LEVEL = 6


class SnapshotError(Exception):
    """A snapshot on the state topic that cannot be restored (missing or corrupt chunks)."""


class Manifest(BaseModel):
    """The record under ``<state_key>`` naming the chunks of the latest complete snapshot."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: str = FORMAT
    snapshot_id: str = Field(min_length=1)
    chunks: int = Field(ge=1)
    compressed_bytes: int = Field(ge=0)
    json_bytes: int = Field(ge=0)
    sha256: str


@dataclass(frozen=True)
class EncodedSnapshot:
    """The records of one snapshot: the chunks first, then the manifest (written last)."""

    chunks: list[tuple[bytes, bytes]]
    manifest: tuple[bytes, bytes]
    json_bytes: int

    @property
    def records(self) -> list[tuple[bytes, bytes]]:
        """Every record in write order (the manifest last)."""
        return [*self.chunks, self.manifest]


def chunk_prefix(state_key: str) -> bytes:
    """The key prefix of every chunk record of ``state_key``."""
    return f"{state_key}/chunk/".encode()


def chunk_key(state_key: str, snapshot_id: str, index: int) -> bytes:
    """The key of chunk ``index`` of snapshot ``snapshot_id``."""
    return chunk_prefix(state_key) + f"{snapshot_id}/{index}".encode()


def compress(state_json: bytes) -> bytes:
    """The zlib form of a state's JSON (CPU-bound: the engine runs it off the event loop)."""
    return zlib.compress(state_json, _COMPRESSION_LEVEL)


def encode(
    state_json: bytes,
    compressed: bytes,
    state_key: str,
    snapshot_id: str,
    chunk_bytes: int = CHUNK_BYTES,
) -> EncodedSnapshot:
    """Cut ``compressed`` (= :func:`compress` of ``state_json``) into keyed records."""
    pieces = [
        compressed[i : i + chunk_bytes] for i in range(0, max(len(compressed), 1), chunk_bytes)
    ]
    manifest = Manifest(
        snapshot_id=snapshot_id,
        chunks=len(pieces),
        compressed_bytes=len(compressed),
        json_bytes=len(state_json),
        sha256=hashlib.sha256(compressed).hexdigest(),
    )
    return EncodedSnapshot(
        chunks=[(chunk_key(state_key, snapshot_id, i), p) for i, p in enumerate(pieces)],
        manifest=(state_key.encode(), manifest.model_dump_json().encode()),
        json_bytes=len(state_json),
    )


def parse_manifest(value: bytes) -> Manifest | None:
    """The manifest in ``value``; ``None`` when it is an old-format (plain JSON) snapshot."""
    if not value.lstrip().startswith(b'{"format"'):
        return None
    data = json.loads(value)
    if data.get("format") != FORMAT:
        raise SnapshotError(f"unknown snapshot format {data.get('format')!r}")
    return Manifest.model_validate(data)


def decode(state_key: str, latest: Mapping[bytes, bytes]) -> EngineState | None:
    """The state of ``state_key`` from the latest value of every key on the state topic.

    ``None`` when there is no snapshot; :class:`SnapshotError` when the manifest names
    chunks that are missing or do not match its checksum.
    """
    value = latest.get(state_key.encode())
    if value is None:
        return None
    manifest = parse_manifest(value)
    if manifest is None:  # old format: the state's JSON in one record
        return EngineState.model_validate_json(value)
    pieces = []
    for index in range(manifest.chunks):
        piece = latest.get(chunk_key(state_key, manifest.snapshot_id, index))
        if piece is None:
            raise SnapshotError(
                f"snapshot {manifest.snapshot_id}: chunk {index} of {manifest.chunks} is missing"
            )
        pieces.append(piece)
    compressed = b"".join(pieces)
    if hashlib.sha256(compressed).hexdigest() != manifest.sha256:
        raise SnapshotError(f"snapshot {manifest.snapshot_id}: checksum mismatch")
    return EngineState.model_validate_json(zlib.decompress(compressed))


def stale_chunks(state_key: str, latest: Mapping[bytes, bytes], keep: str | None) -> set[bytes]:
    """Keys of live chunk records of ``state_key`` that belong to no snapshot but ``keep``."""
    prefix = chunk_prefix(state_key)
    current = prefix + f"{keep}/".encode() if keep is not None else None
    return {
        key
        for key in latest
        if key.startswith(prefix) and (current is None or not key.startswith(current))
    }
