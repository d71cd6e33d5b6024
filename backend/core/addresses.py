"""Network addresses: which are public, and the operator's list of hosts admitted besides.

Values only, parsed from the setting GRIDLINK_WEBHOOK_ALLOWED_HOSTS; where webhooks may be
sent is decided in backend/cases/webhook_targets.py.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# IPv6 ranges whose last 32 bits are an IPv4 address the packet ends up at.
NAT64 = ipaddress.ip_network("64:ff9b::/96")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
HOST_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    if address.version == 4:
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64 or address in IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    if not address.is_global or address.is_multicast:
        return False
    inner = embedded_ipv4(address)
    return inner is None or is_public(inner)


@dataclass(frozen=True)
class AllowedTargets:
    """GRIDLINK_WEBHOOK_ALLOWED_HOSTS: comma-separated host names, addresses and networks."""

    names: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, text: str) -> AllowedTargets:
        names, networks = set(), []
        for entry in (part.strip() for part in text.split(",")):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                name = entry.lower().rstrip(".")
                if not HOST_NAME.fullmatch(name):
                    raise ValueError(f"不是主机名、IP 地址或网段: {entry!r}") from None
                names.add(name)
        return cls(frozenset(names), tuple(networks))

    def admits(self, address: IPAddress) -> bool:
        return is_public(address) or any(address in network for network in self.networks)
