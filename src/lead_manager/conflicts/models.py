from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from lead_manager.core.db import Base, new_id, utcnow


class PartyKind(StrEnum):
    CLIENT = "client"
    FORMER_CLIENT = "former_client"
    ADVERSE_PARTY = "adverse_party"
    RELATED_PARTY = "related_party"


class ConflictStatus(StrEnum):
    CLEAR = "clear"
    POTENTIAL = "potential"
    CLEARED = "cleared"
    CONFIRMED = "confirmed"


class NameRole(StrEnum):
    """Which of a lead's names: the prospect's own, or one of the other side's."""

    PROSPECT = "prospect"
    OPPOSING_PARTY = "opposing_party"


class Party(Base):
    """One entry of the firm's conflict register."""

    __tablename__ = "parties"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('client', 'former_client', 'adverse_party', 'related_party')", name="kind"
        ),
        Index("ix_parties_created", "created_at", "id"),
        Index("ix_parties_email_key", "email_key"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    email_key: Mapped[str | None] = mapped_column(String(320), default=None)
    matter: Mapped[str | None] = mapped_column(String(200), default=None)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PartyNameKey(Base):
    """A blocking key of a party's name (conflicts.names): the register is searched through
    these, never read whole. The key comes first in the primary key, so candidates are one
    index range, and the normalised name rides along for scoring."""

    __tablename__ = "party_name_keys"
    __table_args__ = (Index("ix_party_name_keys_party", "party_id"), {"sqlite_with_rowid": False})

    key: Mapped[str] = mapped_column(String(48), primary_key=True)
    name_length: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    party_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("parties.id", ondelete="CASCADE"), primary_key=True
    )
    name_key: Mapped[str] = mapped_column(String(600))


class LeadNameKey(Base):
    """A blocking key of one of a lead's names: the prospect's (similar leads, and conflicts
    with later opposing parties) or an opposing party's (conflicts with later prospects)."""

    __tablename__ = "lead_name_keys"
    __table_args__ = (Index("ix_lead_name_keys_lead", "lead_id"), {"sqlite_with_rowid": False})

    key: Mapped[str] = mapped_column(String(48), primary_key=True)
    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    name_length: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    lead_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True
    )
    name_key: Mapped[str] = mapped_column(String(600), primary_key=True)
    # As written, for the hit's `name` (no lookup in the leads).
    name: Mapped[str] = mapped_column(String(320))


class ConflictHit(Base):
    """What the intake check found for a lead: kept as found (a party deleted later, or an
    earlier lead changed, does not rewrite what the attorney was told)."""

    __tablename__ = "conflict_hits"
    __table_args__ = (Index("ix_conflict_hits_lead", "lead_id", "position"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(SmallInteger)
    source: Mapped[str] = mapped_column(String(10))
    ref_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(20))
    matched: Mapped[str] = mapped_column(String(16))
    query: Mapped[str] = mapped_column(String(320))
    score: Mapped[float] = mapped_column(Float)
