"""uvicorn's httptools protocol with a bound on the request head (request line + headers).

httptools (llhttp) has no header size limit and uvicorn's `h11_max_incomplete_event_size` only
applies to the slower h11 protocol, so a client could stream megabytes of header into memory.
This keeps httptools' speed and answers 431 once a head grows past MAX_REQUEST_HEAD_BYTES.

No public API serves (uvicorn has no head limit for httptools), so this subclasses its protocol:
pyproject bounds uvicorn below 1.0 and tests/core/test_server_limits.py fails if the hooks used
here change.
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# Generous for cookies and bearer tokens; nginx's default allows four 8 KiB buffers.
MAX_REQUEST_HEAD_BYTES = 32 * 1024

_TOO_LARGE = b"Request header fields too large."
_RESPONSE_431 = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: " + str(len(_TOO_LARGE)).encode() + b"\r\n"
    b"connection: close\r\n\r\n" + _TOO_LARGE
)


class BoundedHeadHttpToolsProtocol(HttpToolsProtocol):
    _in_head = True
    _head_bytes = 0

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_bytes = 0

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # Counted after parsing: if the head is still incomplete, all of `data` belonged to it.
        if not self._in_head or self.transport is None or self.transport.is_closing():
            return
        self._head_bytes += len(data)
        if self._head_bytes > MAX_REQUEST_HEAD_BYTES:
            self.logger.warning("request head too large; connection closed")
            self.transport.write(_RESPONSE_431)
            self.transport.close()
