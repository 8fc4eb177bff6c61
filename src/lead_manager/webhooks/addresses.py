"""Where a webhook may be sent: http(s) URLs whose host resolves only to public addresses.

Checked at registration and again at every delivery (a name can be pointed elsewhere later);
the delivery then connects to the very address that was checked, never to a second lookup of
the name (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_LENGTH = 2000
# NAT64's well-known prefix: such an address reaches the IPv4 address it embeds.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class UnsafeTargetError(ValueError):
    """The URL is not one a webhook may be sent to; the message says why, for people."""


@dataclass(frozen=True, slots=True)
class Target:
    url: str
    scheme: str
    # As written (lower case); `ascii_host` is its IDNA form, for SNI and the Host header.
    host: str
    ascii_host: str
    port: int
    # Path and query, as sent in the request line.
    target: str
    is_ip_literal: bool

    @property
    def host_header(self) -> str:
        return f"[{self.ascii_host}]" if ":" in self.ascii_host else self.ascii_host


def parse(url: str) -> Target:
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeTargetError(f"must be at most {MAX_URL_LENGTH} characters")
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in url):
        raise UnsafeTargetError("must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeTargetError(f"is not a valid URL ({exc})") from None
    if parts.scheme not in {"http", "https"}:
        raise UnsafeTargetError("must be an http:// or https:// URL")
    if not parts.hostname:
        raise UnsafeTargetError("must name a host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeTargetError("must not carry a user name or password")
    if parts.fragment:
        raise UnsafeTargetError("must not have a #fragment")
    host = parts.hostname
    try:
        ipaddress.ip_address(host)
        is_ip_literal = True
        ascii_host = host
    except ValueError:
        is_ip_literal = False
        try:
            ascii_host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise UnsafeTargetError(f"host {host!r} is not a valid host name") from None
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    default_port = 443 if parts.scheme == "https" else 80
    return Target(url, parts.scheme, host, ascii_host, port or default_port, target, is_ip_literal)


def is_public(address: IPAddress) -> bool:
    """Reachable on the internet: not loopback, private, link-local, multicast, reserved,
    unspecified or shared (carrier-grade NAT) space, also when wrapped in an IPv6 address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public(address.ipv4_mapped)
        if address in _NAT64:
            return is_public(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return address.is_global and not (
        address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or address.is_loopback
        or address.is_link_local
        or address.is_private
    )


def resolve(target: Target, *, allow_private: bool) -> list[IPAddress]:
    """Every address the host resolves to, all of them allowed (one that is not refuses the
    whole name: otherwise a name with a public and a private answer would get through)."""
    try:
        infos = socket.getaddrinfo(
            target.ascii_host, target.port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeTargetError(f"host {target.host!r} does not resolve ({exc})") from None
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        # Scope ids ("fe80::1%eth0") are link-local anyway, and refused below.
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not allow_private:
        refused = [str(address) for address in addresses if not is_public(address)]
        if refused:
            raise UnsafeTargetError(
                f"host {target.host!r} resolves to a loopback, private, link-local or reserved "
                f"address ({', '.join(refused)}); set WEBHOOK_ALLOW_PRIVATE=true to allow it"
            )
    if not addresses:
        raise UnsafeTargetError(f"host {target.host!r} does not resolve")
    return addresses


def check(url: str, *, allow_private: bool) -> Target:
    """At registration: the URL is well-formed and its host resolves to allowed addresses."""
    target = parse(url)
    resolve(target, allow_private=allow_private)
    return target
