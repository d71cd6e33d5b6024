"""Where a webhook may send: to public addresses, or to what the operator lists.

An admin types a webhook's URL, but the server fetches it, from inside the network: left alone
it would reach the cloud's metadata service (169.254.169.254), an internal admin port or
anything on localhost, and the delivery log would hand the answers to the department. So every
address the URL's host resolves to must be globally routable — `ipaddress`'s is_global, not
multicast, and an IPv4 address carried inside IPv6 (mapped, 6to4, NAT64) global too — or lie in
a network listed in GRIDLINK_WEBHOOK_ALLOWED_HOSTS. A name listed there is admitted whatever it
resolves to; `localhost` and `*.localhost` are this machine whatever DNS says (RFC 6761).

The host is resolved by the same getaddrinfo a connection would use, so every way of writing an
address (2130706433, 0x7f000001, 0177.0.0.1, 127.1, [::ffff:127.0.0.1], a trailing dot) is read
the way the system reads it rather than by a parser of ours that could disagree. The sender
resolves once, checks, and connects to the address it checked (`pin`), the URL's own host kept
in the Host header and the TLS server name: a DNS answer that changes between the check and the
connection (rebinding) is never used.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

import httpx

from backend.core.addresses import AllowedTargets, IPAddress

DEFAULT_PORTS = {"http": 80, "https": 443}


class NotAllowed(Exception):
    """The URL's host is, or resolves to, an address no webhook may be sent to."""

    def __init__(self, host: str, address: str | None = None) -> None:
        super().__init__(host, address)
        self.host, self.address = host, address

    def __str__(self) -> str:
        named = self.address in (None, self.host)
        where = self.host if named else f"{self.host} (即 {self.address})"
        return (f"目标地址不允许: {where} 是本机、内网或保留地址; 如确需发送到该地址, "
                f"请运维人员在 GRIDLINK_WEBHOOK_ALLOWED_HOSTS 中列出")


def plain_host(url: httpx.URL) -> str:
    """The URL's host as a name to compare: lower case (httpx's), no trailing dot."""
    return url.host.rstrip(".")


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to, in the system's order; socket.gaierror if none."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = []
    for *_, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])  # no IPv6 zone (%eth0)
        if address.version == 6 and address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # what a dual-stack socket reaches: one address, one way
        addresses.append(address)
    return list(dict.fromkeys(addresses))


def checked_addresses(url: httpx.URL, allowed: AllowedTargets) -> list[IPAddress]:
    """The addresses `url` may be sent to: all that its host resolves to, each one admitted.

    Raises NotAllowed (naming the address refused), or socket.gaierror when the name does
    not resolve.
    """
    host = plain_host(url)
    port = url.port or DEFAULT_PORTS.get(url.scheme, 0)
    if host in allowed.names:
        return resolve(host, port)
    if host == "localhost" or host.endswith(".localhost"):
        raise NotAllowed(host)
    addresses = resolve(host, port)
    for address in addresses:
        if not allowed.admits(address):
            raise NotAllowed(host, str(address))
    return addresses


def refusal(url: str, allowed: AllowedTargets) -> str | None:
    """Why a webhook may not be registered for `url` (None: it may).

    A name that does not resolve now is accepted: the department's system may not be online
    yet, and the sender checks every address again each time it sends.
    """
    try:
        checked_addresses(httpx.URL(url), allowed)
    except NotAllowed as exc:
        return str(exc)
    except (OSError, UnicodeError):  # gaierror; a name the resolver cannot even encode
        return None
    return None


@dataclass(frozen=True)
class PinnedTarget:
    """A request to the checked address, as if to the URL's host."""

    url: httpx.URL  # the URL with the checked address for its host
    host_header: str  # the URL's own host[:port]
    extensions: dict  # the TLS server name (and so the certificate checked) is the URL's host


def pin(url: str, allowed: AllowedTargets) -> PinnedTarget:
    """Resolve and check `url`'s host now, and aim the request at the first address found.

    Raises NotAllowed, or OSError when the name does not resolve.
    """
    parsed = httpx.URL(url)
    address = checked_addresses(parsed, allowed)[0]
    return PinnedTarget(url=parsed.copy_with(host=str(address)),
                        host_header=parsed.netloc.decode("ascii"),
                        extensions={"sni_hostname": plain_host(parsed)})
