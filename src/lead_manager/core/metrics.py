"""Prometheus metrics: process-wide counters and histograms, plus outbox gauges read at scrape.

Counters live in prometheus-client's default registry (one per process). With several uvicorn
workers set PROMETHEUS_MULTIPROC_DIR (see README) and the scrape merges every worker's values.
The outbox backlog is counted in the database at scrape time, so it is right whichever process
(serve or worker) sent the mail.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Connection, Engine

__all__ = ["CONTENT_TYPE_LATEST", "render"]

REQUEST_LATENCY = Histogram(
    "lead_manager_http_request_duration_seconds",
    "HTTP request latency by route template (unmatched paths share one label).",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
LEADS_CREATED = Counter("lead_manager_leads_created", "Leads stored (API and web form).")
HONEYPOT_HITS = Counter(
    "lead_manager_honeypot_hits", "Submissions that filled the honeypot field (dropped as spam)."
)
LOGIN_FAILURES = Counter(
    "lead_manager_login_failures", "Failed logins (wrong password, unknown or inactive user)."
)
LOGIN_THROTTLED = Counter(
    "lead_manager_login_throttled", "Logins refused with 429 by the rate limit."
)
EMAILS_SENT = Counter(
    "lead_manager_emails_sent", "Emails handed to the mail transport by this process."
)
EMAILS_FAILED = Counter(
    "lead_manager_emails_failed", "Failed delivery attempts in this process.", ["permanent"]
)

WEBHOOKS_SENT = Counter(
    "lead_manager_webhooks_sent", "Webhook deliveries a receiver accepted (2xx), this process."
)
WEBHOOKS_FAILED = Counter(
    "lead_manager_webhooks_failed",
    "Failed webhook delivery attempts in this process.",
    ["permanent"],
)

UNMATCHED_ROUTE = "<unmatched>"


class BacklogCollector(Collector):
    """`lead_manager_outbox_messages{status}` counted in the database at scrape time."""

    def __init__(
        self, engine: Engine, count_backlog: Callable[[Connection], dict[str, int]]
    ) -> None:
        self.engine = engine
        self.count_backlog = count_backlog

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "lead_manager_outbox_messages",
            "Outbox messages (emails) by delivery status.",
            labels=["status"],
        )
        try:
            with self.engine.connect() as connection:
                counts = self.count_backlog(connection)
        except Exception:  # the database is down: /readyz reports that; leave the gauge out
            return
        for status, count in counts.items():
            family.add_metric([status], count)
        yield family


def backlog_registry(
    engine: Engine, count_backlog: Callable[[Connection], dict[str, int]]
) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(BacklogCollector(engine, count_backlog))
    return registry


def render(app_registry: CollectorRegistry) -> bytes:
    """The exposition text: this process's (or all workers') metrics, then the app's gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        merged = CollectorRegistry()
        MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
        process_text = generate_latest(merged)
    else:
        process_text = generate_latest(REGISTRY)
    return process_text + generate_latest(app_registry)
