"""Which webhook URLs a store may send to.

A server refuses URLs whose host resolves to a loopback, link-local, private, multicast
or otherwise reserved address (a request from inside the network on behalf of a user is
server-side request forgery) unless its operator allows them (``allow_private``: the
``--allow-private-webhooks`` flag, or ``ARCHIVIST_WEBHOOK_ALLOW`` naming hosts or networks).
The embedded store sends wherever its user says. The check runs when a webhook is saved
and again before every request (an address may change). A request goes to the very
address that was checked (``target_of``): the URL's host is resolved once per attempt and
the connection made to that IP, with ``Host`` and the TLS server name set to the original
host, so a name that resolves elsewhere a moment later (DNS rebinding) cannot slip through.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from archivist.core.errors import InvalidInputError, PermissionDeniedError

MAX_URL_LENGTH = 2048


@dataclass(frozen=True)
class UrlPolicy:
    allow_private: bool = False
    allowed: tuple[str, ...] = ()
    """Host names or networks (``10.0.0.0/8``, ``hooks.internal``) allowed although private."""

    @classmethod
    def everywhere(cls) -> UrlPolicy:
        return cls(allow_private=True)


def validate_url(url: object) -> str:
    if not isinstance(url, str) or len(url) > MAX_URL_LENGTH:
        raise InvalidInputError(f"invalid webhook URL {url!r}: use an http:// or https:// URL")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise InvalidInputError(
            f"invalid webhook URL {url!r}: use an http:// or https:// URL without credentials"
        )
    return url


@dataclass(frozen=True)
class Target:
    """Where one request goes: ``url`` (its host an IP when pinned), the ``Host`` header
    and TLS server name to send (``None``: the URL's own)."""

    url: str
    host_header: str | None = None
    server_name: str | None = None


def check_url(url: str, policy: UrlPolicy) -> None:
    """``PermissionDeniedError`` when the policy refuses the URL's addresses."""
    target_of(url, policy)


def target_of(url: str, policy: UrlPolicy) -> Target:
    """Resolve the URL's host once, check every address, and pin the request to the first
    (``PermissionDeniedError`` when one is refused). Hosts the policy allows outright are
    not pinned: nothing about their addresses is checked."""
    parts = urlsplit(validate_url(url))
    host = parts.hostname or ""
    if policy.allow_private or host in policy.allowed:
        return Target(url)
    try:
        port = parts.port
    except ValueError:
        raise InvalidInputError(f"invalid port in webhook URL {url!r}") from None
    default = 443 if parts.scheme == "https" else 80
    try:
        infos = socket.getaddrinfo(host, port or default, proto=socket.IPPROTO_TCP)
    except OSError as error:
        raise InvalidInputError(f"webhook URL {url!r}: cannot resolve {host!r} ({error})") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    for address in addresses:
        if _refused(address) and not _in_allowed(address, policy.allowed):
            raise PermissionDeniedError(
                f"webhook URL {url!r} resolves to the non-public address {address}; this server sends "
                "webhooks to public addresses only unless its operator allows others "
                "(archivist server --allow-private-webhooks, or ARCHIVIST_WEBHOOK_ALLOW=host,network)"
            )
    if not addresses:
        raise InvalidInputError(f"webhook URL {url!r}: {host!r} has no address")
    pinned = addresses[0]
    literal = f"[{pinned}]" if pinned.version == 6 else str(pinned)
    netloc = f"{literal}:{port}" if port else literal
    return Target(
        urlunsplit(parts._replace(netloc=netloc)),
        host_header=parts.netloc,
        server_name=host if parts.scheme == "https" else None,
    )


def _refused(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def _in_allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address, allowed: Sequence[str]) -> bool:
    for entry in allowed:
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False
