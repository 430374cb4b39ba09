"""Real-work events: one row per gateway request in `real_work_events` (sparring/store/schema.py, migration 3).

What a row holds is the whole promise of docs/real-work.md: time, account (or "unknown"), team and scenario roles
at that time, model name, policy, verdict, the count of findings per entity type, and the skills and scenarios
that train those entity types. Never the text of the request, not even redacted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from ..store.db import Store, dumps, iso, now_utc
from ..store.users import get_user

UNKNOWN = "unknown"
SLIP_VERDICTS = ("block", "redact")  # a request that carried data the policy keeps from the model


@dataclass(frozen=True)
class Training:
    """The scenarios (and their skills) that train one entity type under one policy."""

    scenarios: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()


def training_map(org: Any, policy_id: str) -> dict[str, Training]:
    """Entity type → the scenarios that train it: scenarios on `policy_id` whose own material holds that entity
    type (checked with the same engine), so a leaked card number points at the scenario whose material has one.
    Computed once per guardrail: a handful of policy checks."""
    engine = org.policy_engine(policy_id)
    found: dict[str, list[Any]] = {}
    for sc in sorted(org.scenarios.values(), key=lambda s: s.id):
        if sc.policy != policy_id or not sc.material:
            continue
        for entity in {f.entity for f in engine.check(sc.material).findings if f.action != "allow"}:
            found.setdefault(entity, []).append(sc)
    return {e: Training(scenarios=tuple(s.id for s in scs),
                        skills=tuple(sorted({k for s in scs for k in s.skills}))) for e, scs in found.items()}


@dataclass
class Event:
    account: str
    team: str | None
    job_roles: list[str]
    model: str | None
    policy: str
    verdict: str
    findings: dict[str, int] = field(default_factory=dict)
    skills: list[str] = field(default_factory=list)
    scenarios: list[str] = field(default_factory=list)


def requester(data: Mapping[str, Any], header: str | None) -> str | None:
    """The name the request claims: the SSO header when one is configured and present (the organisation's proxy
    sets it and vouches for it), else the OpenAI `user` field."""
    if header:
        meta = data.get("metadata") or {}
        headers = meta.get("headers") if isinstance(meta, dict) else None
        if not isinstance(headers, dict):
            psr = data.get("proxy_server_request") or {}
            headers = psr.get("headers") if isinstance(psr, dict) else None
        if isinstance(headers, dict):
            wanted = header.lower()
            for k, v in headers.items():
                if str(k).lower() == wanted and isinstance(v, str) and v.strip():
                    return v.strip()
    user = data.get("user")
    return user.strip() if isinstance(user, str) and user.strip() else None


def attribute(store: Store, name: str | None) -> tuple[str, str | None, list[str]]:
    """(account, team, job roles). A name that is not a Sparring account is stored as "unknown": it may be an
    e-mail address or anything else a client sent, and only accounts are attributed."""
    user = get_user(store, name) if name else None
    if user is None:
        return UNKNOWN, None, []
    return user.name, user.team, list(user.job_roles)


def make_event(store: Store, data: Mapping[str, Any], *, header: str | None, policy: str, verdict: str,
               counts: Mapping[str, int], training: Mapping[str, Training]) -> Event:
    account, team, job_roles = attribute(store, requester(data, header))
    model = data.get("model")
    slipped = verdict in SLIP_VERDICTS
    trains = [training[e] for e in sorted(counts) if e in training] if slipped else []
    return Event(account=account, team=team, job_roles=job_roles, model=str(model) if model else None,
                 policy=policy, verdict=verdict, findings=dict(counts),
                 skills=sorted({s for t in trains for s in t.skills}),
                 scenarios=list(dict.fromkeys(s for t in trains for s in t.scenarios)))


def record(store: Store, event: Event) -> int:
    """Store one event: one INSERT in its own short write transaction, committed without waiting for the disk
    (`durable=False`, see Store.write): the request waits for the check, not for an fsync. A crash of the gateway
    process loses no event; a power cut may lose the last ones (Store.write; docs/benchmarks.md, "Gateway"). Returns
    its id."""
    with store.write(durable=False) as db:
        cur = db.execute(
            "INSERT INTO real_work_events (at, account, team, job_roles, model, policy, verdict, findings, "
            "skills, scenarios) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [iso(now_utc()), event.account, event.team, dumps(event.job_roles), event.model, event.policy,
             event.verdict, dumps(event.findings), dumps(event.skills), dumps(event.scenarios)])
        return int(cur.lastrowid or 0)
