"""Domain errors raised by services; the app maps each to one HTTP status (see main.py)."""

from __future__ import annotations


class DomainError(Exception):
    status_code = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ForbiddenError(DomainError):
    status_code = 403


class NotFoundError(DomainError):
    status_code = 404


class ConflictError(DomainError):
    status_code = 409


class InvalidInputError(DomainError):
    """422, rendered like FastAPI's own validation errors: `loc` is [location, field]."""

    status_code = 422

    def __init__(self, detail: str, field: str, location: str = "body") -> None:
        super().__init__(detail)
        self.field = field
        self.location = location


class PayloadTooLargeError(DomainError):
    status_code = 413


class UnsupportedMediaTypeError(DomainError):
    status_code = 415
