"""Keyset paging shared by every list: opaque cursors over (timestamp, id), newest first."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Annotated

import orjson
from fastapi import Depends, Query
from fastapi.exceptions import RequestValidationError

Cursor = tuple[datetime, uuid.UUID]
MAX_CURSOR_LENGTH = 200


def encode_cursor(at: datetime, row_id: uuid.UUID) -> str:
    raw = orjson.dumps([at.isoformat(), row_id.hex])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> Cursor:
    """ValueError for anything we did not issue."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise ValueError("cursor too long")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        stamp, row_id = orjson.loads(raw)
        parsed = datetime.fromisoformat(stamp)
        if parsed.tzinfo is None:
            raise ValueError("cursor timestamp without zone")
        return parsed, uuid.UUID(hex=row_id)
    except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
        raise ValueError("malformed cursor") from exc


def query_error(field: str, message: str, value: object) -> RequestValidationError:
    """A 422 naming a query parameter, in FastAPI's own shape."""
    return RequestValidationError(
        [{"type": "value_error", "loc": ("query", field), "msg": message, "input": value}]
    )


CursorQuery = Annotated[
    str | None,
    Query(max_length=MAX_CURSOR_LENGTH, description="`next_cursor` of the previous page"),
]


async def page_cursor(cursor: CursorQuery = None) -> Cursor | None:
    if not cursor:
        return None
    try:
        return decode_cursor(cursor)
    except ValueError:
        raise query_error("cursor", "malformed cursor", cursor) from None


PageCursor = Annotated[Cursor | None, Depends(page_cursor)]
