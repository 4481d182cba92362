"""Alerts: rules route problems to destinations configured by URL (apprise), one problem one alert.

Why apprise: one well-kept library speaks Slack, Microsoft Teams, email and generic webhooks from a URL
(`slack://...`, `msteams://...`, `mailto://...`, `json://host/path`), so no hand-written clients. A
problem has a fingerprint (what it is about, not when it was seen); while an alert with that fingerprint
was delivered within `suppress_for`, a new one is recorded as suppressed and not sent. Every alert is
recorded in `ops.alerts` with its delivery status per destination (URLs recorded with secrets hidden).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Literal

import pandas as pd
from pydantic import Field

from mops.core.base import StrictModel, utcnow
from mops.core.ops.records import OpsLog

Kind = Literal["anomaly", "conflict", "step_failed", "overhead", "freshness", "deadline"]


class AlertRule(StrictModel):
    """Which problems go where: kinds and a minimum severity; no destinations = the default ones."""

    name: str
    kinds: tuple[Kind, ...]
    min_severity: Literal["warning", "critical"] = "warning"
    destinations: tuple[str, ...] = ()


DEFAULT_RULES = (
    AlertRule(name="anomalies", kinds=("anomaly",)),
    AlertRule(name="conflicts", kinds=("conflict",)),
    AlertRule(name="failed_steps", kinds=("step_failed",)),
    AlertRule(name="overhead", kinds=("overhead",)),
    AlertRule(name="freshness", kinds=("freshness",)),  # a source's newest data past its declared freshness
    AlertRule(name="deadlines", kinds=("deadline",)),  # a deadline step past the risk share of its time
)


class AlertConfig(StrictModel):
    # apprise URLs every rule without its own destinations sends to
    urls: tuple[str, ...] = ()
    rules: tuple[AlertRule, ...] = DEFAULT_RULES
    # a problem alerted (delivered) within this interval is not alerted again
    suppress_for: timedelta = timedelta(hours=24)
    # seconds apprise waits for a destination
    timeout_s: float = Field(default=5.0, gt=0)


class Alert(StrictModel):
    kind: Kind
    subject: str
    title: str
    body: str
    severity: Literal["warning", "critical"] = "warning"
    key: str = ""  # what makes two alerts the same problem (with kind and subject)
    run_id: str | None = None
    owner: str | None = None  # from the agent manifest, where the problem is one agent's

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(f"{self.kind}|{self.subject}|{self.key}".encode()).hexdigest()[:16]


def _route(alert: Alert, config: AlertConfig) -> tuple[AlertRule | None, tuple[str, ...]]:
    rank = {"warning": 0, "critical": 1}
    for rule in config.rules:
        if alert.kind in rule.kinds and rank[alert.severity] >= rank[rule.min_severity]:
            return rule, rule.destinations or config.urls
    return None, ()


def _delivered_since(log: OpsLog, since: datetime) -> set[str]:
    return set(log.query("alerts", "status = 'delivered' and sent_at >= ?", [since]).fingerprint)


def _send(url: str, alert: Alert, timeout_s: float) -> tuple[str, str, str | None]:
    """(destination with secrets hidden, status, error) for one destination."""
    import apprise

    plugin = apprise.Apprise.instantiate(url)
    if not plugin:
        return _redact(url), "failed", "not a notification URL apprise understands"
    plugin.socket_read_timeout = plugin.socket_connect_timeout = timeout_s
    destination = plugin.url(privacy=True)
    notify_type = apprise.NotifyType.FAILURE if alert.severity == "critical" else apprise.NotifyType.WARNING
    try:
        body = alert.body + (f" (owner: {alert.owner})" if alert.owner else "")
        ok = plugin.notify(body=body, title=alert.title, notify_type=notify_type)
    except Exception as exc:  # a destination's failure is a recorded status, never a crashed run
        return destination, "failed", f"{type(exc).__name__}: {exc}"[:500]
    return destination, ("delivered" if ok else "failed"), None if ok else "the destination refused or did not answer"


def _redact(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0].rsplit('@', 1)[-1]}/..." if rest else "?"


def deliver(log: OpsLog, alerts: list[Alert], config: AlertConfig, now: datetime | None = None) -> pd.DataFrame:
    """Route, suppress, send and record each alert; returns the rows written to ops.alerts."""
    now = now or utcnow()
    records = []
    # fingerprints delivered within the interval (recorded, or earlier in this batch): one problem, one alert
    delivered = _delivered_since(log, now - config.suppress_for)
    for alert in alerts:
        rule, urls = _route(alert, config)
        if rule is None:
            continue
        base = {
            "fingerprint": alert.fingerprint,
            "run_id": alert.run_id,
            "rule": rule.name,
            "kind": alert.kind,
            "severity": alert.severity,
            "subject": alert.subject,
            "owner": alert.owner,
            "title": alert.title,
            "body": alert.body,
            "sent_at": now,
        }
        if alert.fingerprint in delivered:
            outcomes = [(None, "suppressed", None)]
        elif not urls:
            outcomes = [(None, "no_destination", "no alert URL configured (MOPS_ALERT_URLS)")]
        else:
            outcomes = [_send(url, alert, config.timeout_s) for url in urls]
        for destination, status, error in outcomes:
            alert_id = hashlib.sha256(f"{alert.fingerprint}|{destination}|{now.isoformat()}".encode()).hexdigest()
            records.append(
                {**base, "alert_id": alert_id[:16], "destination": destination, "status": status, "error": error}
            )
            if status == "delivered":
                delivered.add(alert.fingerprint)
    log.append("alerts", records)  # one write for the batch (each append is a transaction)
    return pd.DataFrame(records)
