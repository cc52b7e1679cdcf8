"""Where webhooks may go: https to public addresses only, unless the operator allows a target.

A subscriber's URL is checked when it subscribes and again before each delivery, after the
name is resolved: the post then goes to the very address that was checked, so a name that
later resolves to 127.0.0.1 or 169.254.169.254 reaches nothing inside our network.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import httpx

from dispatcher.notify.errors import DeliveryError
from dispatcher.settings import Settings

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

HTTPS_REQUIRED = "Адрес должен начинаться с https://"
NO_HOST = "В адресе нет имени сервера"
LOCAL_NAMES = ("localhost", "localhost.localdomain")
SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: internal, not global
NAT64 = ipaddress.ip_network("64:ff9b::/96")

# why an address is internal, in the words a client system's developer reads
KINDS = {
    "unspecified": "неопределённый адрес (0.0.0.0 или ::)",
    "loopback": "адрес самого сервера диспетчерской (loopback)",
    "link_local": "локальный адрес канала (link-local, в том числе метаданные облака)",
    "multicast": "групповой адрес (multicast)",
    "reserved": "зарезервированный адрес",
    "private": "адрес внутренней сети",
}
# kinds an operator's WEBHOOK_ALLOW_PRIVATE lets through; the rest only by the allow-list
PRIVATE_KINDS = frozenset({"loopback", "private"})


class TargetRefused(DeliveryError):
    """A webhook target we do not post to; `message` is Russian, for the client and the desk."""

    code = "target_refused"


def _embedded(address: IpAddress) -> IpAddress:
    """The IPv4 address an IPv6 one carries (mapped, NAT64, 6to4, Teredo), else itself."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if address.sixtofour is not None:
            return address.sixtofour
        if address.teredo is not None:
            return address.teredo[1]
    return address


def kind(address: IpAddress) -> str | None:
    """Which internal kind an address is, or None for a public (global) one."""
    address = _embedded(address)
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link_local"
    if address.is_multicast:
        return "multicast"
    if address.is_reserved:
        return "reserved"
    if address.is_private or address in SHARED or not address.is_global:
        return "private"
    return None


def system_resolver(host: str, port: int) -> list[str]:
    """Every address a name resolves to (TCP)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _literal(host: str) -> IpAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class TargetPolicy:
    """The operator's choice: `allowed` hosts and networks may be internal and plain http;
    `allow_private` lets any loopback or private address through (over https)."""

    allow_private: bool = False
    hosts: frozenset[str] = frozenset()
    networks: tuple[IpNetwork, ...] = ()
    resolver: Resolver = field(default=system_resolver, compare=False)

    @classmethod
    def parse(
        cls,
        allowed: str | Iterable[str],
        allow_private: bool = False,
        resolver: Resolver | None = None,
    ) -> TargetPolicy:
        """From `WEBHOOK_ALLOWED_TARGETS`: host names, addresses and networks, comma separated."""
        items = allowed.split(",") if isinstance(allowed, str) else list(allowed)
        hosts: set[str] = set()
        networks: list[IpNetwork] = []
        for raw in items:
            item = raw.strip().lower()
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item.strip("[]"), strict=False))
            except ValueError:
                hosts.add(item.rstrip("."))
        return cls(allow_private, frozenset(hosts), tuple(networks), resolver or system_resolver)

    def _listed(self, host: str, address: IpAddress | None) -> bool:
        if host.lower().rstrip(".") in self.hosts:
            return True
        return address is not None and any(
            address.version == n.version and address in n for n in self.networks
        )

    def check_address(self, host: str, address: IpAddress) -> None:
        """Raise `TargetRefused` for an internal address the operator has not allowed."""
        found = kind(address)
        if found is None or self._listed(host, address):
            return
        if self.allow_private and found in PRIVATE_KINDS:
            return
        shown = host if str(address) == host.strip("[]") else f"{host} ({address})"
        raise TargetRefused(
            f"Адрес {shown} — {KINDS[found]}: уведомления туда не отправляются. "
            "Укажите общедоступный адрес https:// или попросите администратора "
            "диспетчерской разрешить этот адрес"
        )

    def check_url(self, url: str) -> httpx.URL:
        """The scheme and, for a literal address or a local name, the host (no DNS here)."""
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, ValueError) as exc:
            raise TargetRefused(HTTPS_REQUIRED) from exc
        host = parsed.host
        if parsed.scheme not in ("https", "http"):
            raise TargetRefused(HTTPS_REQUIRED)
        if not host:
            raise TargetRefused(NO_HOST)
        address = _literal(host)
        if parsed.scheme == "http" and not self._listed(host, address):
            raise TargetRefused(HTTPS_REQUIRED)
        if address is not None:
            self.check_address(host, address)
        elif host.lower().rstrip(".") in LOCAL_NAMES or host.lower().endswith(".localhost"):
            self.check_address(host, ipaddress.ip_address("127.0.0.1"))
        return parsed

    def resolve(self, url: str) -> tuple[httpx.URL, str]:
        """Check a URL and resolve its host now: (the URL to post to, the checked address).

        Every address of the name must be allowed (a name with one public and one internal
        address is refused), and the post goes to the first of them."""
        parsed = self.check_url(url)
        host = parsed.host
        literal = _literal(host)
        if literal is not None:
            return parsed, str(literal)
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        found = [a for a in (_literal(r) for r in self.resolver(host, port)) if a is not None]
        if not found:
            raise OSError(f"no address for {host}")
        for address in found:
            self.check_address(host, address)
        return parsed, str(found[0])


def from_settings(settings: Settings) -> TargetPolicy:
    """The installation's policy: `WEBHOOK_ALLOWED_TARGETS`, `WEBHOOK_ALLOW_PRIVATE`."""
    return TargetPolicy.parse(settings.webhook_allowed_targets, settings.webhook_allow_private)
