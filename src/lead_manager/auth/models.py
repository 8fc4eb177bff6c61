from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from lead_manager.core.db import Base


class RevokedToken(Base):
    """An access token signed out before it expired (`POST /api/v1/auth/logout`, `POST /logout`).

    Kept only until the token would have expired anyway; later rows are deleted when a token is
    revoked, so the table holds at most the sign-outs of one token lifetime.
    """

    __tablename__ = "revoked_tokens"
    __table_args__ = (Index("ix_revoked_tokens_expires_at", "expires_at"),)

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column()
