"""GET /api/v1/leads?q=: served by the substring index, with exactly the semantics of the scan.

The semantics (case-insensitive substring of the first name, the last name, "first last" or the
email; `%` and `_` literal) are checked against the statement search used before the index,
run by the same database, so each backend's own case folding is the reference.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import (
    Engine,
    String,
    create_engine,
    delete,
    literal_column,
    make_url,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from lead_manager.core.migrations import upgrade_to_head
from lead_manager.leads import listing
from lead_manager.leads.models import Lead, LeadStatus
from lead_manager.leads.schemas import LeadFilters
from tests.conftest import Account, LiveServer, scratch_postgres

PEOPLE = [
    ("Margaret", "Thatcher", "maggie@example.com"),
    ("John", "Smith", "john@lawmail.example"),
    ("JOHN", "SMITHERS", "J.Smithers@Example.ORG"),
    ("Anne-Marie", "O'Neil", "anne.marie+leads@example.net"),
    ("100%", "Sure", "pct@example.com"),
    ("Under_score", "Name", "under_score@example.com"),
    ("Plain", "Person", "plain@example.com"),
    ("Zoë", "Ångström", "zoe@example.se"),
    ('Say "Hi"', "Quote", "quote@example.com"),
    ("Al", "Li", "al.li@example.com"),
]

QUERIES = [
    # one and two characters: below a trigram, the scan serves them
    "a",
    "J",
    "%",
    "_",
    "Li",
    "e.",
    " ",
    "ë",
    # three and more: the index serves them
    "mar",
    "SMITH",
    "smith",
    "john smith",
    "John Smith",
    "n S",
    "Al Li",
    "l L",
    "lawmail",
    "example",
    "EXAMPLE.ORG",
    "+leads@",
    "@example.com",
    "0%",
    "100%",
    "r_s",
    "er_sc",
    "%%%",
    "___",
    "Ångström",
    "Zoë Å",
    "oë",
    '"Hi"',
    'Say "',
    "O'Neil",
    "' OR 1=1 --",
    "nobody",
    "tchert",
]


def _add_leads(api: LiveServer, people: list[tuple[str, str, str]]) -> list[uuid.UUID]:
    start = datetime(2030, 1, 1, tzinfo=UTC)
    leads = [
        Lead(
            first_name=first,
            last_name=last,
            email=email,
            status=LeadStatus.PENDING.value if n % 3 else LeadStatus.REACHED_OUT.value,
            resume_key=uuid.uuid4().hex,
            resume_filename="resume.pdf",
            resume_content_type="application/pdf",
            resume_size=100,
            created_at=start + timedelta(seconds=n // 2),  # pairs share an instant
        )
        for n, (first, last, email) in enumerate(people)
    ]
    with api.session() as session:
        session.add_all(leads)
        session.commit()
        return [lead.id for lead in leads]


def _scan_semantics(engine: Engine, q: str, status: LeadStatus | None = None) -> list[str]:
    """The leads the search matched before the index: four ILIKEs, newest first."""
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    full_name = Lead.first_name + literal_column("' '", String) + Lead.last_name
    stmt = (
        select(Lead.id)
        .where(
            or_(
                Lead.first_name.ilike(pattern, escape="\\"),
                Lead.last_name.ilike(pattern, escape="\\"),
                Lead.email.ilike(pattern, escape="\\"),
                full_name.ilike(pattern, escape="\\"),
            )
        )
        .order_by(Lead.created_at.desc(), Lead.id.desc())
    )
    if status is not None:
        stmt = stmt.where(Lead.status == status.value)
    with engine.connect() as connection:
        return [str(row_id) for row_id in connection.scalars(stmt)]


def _search(client: httpx.Client, q: str, **params: str | int) -> list[str]:
    found: list[str] = []
    cursor: str | None = None
    while True:
        query = {"q": q, "limit": 3, **params, **({"cursor": cursor} if cursor else {})}
        response = client.get("/api/v1/leads", params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        found += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return found


@pytest.fixture
def people(api: LiveServer) -> list[uuid.UUID]:
    return _add_leads(api, PEOPLE)


@pytest.fixture(params=["few matches", "many matches"])
def search_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Both ways a page is built: from the index's matches, and (a common term) by the scan in
    list order. The server runs in this process, so lowering the threshold reaches it."""
    if request.param == "many matches":
        monkeypatch.setattr(listing, "SEARCH_INDEX_MAX_MATCHES", 1)
    yield str(request.param)


def test_search_matches_the_scan_semantics(
    api: LiveServer, attorney: Account, people: list[uuid.UUID], search_path: str
) -> None:
    for q in QUERIES:
        expected = _scan_semantics(api.engine, q)
        assert _search(attorney.client, q) == expected, q
    # The data does reach what the semantics promise: matches over several pages, a query
    # spanning first and last name in both cases, `%` and `_` as plain characters.
    assert len(_search(attorney.client, "example")) == len(PEOPLE)
    assert len(_search(attorney.client, "john smith")) == 2  # John Smith, JOHN SMITHERS
    assert len(_search(attorney.client, "0%")) == 1
    assert len(_search(attorney.client, "r_s")) == 1


def test_search_with_status_filter_and_paging(
    api: LiveServer, attorney: Account, people: list[uuid.UUID], search_path: str
) -> None:
    for q in ("example", "ex", "smith", "e"):
        expected = _scan_semantics(api.engine, q, LeadStatus.PENDING)
        assert expected
        assert _search(attorney.client, q, status="PENDING") == expected, q


def test_index_follows_renames_and_deletions(
    api: LiveServer, attorney: Account, people: list[uuid.UUID]
) -> None:
    thatcher, smith = people[0], people[1]
    with api.session() as session:
        session.execute(
            update(Lead)
            .where(Lead.id == thatcher)
            .values(last_name="Roberts", email="mr@x.example")
        )
        session.execute(delete(Lead).where(Lead.id == smith))
        session.commit()
    assert _search(attorney.client, "thatcher") == []
    assert _search(attorney.client, "maggie") == []
    assert _search(attorney.client, "Margaret Roberts") == [str(thatcher)]
    assert _search(attorney.client, "mr@x.ex") == [str(thatcher)]
    assert _search(attorney.client, "lawmail") == []
    assert _search(attorney.client, "smith") == _scan_semantics(api.engine, "smith")
    assert len(_search(attorney.client, "smith")) == 1  # SMITHERS only


def _plan(api: LiveServer, q: str) -> str:
    """The database's plan for the page of a search with few matches, as the app builds it."""
    with api.session() as session:
        stmt = listing._search_page(session.connection(), LeadFilters(q=q), q).limit(51)
        compiled = stmt.compile(dialect=api.engine.dialect)
        connection = session.connection()
        if api.engine.dialect.name == "postgresql":
            # On a table this small a sequential scan costs less; off, the plan shows whether
            # the trigram indexes can serve this exact expression.
            connection.execute(text("SET LOCAL enable_seqscan = off"))
            rows = connection.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params)
        else:
            params = tuple(compiled.params[name] for name in compiled.positiontup or ())
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params)
        return "\n".join(str(row[-1]) for row in rows)


def test_a_search_of_three_characters_or_more_goes_through_the_index(
    api: LiveServer, people: list[uuid.UUID]
) -> None:
    plan = _plan(api, "smith")
    if api.engine.dialect.name == "postgresql":
        assert "ix_leads_name_trgm" in plan and "ix_leads_email_trgm" in plan, plan
    else:
        assert "leads_search VIRTUAL TABLE" in plan, plan
        assert "SEARCH leads USING INTEGER PRIMARY KEY (rowid=?)" in plan, plan


def test_migration_without_pg_trgm_leaves_search_working(live_server: LiveServer) -> None:
    """A role that may not create the extension: the migration warns, the search still works."""
    if live_server.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    role = "lead_manager_no_trgm"
    with live_server.engine.connect() as connection:
        if not connection.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}):
            connection.execute(text(f"CREATE ROLE {role} LOGIN"))
            connection.commit()
    scratch = make_url(scratch_postgres("no_trgm"))
    owner = create_engine(scratch)
    with owner.begin() as connection:
        # The role owns what it migrates but has no CREATE on the database: no extension.
        connection.execute(text(f"GRANT ALL ON SCHEMA public TO {role}"))
    owner.dispose()
    as_role = scratch.set(username=role).render_as_string(hide_password=False)
    upgrade_to_head(as_role)
    engine = create_engine(as_role)
    try:
        with engine.connect() as connection:
            indexes = connection.scalars(
                text("SELECT indexname FROM pg_indexes WHERE tablename = 'leads'")
            ).all()
        assert "ix_leads_name_trgm" not in indexes and "ix_leads_status_created" in indexes
        with Session(engine) as session:
            session.add(
                Lead(
                    first_name="John",
                    last_name="Smith",
                    email="john@example.com",
                    resume_key="k",
                    resume_filename="resume.pdf",
                    resume_content_type="application/pdf",
                    resume_size=1,
                )
            )
            session.flush()
            for q in ("n Smi", "xyz"):
                rows = listing.page(session.connection(), LeadFilters(q=q), None)
                assert [row.first_name for row in rows] == (["John"] if q != "xyz" else [])
    finally:
        engine.dispose()
