"""A session's per-second series (heart rate, power): packed, stored, read back, summarized.

One row per session and signal (``session_series``), the samples packed as
two little-endian 16-bit arrays: offsets (seconds from the start, at most
6 h = 21,600) and values (bpm or watts). Every writer of samples (ingest, the
demo and benchmark cohorts) goes through :func:`series_rows` and
:func:`store_series`, so the layout is decided here only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select

from server.extensions import db
from server.models import SessionSeries
from server.services.bulk import copy_rows
from shared.samples import (
    HeartRateZone,
    PackedSeries,
    SeriesSummary,
    columns,
    pack,
    summarize,
    unpack,
)

HEART_RATE = "hr"
POWER = "power"
SIGNALS = (HEART_RATE, POWER)
COLUMNS = ("session_id", "signal", "count", "offsets", "values")

Series = Sequence[tuple[int, int]] | PackedSeries


def series_rows(session_id: int, series: dict[str, Series]) -> list[tuple]:
    """Rows of ``session_series`` (in :data:`COLUMNS` order) for one session's signals."""
    rows = []
    for signal, samples in series.items():
        if samples:
            offsets, values = columns(samples)
            rows.append((session_id, signal, len(samples), pack(offsets, "H"), pack(values, "h")))
    return rows


def store_series(rows: Sequence[tuple]) -> None:
    """Insert rows built by :func:`series_rows` in the current transaction (COPY on PostgreSQL)."""
    copy_rows(db.session, SessionSeries.__table__, COLUMNS, rows)


def read_series(session_ids: Iterable[int], signal: str) -> dict[int, list[tuple[int, int]]]:
    """``{session_id: [(offset_s, value), ...]}`` for the sessions that have the signal."""
    ids = list(session_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(SessionSeries.session_id, SessionSeries.offsets, SessionSeries.values)
        .where(SessionSeries.session_id.in_(ids), SessionSeries.signal == signal))
    return {sid: list(zip(unpack(offsets, "H"), unpack(values, "h"), strict=True))
            for sid, offsets, values in rows}


def summary_columns(hr_samples: Series, zone: HeartRateZone) -> dict[str, int | None]:
    """Session columns measured from the heart-rate samples: time in zone and above ceiling,
    and the mean and maximum the tablet left out."""
    summary: SeriesSummary = summarize(hr_samples, zone)
    return {"hr_in_zone_s": summary.in_zone_s, "hr_above_ceiling_s": summary.above_ceiling_s,
            "hr_mean": summary.mean, "hr_max": summary.maximum}
