"""Issue 16, Slack HTTP server: more forged, replayed and malformed requests against the real `finops slack`
process over loopback (the module-scoped server of test_adv_slack_http, started afresh for this module).

A request that is not signed with the secret, or signed too long ago, gets 401 before its body is read
as anything; a signed body that is not an event Slack sends gets a 400; after each one the server still
answers, and it never prints a traceback (checked when the fixture stops it).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest

from tests.adversarial.test_adv_slack_http import SECRET, _connect, _healthy, _post, _response, _signed, server  # noqa: F401
from tests.fakes.slack_api import BOT_USER_ID, event_body

EVENT = event_body({"type": "app_mention", "user": "U1", "channel": "C1", "ts": "1.2",
                    "text": f"<@{BOT_USER_ID}> help"}, event_id="EvADV2").encode()


def _sig(secret: str, ts: str, body: bytes, version: str = "v0") -> str:
    return f"{version}=" + hmac.new(secret.encode(), f"{version}:{ts}:".encode() + body, hashlib.sha256).hexdigest()


def _forged(kind: str) -> dict[str, str]:
    now = str(int(time.time()))
    headers = {"Content-Type": "application/json", "x-slack-request-timestamp": now,
               "x-slack-signature": _sig(SECRET, now, EVENT)}
    old = str(int(time.time()) - 6 * 60)
    future = str(int(time.time()) + 6 * 60)
    changes: dict[str, dict[str, str | None]] = {
        "wrong-secret": {"x-slack-signature": _sig("not-the-secret", now, EVENT)},
        "replayed-6-minutes-later": {"x-slack-request-timestamp": old, "x-slack-signature": _sig(SECRET, old, EVENT)},
        "from-6-minutes-ahead": {"x-slack-request-timestamp": future, "x-slack-signature": _sig(SECRET, future, EVENT)},
        "no-signature": {"x-slack-signature": None},
        "no-timestamp": {"x-slack-request-timestamp": None},
        "empty-signature": {"x-slack-signature": ""},
        "version-v1": {"x-slack-signature": _sig(SECRET, now, EVENT, "v1")},
        "no-version": {"x-slack-signature": _sig(SECRET, now, EVENT)[3:]},
        "uppercase-hex": {"x-slack-signature": _sig(SECRET, now, EVENT).upper()},
        "truncated-signature": {"x-slack-signature": _sig(SECRET, now, EVENT)[:-2]},
        "signature-of-another-body": {"x-slack-signature": _sig(SECRET, now, EVENT + b" ")},
        "signature-of-another-timestamp": {"x-slack-signature": _sig(SECRET, str(int(now) - 1), EVENT)},
        "non-ascii-signature": {"x-slack-signature": "v0=\u00e9\u00e9"},
    }
    for k, v in changes[kind].items():
        if v is None:
            headers.pop(k)
        else:
            headers[k] = v
    return headers


FORGED = ["wrong-secret", "replayed-6-minutes-later", "from-6-minutes-ahead", "no-signature", "no-timestamp",
          "empty-signature", "version-v1", "no-version", "uppercase-hex", "truncated-signature",
          "signature-of-another-body", "signature-of-another-timestamp", "non-ascii-signature"]


@pytest.mark.parametrize("kind", FORGED)
def test_a_forged_or_replayed_request_is_401(server, kind: str) -> None:  # noqa: F811
    headers = {k: v.encode("utf-8").decode("latin-1") for k, v in _forged(kind).items()}
    assert _post(server["url"], EVENT, headers) == 401
    assert _healthy(server["url"])
    assert not [c for c in server["api"].calls if "EvADV2" in json.dumps(c, default=str)]


@pytest.mark.parametrize("body, content_type", [
    (b"{}", "application/json"),                                                   # no type
    (b'{"type": "event_callback"}', "application/json"),                           # no event
    (b'{"type": "event_callback", "event": "help"}', "application/json"),           # event is not an object
    (b'{"type": 5}', "application/json"),                                          # type is not text
    (b"null", "application/json"),
    (b"payload=%5B1%2C2%5D", "application/x-www-form-urlencoded"),                  # payload is a list
    (b"command=%2Ffinops&text=" + b"%FF" * 10, "application/x-www-form-urlencoded"),  # text not UTF-8
], ids=["no-type", "no-event", "event-not-object", "type-not-text", "null", "payload-list", "text-not-utf8"])
def test_a_signed_body_that_slack_never_sends_is_refused_cleanly(server, body: bytes,  # noqa: F811
                                                                  content_type: str) -> None:
    status = _post(server["url"], body, _signed(body, content_type))
    assert status in (400, 404), status  # refused, or not routed to any handler (bolt's 404)
    assert _healthy(server["url"])


@pytest.mark.parametrize("request_line", [
    b"DELETE /slack/events HTTP/1.1", b"GET /slack/events HTTP/1.1", b"POST /../../etc/passwd HTTP/1.1",
    b"POST /slack/events HTTP/9.9", b"\x00\x01\x02 junk",
], ids=["delete", "get-events", "path-traversal", "bad-version", "binary"])
def test_odd_request_lines_get_an_error_not_a_crash(server, request_line: bytes) -> None:  # noqa: F811
    with _connect(server["url"]) as sock:
        sock.sendall(request_line + b"\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        try:
            status, _ = _response(sock)
        except AssertionError:  # a request line too broken for HTTP: the server may just hang up
            status = 400
    assert 400 <= status < 500 or status == 501
    assert _healthy(server["url"])
