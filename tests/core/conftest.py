from __future__ import annotations

from collections.abc import Iterator

import pytest

from lead_manager.core.migrations import upgrade_to_head
from tests.conftest import LiveServer, make_settings, start_server

ALLOWED_ORIGIN = "https://intake.example"
METRICS_TOKEN = "metrics-scrape-token-0123456789"


@pytest.fixture(scope="module")
def configured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server behind a trusted proxy (127.0.0.1), with CORS and a metrics token configured."""
    directory = tmp_path_factory.mktemp("configured")
    url = f"sqlite:///{directory / 'lead_manager.db'}"
    upgrade_to_head(url)
    server = start_server(
        make_settings(
            directory,
            url,
            trusted_proxies=["127.0.0.1"],
            cors_origins=[ALLOWED_ORIGIN],
            metrics_token=METRICS_TOKEN,
        )
    )
    yield server
    server.stop()
    server.engine.dispose()
