"""The indicator tables of a year as last computed (the nightly job, or on demand)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import UTCDateTime


class IndicatorSnapshot(db.Model):
    """A year's figures for every programme, computed at ``computed_at``; replaced when
    computed again. Aggregates only: counts and shares, no patient."""

    __tablename__ = "indicator_snapshots"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # One entry per programme: its figures (value, numerator, denominator, parts, extra).
    tables: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
