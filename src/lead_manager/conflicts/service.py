"""The conflict register and the intake's check: business rules, no HTTP."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import permutations
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA
from sqlalchemy.orm import Session

from lead_manager.audit import repository as audit
from lead_manager.audit.models import AuditAction
from lead_manager.conflicts import repository
from lead_manager.conflicts.models import NameRole, Party
from lead_manager.conflicts.names import (
    MIN_LENGTH,
    NameKey,
    blocking_keys,
    lead_key_rows,
    length_window,
    normalise,
    party_key_rows,
    similarity,
)
from lead_manager.conflicts.repository import Candidate, KeyQuery, as_uuid
from lead_manager.conflicts.schemas import PartyCreate, PartyPage, PartyRead
from lead_manager.core.db import new_id, utcnow
from lead_manager.core.errors import NotFoundError
from lead_manager.core.matching_keys import email_key
from lead_manager.core.pagination import Cursor, encode_cursor
from lead_manager.core.request_meta import RequestMeta

# The most hits kept for one lead, best first.
MAX_HITS = 50


@dataclass(frozen=True, slots=True)
class Hit:
    source: str  # "party" | "lead"
    ref_id: uuid.UUID
    name: str
    kind: str
    matched: str  # which of the new lead's names: "prospect" | "opposing_party"
    query: str
    score: float


@dataclass(frozen=True, slots=True)
class NameQuery:
    matched: NameRole
    text: str
    key: NameKey


def name_key_rows(
    lead_id: uuid.UUID, prospect: str, opposing: Sequence[str]
) -> list[dict[str, Any]]:
    """The blocking-key rows of a lead's names, one per key and distinct normalised name."""
    names = [(NameRole.PROSPECT.value, prospect)]
    names += [(NameRole.OPPOSING_PARTY.value, name) for name in opposing]
    return lead_key_rows(lead_id, names)


def check(
    session: Session,
    *,
    prospect: str,
    prospect_email: str,
    opposing: Sequence[str],
    threshold: float,
) -> list[Hit]:
    """The prospect and each opposing party against the register and the earlier leads."""
    queries = [NameQuery(NameRole.PROSPECT, prospect, normalise(prospect))]
    queries += [NameQuery(NameRole.OPPOSING_PARTY, n, normalise(n)) for n in opposing]
    queries = [q for q in queries if q.key.text]
    hits: dict[tuple[str, uuid.UUID, str], Hit] = {}

    def keep(hit: Hit) -> None:
        slot = (hit.source, hit.ref_id, hit.matched)
        if slot not in hits or hits[slot].score < hit.score:
            hits[slot] = hit

    windows = [length_window(len(q.key), threshold) for q in queries]
    block_keys = [frozenset(blocking_keys(q.key)) for q in queries]
    register = [KeyQuery(keys, *w) for keys, w in zip(block_keys, windows, strict=True)]
    party_scores = score_candidates(
        queries, repository.party_candidates(session, register), threshold
    )
    parties = repository.parties_by_id(session, {owner for _q, owner, _c, _s in party_scores})
    for query, owner, _candidate, score in party_scores:
        if owner in parties:
            party = parties[owner]
            keep(Hit("party", owner, party.name, party.kind, query.matched, query.text, score))
    for party in repository.parties_by_email_key(session, email_key(prospect_email)):
        keep(Hit("party", party.id, party.name, party.kind, "prospect", prospect_email, 1.0))

    # A prospect named as the other side earlier, or an opposing party who was a prospect.
    other_role = {
        NameRole.PROSPECT: NameRole.OPPOSING_PARTY,
        NameRole.OPPOSING_PARTY: NameRole.PROSPECT,
    }
    earlier = [
        KeyQuery(keys, *w, role=other_role[q.matched].value)
        for q, keys, w in zip(queries, block_keys, windows, strict=True)
    ]
    for query, owner, candidate, score in score_candidates(
        queries, repository.lead_candidates(session, earlier), threshold
    ):
        _number, _owner, name_key, role, name = candidate
        keep(Hit("lead", owner, name or name_key, role or "", query.matched, query.text, score))
    return sorted(hits.values(), key=lambda h: (-h.score, h.source, h.name))[:MAX_HITS]


def score_candidates(
    queries: Sequence[NameQuery], candidates: Sequence[Candidate], minimum: float
) -> list[tuple[NameQuery, uuid.UUID, Candidate, float]]:
    """Each candidate scored against the name whose block it came from; those reaching
    `minimum`.

    A block can hold hundreds of names sharing a common word; rapidfuzz first measures them all
    in one call per word order of the query (its sorted order, and for names of up to three words
    every other order, which stands in for setting shared words aside), keeping those within
    reach of `minimum` with two edits to spare; only those get the exact score.
    """
    groups: dict[int, list[Candidate]] = {}
    for candidate in candidates:
        groups.setdefault(candidate[0], []).append(candidate)
    scored: list[tuple[NameQuery, uuid.UUID, Candidate, float]] = []
    for number, group in groups.items():
        query = queries[number]
        texts = [candidate[2] for candidate in group]
        longest = max(len(query.key), max(map(len, texts)), MIN_LENGTH)
        reach = math.floor((1.0 - minimum) * longest + 1e-9) + 2
        orders = {query.key.text}
        if len(query.key.tokens) <= 3:
            orders.update(" ".join(order) for order in permutations(query.key.tokens))
        close: set[int] = set()
        for text in orders:
            found = process.extract(
                text, texts, scorer=OSA.distance, score_cutoff=reach, limit=None
            )
            close.update(index for _text, _distance, index in found)
        for index in sorted(close):
            candidate = group[index]
            other = NameKey(candidate[2], tuple(candidate[2].split(" ")))
            score = similarity(query.key, other)
            if score >= minimum:
                scored.append((query, as_uuid(candidate[1]), candidate, score))
    return scored


def hit_rows(lead_id: uuid.UUID, hits: Sequence[Hit]) -> list[dict[str, Any]]:
    return [
        {
            "id": new_id(),
            "lead_id": lead_id,
            "position": position,
            "source": hit.source,
            "ref_id": hit.ref_id,
            "name": hit.name[:320],
            "kind": hit.kind,
            "matched": hit.matched,
            "query": hit.query[:320],
            "score": hit.score,
        }
        for position, hit in enumerate(hits)
    ]


# --- the register ---------------------------------------------------------------------------


def party_rows(
    data: Sequence[PartyCreate], actor: uuid.UUID | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows of new parties and of their name keys, for one executemany each."""
    now = utcnow()
    parties: list[dict[str, Any]] = []
    keys: list[dict[str, Any]] = []
    for item in data:
        party_id = new_id()
        email = str(item.email) if item.email else None
        parties.append(
            {
                "id": party_id,
                "name": item.name,
                "kind": item.kind.value,
                "email": email,
                "email_key": email_key(email) if email else None,
                "matter": item.matter,
                "created_by": actor,
                "created_at": now,
            }
        )
        keys.extend(party_key_rows(party_id, item.name))
    return parties, keys


def create_party(
    session: Session, data: PartyCreate, *, actor: uuid.UUID | None, meta: RequestMeta
) -> Party:
    parties, keys = party_rows([data], actor)
    repository.add_parties(session, parties, keys)
    party_id = parties[0]["id"]
    audit.record(
        session,
        AuditAction.PARTY_CREATED,
        actor=actor,
        target=str(party_id),
        meta=meta,
        kind=data.kind.value,
    )
    party = repository.get_party(session, party_id)
    assert party is not None
    return party


def delete_party(
    session: Session, party_id: uuid.UUID, *, actor: uuid.UUID, meta: RequestMeta
) -> None:
    party = repository.get_party(session, party_id)
    if party is None:
        raise NotFoundError("Party not found.")
    repository.delete_party(session, party_id)
    audit.record(
        session,
        AuditAction.PARTY_DELETED,
        actor=actor,
        target=str(party_id),
        meta=meta,
        kind=party.kind,
    )


def list_parties(session: Session, q: str | None, limit: int, after: Cursor | None) -> PartyPage:
    rows = repository.page_parties(session, q, limit, after)
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(last.created_at, last.id)
    return PartyPage(
        items=[PartyRead.model_validate(row) for row in rows[:limit]], next_cursor=next_cursor
    )
