from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class DayCount(BaseModel):
    date: date
    count: int


class SourceCount(BaseModel):
    source: str
    count: int


class FirstResponse(BaseModel):
    # Minutes from submission to the first status change, over the leads that had one.
    median_minutes: float | None
    p90_minutes: float | None
    # Of the leads whose outcome is known (responded, or unanswered past the SLA): answered
    # within FIRST_RESPONSE_SLA_MINUTES. Null when none is known yet or the SLA is off (0).
    within_sla_percent: float | None


class AttorneyStats(BaseModel):
    user_id: uuid.UUID
    full_name: str
    assigned: int
    responded: int
    median_first_response_minutes: float | None


class Stats(BaseModel):
    # `from` is a Python keyword: the field is from_, the JSON name "from".
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    from_: date = Field(alias="from")
    to: date
    total: int
    by_status: dict[str, int]
    by_day: list[DayCount]
    by_source: list[SourceCount]
    first_response: FirstResponse
    by_attorney: list[AttorneyStats]
