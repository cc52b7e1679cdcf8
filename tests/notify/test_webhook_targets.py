"""Webhook targets: https to public addresses only, checked at subscription and again after
DNS at each delivery; a deleted subscription keeps its history."""

from __future__ import annotations

import ipaddress
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dispatcher.notify import targets
from dispatcher.notify.delivery_state import DeliveryState
from dispatcher.notify.errors import SendFailed
from dispatcher.notify.targets import TargetPolicy, TargetRefused
from dispatcher.notify.templates import UNSUBSCRIBED
from dispatcher.notify.webhooks import WebhookSender
from dispatcher.services import accounts
from dispatcher.storage.database import Database
from tests.conftest import DEMO_MO, auth
from tests.notify.conftest import Pipeline, make_call, subscribe
from tests.notify.receiver import Receiver
from tests.notify.smsc import Smsc

SUBSCRIPTIONS = "/api/v1/webhooks/subscriptions"

# (address, its kind: None for a public one)
ADDRESSES = [
    ("93.184.216.34", None),
    ("2a00:1450:4010:c0e::65", None),
    ("127.0.0.1", "loopback"),
    ("127.10.20.30", "loopback"),
    ("::1", "loopback"),
    ("10.1.2.3", "private"),
    ("172.16.0.9", "private"),
    ("192.168.1.1", "private"),
    ("100.64.0.1", "private"),  # carrier-grade NAT
    ("fd12:3456::1", "private"),
    ("169.254.169.254", "link_local"),  # cloud metadata
    ("fe80::1", "link_local"),
    ("224.0.0.1", "multicast"),
    ("ff02::1", "multicast"),
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
    ("240.0.0.1", "reserved"),
    ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
    ("::ffff:169.254.169.254", "link_local"),
    ("::ffff:10.0.0.1", "private"),
    ("64:ff9b::a9fe:a9fe", "link_local"),  # NAT64 of 169.254.169.254
    ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
    ("::ffff:93.184.216.34", None),
]


@pytest.mark.parametrize(("address", "expected"), ADDRESSES)
def test_address_kinds(address: str, expected: str | None) -> None:
    assert targets.kind(ipaddress.ip_address(address)) == expected


# (url, allowed targets, allow_private, refused with these words or None: accepted)
URLS = [
    ("https://mis.example/hook", "", False, None),
    ("http://mis.example/hook", "", False, "https://"),
    ("ftp://mis.example/hook", "", False, "https://"),
    ("http://169.254.169.254/latest/meta-data/", "", False, "https://"),
    ("https://169.254.169.254/latest/meta-data/", "", False, "link-local"),
    ("https://127.0.0.1:8443/hook", "", False, "loopback"),
    ("https://localhost/hook", "", False, "loopback"),
    ("https://api.localhost/hook", "", False, "loopback"),
    ("https://[::1]/hook", "", False, "loopback"),
    ("https://[::ffff:10.0.0.1]/hook", "", False, "внутренней сети"),
    ("https://10.20.30.40/hook", "", False, "внутренней сети"),
    ("https://0.0.0.0/hook", "", False, "неопределённый"),
    ("https://10.20.30.40/hook", "", True, None),
    ("https://127.0.0.1/hook", "", True, None),
    ("https://169.254.169.254/hook", "", True, "link-local"),  # private ≠ link-local
    ("http://10.20.30.40/hook", "", True, "https://"),
    ("http://10.20.30.40/hook", "10.20.0.0/16", False, None),
    ("http://mis.local:8080/hook", "mis.local", False, None),
    ("https://169.254.169.254/hook", "169.254.169.254", False, None),
    ("https://10.20.30.40/hook", "10.99.0.0/16", False, "внутренней сети"),
]


@pytest.mark.parametrize(("url", "allowed", "private", "refused"), URLS)
def test_subscription_url_policy(
    url: str, allowed: str, private: bool, refused: str | None
) -> None:
    policy = TargetPolicy.parse(allowed, private)
    if refused is None:
        policy.check_url(url)
        return
    with pytest.raises(TargetRefused) as caught:
        policy.check_url(url)
    assert refused in caught.value.message


def test_resolved_name_is_checked_every_address() -> None:
    names = {"mixed.example": ["93.184.216.34", "10.0.0.5"], "ok.example": ["93.184.216.34"]}
    policy = TargetPolicy.parse("", resolver=lambda host, port: names[host])
    assert policy.resolve("https://ok.example/hook")[1] == "93.184.216.34"
    with pytest.raises(TargetRefused, match=r"mixed\.example \(10\.0\.0\.5\)"):
        policy.resolve("https://mixed.example/hook")


def _token(db: Database, scopes: list[str]) -> str:
    with db.session() as session:
        return accounts.create_token(session, "+".join(scopes), scopes, [DEMO_MO])


def test_api_refuses_internal_and_plain_http_targets_with_422(
    client: TestClient, db: Database
) -> None:
    token = _token(db, ["webhooks"])
    for url in (
        "http://169.254.169.254/latest/meta-data/",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::ffff:192.168.0.10]/hook",
        "https://[::1]:8443/hook",
        "http://mis.example/hook",
        "http://10.0.0.7/hook",
    ):
        answer = client.post(SUBSCRIPTIONS, json={"url": url}, headers=auth(token))
        assert answer.status_code == 422, url
        (error,) = answer.json()["errors"]
        assert error["field"] == "url" and error["code"] == "invalid_url"
        assert "https://" in error["message"], error["message"]
    listed = client.get(SUBSCRIPTIONS, headers=auth(token)).json()["items"]
    assert listed == []
    # the suite's settings allow the loopback receivers, as an operator would
    allowed = client.post(SUBSCRIPTIONS, json={"url": "http://127.0.0.1:9/h"}, headers=auth(token))
    assert allowed.status_code == 201


def test_delivery_refused_after_dns_to_an_internal_address_is_not_retried(
    pipeline: Pipeline, db: Database, receiver: Receiver
) -> None:
    # the name was fine at subscription; now it resolves to the cloud's metadata address
    subscribe(db, "https://hooks.partner.example/events")
    names = {"hooks.partner.example": ["169.254.169.254"]}
    pipeline.context.webhooks.policy = TargetPolicy.parse(
        "127.0.0.1", resolver=lambda host, port: names[host]
    )
    make_call(db, phone=None)
    pipeline.run()
    (dead,) = pipeline.deliveries(channel="webhook")
    assert dead.state == DeliveryState.DEAD.value and dead.attempts == 1
    assert dead.last_error is not None
    assert dead.last_error.startswith("Отправка запрещена: Адрес hooks.partner.example")
    assert "169.254.169.254" in dead.last_error and "link-local" in dead.last_error
    assert receiver.requests == 0


def test_delivery_refused_when_the_operator_no_longer_allows_the_target(
    pipeline: Pipeline, db: Database, receiver: Receiver
) -> None:
    _, receiver.secret = subscribe(db, receiver.url)
    pipeline.context.webhooks.policy = TargetPolicy()  # the allow-list emptied meanwhile
    make_call(db, phone=None)
    pipeline.run()
    (dead,) = pipeline.deliveries(channel="webhook")
    assert dead.state == DeliveryState.DEAD.value and dead.attempts == 1
    assert "https://" in (dead.last_error or "") and receiver.requests == 0


def test_delivery_goes_to_the_checked_address_of_the_name(
    pipeline: Pipeline, db: Database, receiver: Receiver
) -> None:
    """The post goes to the address resolved and checked at delivery, under the name's Host:
    `receiver.test` has no DNS record anywhere, so only the pinned address can reach it."""
    port = receiver.url.split(":")[2].split("/")[0]
    policy = TargetPolicy.parse(
        "receiver.test", resolver=lambda host, _: ["127.0.0.1"] if host == "receiver.test" else []
    )
    pipeline.context.webhooks.policy = policy
    _, receiver.secret = subscribe(db, f"http://receiver.test:{port}/hook", allowed="receiver.test")
    make_call(db, phone=None)
    pipeline.run()
    assert receiver.statuses() == ["new"] and receiver.bad_signatures == 0
    assert receiver.hosts == [f"receiver.test:{port}"]


def test_deleted_subscription_keeps_its_history_and_gets_nothing_more(
    client: TestClient, db: Database, pipeline: Pipeline, receiver: Receiver, smsc: Smsc
) -> None:
    client.app.state.services.settings = pipeline.settings  # type: ignore[attr-defined]
    admin = _token(db, ["webhooks", "admin", "calls:read", "calls:write"])
    subscription_id, receiver.secret = subscribe(db, receiver.url)
    make_call(db, phone=None)
    pipeline.run()  # delivered
    receiver.fail_next = 10
    make_call(db, phone=None)
    pipeline.run()  # dead after its tries
    waiting = make_call(db, phone=None)
    pipeline.consume()  # recorded and enqueued, not sent yet
    before = {d.id: d.state for d in pipeline.deliveries(channel="webhook")}
    assert sorted(before.values()) == ["dead", "queued", "sent"]

    gone = client.delete(f"{SUBSCRIPTIONS}/{subscription_id}", headers=auth(admin))
    assert gone.status_code == 204
    again = client.delete(f"{SUBSCRIPTIONS}/{subscription_id}", headers=auth(admin))
    assert again.status_code == 404
    receiver.fail_next = 0
    pipeline.drain()
    make_call(db, phone=None)
    pipeline.run()

    after = {d.id: d for d in pipeline.deliveries(channel="webhook")}
    assert set(after) == set(before)  # history kept, nothing new planned
    (skipped,) = pipeline.deliveries(call_id=waiting)
    assert skipped.state == DeliveryState.SKIPPED.value and skipped.last_error == UNSUBSCRIBED
    assert receiver.statuses() == ["new"]
    listed = client.get(SUBSCRIPTIONS, headers=auth(admin)).json()["items"]
    assert [(s["id"], s["active"]) for s in listed] == [(subscription_id, False)]
    dead = client.get("/api/v1/notifications/dead-letters", headers=auth(admin)).json()["items"]
    assert [d["channel"] for d in dead] == ["webhook"]
    refused = client.post(f"/api/v1/notifications/{dead[0]['id']}/retry", headers=auth(admin))
    assert refused.status_code == 409 and "Подписка удалена" in refused.json()["message"]


@pytest.fixture
def tls_receiver(tmp_path: Path) -> Iterator[tuple[int, Path, list[str]]]:
    """An https receiver on loopback with a certificate for `receiver.test` only."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make the test certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    command = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=receiver.test"
    subprocess.run(
        [
            *command.split(),
            "-keyout",
            key,
            "-out",
            cert,
            "-addext",
            "subjectAltName=DNS:receiver.test",
        ],
        check=True,
        capture_output=True,
    )
    hosts: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            hosts.append(self.headers.get("Host", ""))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1]), cert, hosts
    server.shutdown()
    server.server_close()


def test_https_to_the_pinned_address_checks_the_certificate_of_the_name(
    tls_receiver: tuple[int, Path, list[str]],
) -> None:
    port, cert, hosts = tls_receiver
    trust = ssl.create_default_context(cafile=str(cert))
    loopback = ["127.0.0.1"]
    allowed = TargetPolicy.parse("receiver.test,other.test", resolver=lambda *_: loopback)
    sender = WebhookSender(5.0, allowed, verify=trust)
    try:
        assert sender.send(f"https://receiver.test:{port}/hook", "s", "{}", "1:1") == 200
        assert hosts == [f"receiver.test:{port}"]
        # the same address under a name the certificate does not carry: refused by TLS
        with pytest.raises(SendFailed, match="Подписчик недоступен"):
            sender.send(f"https://other.test:{port}/hook", "s", "{}", "1:2")
        assert len(hosts) == 1
    finally:
        sender.close()
