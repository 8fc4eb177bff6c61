"""structlog set-up: console output in development, JSON lines with LOG_FORMAT=json.

The request id lives in a contextvar (bound by the request-id middleware) so every line of a
request carries it, and the outbox copies it into the messages the request causes.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog

MASKED = "***"
# Anything address-shaped inside free text (an SMTP server's reply, an exception's message).
_ADDRESS_IN_TEXT = re.compile(r"[^\s<>()\[\]{}'\",;:@\\]+@[^\s<>()\[\]{}'\",;:@\\]+")


def mask_email(address: str) -> str:
    """`jane.doe@example.com` → `j***@example.com`: enough to correlate, not to identify."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}{MASKED}@{domain}" if domain else MASKED


def mask_emails_in(text: str) -> str:
    """Every address in `text` masked as `mask_email` does: for error messages that quote the
    recipient, e.g. `{'jane@example.com': (550, b'No such user')}`."""
    return _ADDRESS_IN_TEXT.sub(lambda match: mask_email(match.group()), text)


def configure_logging(level: str = "INFO", fmt: str = "console") -> None:
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    renderer: Any
    if fmt == "json":
        shared.append(structlog.processors.format_exc_info)
        renderer = structlog.processors.JSONRenderer()
    else:
        # Plain tracebacks: with `rich` or `better-exceptions` installed the default formatter
        # prints every frame's local variables, a plaintext password among them.
        renderer = structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's access log repeats what our request log line says, without the request id.
    logging.getLogger("uvicorn.access").handlers.clear()
    logging.getLogger("uvicorn.access").propagate = False
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
