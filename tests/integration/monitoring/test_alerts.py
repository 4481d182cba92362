"""Alerts delivered through apprise to a real HTTP receiver on 127.0.0.1; one problem, one alert; all recorded."""

from __future__ import annotations

import json
import socket
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mops.core.monitoring.alerts import Alert, AlertConfig, AlertRule, deliver
from mops.core.ops import OpsLog
from mops.core.warehouse.adapter import DuckDBWarehouse

NOW = datetime(2026, 7, 1, 7, 0)


class Receiver:
    """A webhook endpoint: records each POSTed JSON body; answers `code`."""

    def __init__(self, code: int = 200):
        self.received: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # the http.server API
                length = int(self.headers.get("Content-Length", 0))
                outer.received.append(json.loads(self.rfile.read(length)))
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"json://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def log(settings):
    warehouse = DuckDBWarehouse(settings)
    yield OpsLog(warehouse)
    warehouse.close()


def _spike(run_id="r1") -> Alert:
    return Alert(
        kind="anomaly",
        subject="meta_ads",
        key="kpi:spend",
        title="meta_ads spend anomaly",
        body="meta_ads spend yesterday 5.1x its Tuesday median",
        run_id=run_id,
    )


def test_an_alert_reaches_the_receiver_once_and_is_recorded(log):
    with Receiver() as receiver:
        config = AlertConfig(urls=(receiver.url,))
        first = deliver(log, [_spike()], config, now=NOW)
        again = deliver(log, [_spike("r2")], config, now=NOW + timedelta(hours=2))
        later = deliver(log, [_spike("r3")], config, now=NOW + timedelta(hours=25))
    assert list(first.status) == ["delivered"] and list(again.status) == ["suppressed"]
    assert list(later.status) == ["delivered"]  # past the suppression interval: alerted again
    assert [r["message"] for r in receiver.received] == ["meta_ads spend yesterday 5.1x its Tuesday median"] * 2
    assert receiver.received[0]["title"] == "meta_ads spend anomaly"
    recorded = log.query("alerts", order="sent_at")
    assert list(recorded.status) == ["delivered", "suppressed", "delivered"]
    assert list(recorded.run_id) == ["r1", "r2", "r3"]
    assert recorded.destination.iloc[0].startswith("json://127.0.0.1:")


def test_different_problems_are_different_alerts(log):
    other = _spike().model_copy(update={"subject": "google_ads", "body": "google_ads spend ..."})
    with Receiver() as receiver:
        deliver(log, [_spike(), other], AlertConfig(urls=(receiver.url,)), now=NOW)
    assert len(receiver.received) == 2


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_refusing_destination_is_recorded_as_failed_and_retried_next_time(log):
    with Receiver(code=500) as receiver:
        config = AlertConfig(urls=(receiver.url, f"json://127.0.0.1:{_closed_port()}/"), timeout_s=1)
        first = deliver(log, [_spike()], config, now=NOW)
        second = deliver(log, [_spike()], config, now=NOW + timedelta(minutes=5))
    assert list(first.status) == ["failed", "failed"] and list(second.status) == ["failed", "failed"]
    assert len(receiver.received) == 2  # a failed delivery does not suppress the next attempt
    assert first.error.notna().all()


def test_rules_route_by_kind_and_severity(log):
    with Receiver() as pager, Receiver() as chat:
        config = AlertConfig(
            urls=(chat.url,),
            rules=(
                AlertRule(name="page", kinds=("step_failed",), min_severity="critical", destinations=(pager.url,)),
                AlertRule(name="chat", kinds=("step_failed", "anomaly")),
            ),
        )
        failed = Alert(kind="step_failed", subject="daily:budget", title="t", body="budget failed", severity="critical")
        warn = Alert(kind="step_failed", subject="daily:pacing", title="t", body="pacing failed")
        conflict = Alert(kind="conflict", subject="x", title="t", body="not routed by any rule")
        rows = deliver(log, [failed, warn, conflict], config, now=NOW)
    assert [r["message"] for r in pager.received] == ["budget failed"]
    assert [r["message"] for r in chat.received] == ["pacing failed"]
    assert list(rows.rule) == ["page", "chat"]


def test_without_destinations_the_alert_is_still_recorded(log):
    rows = deliver(log, [_spike()], AlertConfig(), now=NOW)
    assert list(rows.status) == ["no_destination"]
    assert "MOPS_ALERT_URLS" in rows.error.iloc[0]
