"""Attempts out of Sparring: CSV for spreadsheets, xAPI statements for the organisation's Learning Record Store.

xAPI, one statement per attempt:
- actor: an `account` {homePage: the organisation's URL (sparring.toml `url`, default https://sparring.local),
  name: the Sparring user name} — never an email address; a user name that looks like one is pseudonymised;
- verb: ADL `passed` / `failed` for graded attempts, `answered` for an attempt without a score or whose verdict
  waits for a mentor (`ungraded`: a required criterion could not be checked; neither a pass nor a fail);
- object: the scenario as an Activity whose definition carries its name, type and (as extensions) skills, kind
  and roles;
- result: score.scaled, success, completion, duration, and the per-criterion results as an extension;
- id: uuid5 of the organisation URL and the attempt id, so sending the same attempt twice is the same
  statement (an LRS drops an identical duplicate; that is what makes a re-run idempotent).
Sending is batched (POST of a JSON array), retried with exponential backoff on network errors, 429 and 5xx, and
resumable: after each accepted batch the last attempt id is saved in the `xapi_cursor` table (one row per LRS
URL), and the next run starts after it.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable

from ..organisation import Organisation
from ..store.db import iso, loads, now_utc

DEFAULT_HOME = "https://sparring.local"
EXT = "https://sparring.local/xapi/extensions/"  # our extension IRIs: a stable namespace, not a web page
VERBS = {
    "passed": {"id": "http://adlnet.gov/expapi/verbs/passed", "display": {"en-US": "passed"}},
    "failed": {"id": "http://adlnet.gov/expapi/verbs/failed", "display": {"en-US": "failed"}},
    "answered": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered"}},
}
ACTIVITY_TYPE = "http://adlnet.gov/expapi/activities/assessment"
XAPI_VERSION = "1.0.3"

CSV_COLUMNS = ["attempt_id", "learner", "team", "scenario", "kind", "skills", "roles", "submitted_at",
               "duration_s", "score", "passed", "blocked", "verdict", "decision", "confidence",
               "criteria_failed", "criteria", "ungraded"]


class ExportError(Exception):
    """The export cannot go on; the message says what to fix. Batches already accepted stay recorded."""


# ----------------------------------------------------------------------------------------------- rows


def home_page(org: Organisation) -> str:
    url = getattr(getattr(org, "settings", None), "url", None)
    return (url or DEFAULT_HOME).rstrip("/")


def attempt_rows(store: Any, *, since: str | None = None, after_id: int = 0, limit: int | None = None
                 ) -> list[dict[str, Any]]:
    """Attempts in id order (ids only grow, which is what makes the cursor work), with their criteria."""
    sql = ("SELECT a.*, u.team AS team FROM attempts a LEFT JOIN users u ON u.name = a.learner "
           "WHERE a.id > ?" + (" AND a.submitted_at >= ?" if since else "") + " ORDER BY a.id" +
           (f" LIMIT {int(limit)}" if limit else ""))
    rows = store.query(sql, [after_id, since] if since else [after_id])
    if not rows:
        return rows
    ids = [r["id"] for r in rows]
    crits: dict[int, list[dict[str, Any]]] = {}
    for c in store.query(f"SELECT * FROM criterion_results WHERE attempt_id BETWEEN ? AND ? ORDER BY rowid",
                         [ids[0], ids[-1]]):
        crits.setdefault(c["attempt_id"], []).append(c)
    for r in rows:
        r["criteria"] = crits.get(r["id"], [])
    return rows


def write_csv(store: Any, out: Path, *, since: str | None = None) -> int:
    """One row per attempt. Answers are not exported (they are redacted texts; the scores say what mattered)."""
    rows = attempt_rows(store, since=since)
    return _write(out, CSV_COLUMNS, ({
                "attempt_id": r["id"], "learner": r["learner"], "team": r.get("team") or "",
                "scenario": r["scenario"], "kind": r["kind"], "skills": ";".join(loads(r["skills"], [])),
                "roles": ";".join(loads(r["roles"], [])), "submitted_at": r["submitted_at"],
                "duration_s": r["duration_s"], "score": r["score"], "passed": int(bool(r["passed"])),
                "blocked": int(bool(r["blocked"])), "verdict": r.get("verdict") or "",
                "decision": r.get("decision") or "", "confidence": "" if r.get("confidence") is None
                else r["confidence"],
                "criteria_failed": ";".join(c["criterion"] for c in r["criteria"]
                                            if not c["passed"] and not c.get("ungraded")),
                "criteria": ";".join(f"{c['criterion']}={round(float(c['score']), 3)}" for c in r["criteria"]),
                "ungraded": int(bool(r.get("ungraded"))),
            } for r in rows))


def _write(out: Path, columns: list[str], records: Iterable[dict[str, Any]]) -> int:
    """`records` as a CSV file with a header row (the folder made if needed); how many rows were written."""
    out.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=columns)
        w.writeheader()
        for rec in records:
            w.writerow(rec)
            n += 1
    return n


# ------------------------------------------------------------------------------------------ statements


def actor_name(learner: str) -> str:
    """The account name: the Sparring user name, unless it is an email address (then a stable pseudonym)."""
    if "@" in learner:
        return "user-" + hashlib.sha256(learner.lower().encode()).hexdigest()[:16]
    return learner


def statement_id(home: str, attempt_id: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{home}/attempts/{int(attempt_id)}"))


def _duration(seconds: float | None) -> str | None:
    if seconds is None or seconds < 0:
        return None
    return f"PT{round(float(seconds), 2):g}S"


def _timestamp(s: str) -> str:
    dt = datetime.fromisoformat(s)
    dt = dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def statement(row: dict[str, Any], home: str, title: str | None = None, platform: str = "Sparring"
              ) -> dict[str, Any]:
    """The xAPI statement of one attempt row (with `criteria`). Pure: same row, same statement."""
    score = row.get("score")
    graded = score is not None and row.get("grade") not in (None, "", "{}") and not row.get("ungraded")
    scaled = round(float(score), 4) if score is not None else None
    verb = ("passed" if row.get("passed") else "failed") if graded else "answered"
    skills = loads(row.get("skills"), []) if isinstance(row.get("skills"), str) else list(row.get("skills") or [])
    roles = loads(row.get("roles"), []) if isinstance(row.get("roles"), str) else list(row.get("roles") or [])
    result: dict[str, Any] = {"completion": True}
    if graded:
        result["score"] = {"scaled": scaled, "raw": scaled, "min": 0, "max": 1}
        result["success"] = bool(row.get("passed"))
    dur = _duration(row.get("duration_s"))
    if dur:
        result["duration"] = dur
    ext = {
        EXT + "criteria": [{"id": c["criterion"], "check": c.get("check"), "passed": bool(c["passed"]),
                            "score": round(float(c["score"]), 4), "required": bool(c.get("required")),
                            "weight": float(c.get("weight") or 1.0), "ungraded": bool(c.get("ungraded"))}
                           for c in row.get("criteria", [])],
        EXT + "blocked-by-policy": bool(row.get("blocked")),
    }
    if row.get("verdict"):
        ext[EXT + "policy-verdict"] = row["verdict"]
    if row.get("decision"):
        ext[EXT + "trust-decision"] = {"decision": row["decision"], "confidence": row.get("confidence")}
    result["extensions"] = ext
    return {
        "id": statement_id(home, row["id"]),
        "actor": {"objectType": "Agent", "account": {"homePage": home, "name": actor_name(row["learner"])}},
        "verb": VERBS[verb],
        "object": {
            "objectType": "Activity",
            "id": f"{home}/scenarios/{row['scenario']}",
            "definition": {
                "name": {"en-US": title or row["scenario"]},
                "type": ACTIVITY_TYPE,
                "extensions": {EXT + "skills": skills, EXT + "kind": row["kind"], EXT + "roles": roles},
            },
        },
        "result": result,
        "context": {"platform": platform, "language": "en-US",
                    "extensions": {EXT + "attempt-id": int(row["id"])}},
        "timestamp": _timestamp(row["submitted_at"]),
    }


def statements(org: Organisation, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    home = home_page(org)
    titles = {k: v.title for k, v in (getattr(org, "scenarios", None) or {}).items()}
    return [statement(r, home, titles.get(r["scenario"])) for r in rows]


# -------------------------------------------------------------------------------------------- sending


def get_cursor(store: Any, lrs: str) -> int:
    row = store.one("SELECT last_attempt_id FROM xapi_cursor WHERE lrs = ?", [lrs])
    return int(row["last_attempt_id"]) if row else 0


def set_cursor(store: Any, lrs: str, last_id: int, sent: int) -> None:
    with store.write() as db:
        db.execute("INSERT INTO xapi_cursor (lrs, last_attempt_id, sent, updated_at) VALUES (?, ?, ?, ?) "
                   "ON CONFLICT(lrs) DO UPDATE SET last_attempt_id = excluded.last_attempt_id, "
                   "sent = xapi_cursor.sent + excluded.sent, updated_at = excluded.updated_at",
                   [lrs, int(last_id), int(sent), iso(now_utc())])


def reset_cursor(store: Any, lrs: str) -> None:
    with store.write() as db:
        db.execute("DELETE FROM xapi_cursor WHERE lrs = ?", [lrs])


class LRSClient:
    """POSTs statement batches to `<lrs>/statements` with HTTP basic auth; retries what is worth retrying."""

    def __init__(self, endpoint: str, user: str, password: str, *, retries: int = 5, backoff: float = 0.5,
                 timeout: float = 30.0, sleep: Callable[[float], None] = time.sleep):
        self.url = endpoint.rstrip("/") + ("" if endpoint.rstrip("/").endswith("/statements") else "/statements")
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}", "Content-Type": "application/json",
                        "X-Experience-API-Version": XAPI_VERSION}
        self.retries, self.backoff, self.timeout, self.sleep = retries, backoff, timeout, sleep

    def post(self, batch: list[dict[str, Any]]) -> int:
        body = json.dumps(batch, ensure_ascii=False).encode()
        delay = self.backoff
        for attempt in range(self.retries + 1):
            req = urllib.request.Request(self.url, data=body, headers=self.headers, method="POST")
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 - URL given by admin
                    return resp.status
            except urllib.error.HTTPError as e:
                detail = e.read()[:300].decode(errors="replace")
                if e.code in (429, 500, 502, 503, 504) and attempt < self.retries:
                    self.sleep(delay)
                    delay *= 2
                    continue
                if e.code in (401, 403):
                    raise ExportError(f"the LRS at {self.url} refused the credentials (HTTP {e.code}); check "
                                      "--user and the password variable") from None
                if e.code == 409:
                    raise ExportError(f"the LRS at {self.url} already holds a DIFFERENT statement with one of these "
                                      f"ids (HTTP 409: {detail}); was this LRS fed by another Sparring "
                                      "organisation with the same `url`?") from None
                raise ExportError(f"the LRS at {self.url} rejected a batch (HTTP {e.code}: {detail})") from None
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as e:
                if attempt < self.retries:
                    self.sleep(delay)
                    delay *= 2
                    continue
                reason = getattr(e, "reason", e)
                raise ExportError(f"cannot reach the LRS at {self.url} ({reason}) after {self.retries + 1} tries; "
                                  "check the URL and the network, then run the same command again: it resumes "
                                  "where it stopped") from None
        raise ExportError("unreachable")  # pragma: no cover


def export_xapi(org: Organisation, store: Any, client: LRSClient, *, lrs_key: str, since: str | None = None,
                batch: int = 100, restart: bool = False,
                progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Send every attempt after the cursor (or all, with `restart`), `batch` at a time. Returns counts."""
    if batch < 1:
        raise ExportError("--batch must be at least 1")
    if restart:
        reset_cursor(store, lrs_key)
    cursor = get_cursor(store, lrs_key)
    sent = batches = 0
    while True:
        rows = attempt_rows(store, since=since, after_id=cursor, limit=batch)
        if not rows:
            break
        client.post(statements(org, rows))
        cursor = rows[-1]["id"]
        set_cursor(store, lrs_key, cursor, len(rows))  # only after the LRS accepted the batch
        sent += len(rows)
        batches += 1
        if progress:
            progress(sent, cursor)
    return {"sent": sent, "batches": batches, "cursor": cursor}


# ------------------------------------------------------------------------------------- real-work events
# Events of the AI gateway (sparring/gateway/events.py) go out as their own statements: verb ADL `experienced`,
# the gateway's policy as the activity, and what was stored about the request as one Sparring extension. They
# carry exactly the stored columns: counts and labels, never text (docs/real-work.md).

VERBS["experienced"] = {"id": "http://adlnet.gov/expapi/verbs/experienced", "display": {"en-US": "experienced"}}
REAL_WORK_COLUMNS = ["event_id", "at", "account", "team", "job_roles", "model", "policy", "verdict", "findings",
                     "skills", "scenarios"]
REAL_WORK_CURSOR = "#real-work"  # suffix of the LRS key under which the events' own cursor is kept


def real_work_rows(store: Any, *, since: str | None = None, after_id: int = 0, limit: int | None = None
                   ) -> list[dict[str, Any]]:
    sql = ("SELECT * FROM real_work_events WHERE id > ?" + (" AND at >= ?" if since else "") + " ORDER BY id" +
           (f" LIMIT {int(limit)}" if limit else ""))
    return store.query(sql, [after_id, since] if since else [after_id])


def real_work_statement(row: dict[str, Any], home: str, platform: str = "Sparring gateway") -> dict[str, Any]:
    """The xAPI statement of one real-work event. Pure: same row, same statement (and the same id)."""
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{home}/real-work/{int(row['id'])}")),
        "actor": {"objectType": "Agent", "account": {"homePage": home, "name": actor_name(row["account"])}},
        "verb": VERBS["experienced"],
        "object": {"objectType": "Activity", "id": f"{home}/real-work/policies/{row['policy']}",
                   "definition": {"name": {"en-US": f"AI request under policy {row['policy']}"},
                                  "type": "http://adlnet.gov/expapi/activities/interaction"}},
        "result": {"extensions": {EXT + "real-work": {
            "verdict": row["verdict"], "findings": loads(row["findings"], {}), "skills": loads(row["skills"], []),
            "scenarios": loads(row["scenarios"], []), "model": row.get("model"), "team": row.get("team")}}},
        "context": {"platform": platform, "language": "en-US", "extensions": {EXT + "real-work-id": int(row["id"])}},
        "timestamp": _timestamp(row["at"]),
    }


def write_real_work_csv(store: Any, out: Path, *, since: str | None = None) -> int:
    """One row per real-work event: the stored columns, nothing more."""
    rows = real_work_rows(store, since=since)
    return _write(out, REAL_WORK_COLUMNS, ({"event_id": r["id"], "at": r["at"], "account": r["account"], "team": r.get("team") or "",
                        "job_roles": ";".join(loads(r["job_roles"], [])), "model": r.get("model") or "",
                        "policy": r["policy"], "verdict": r["verdict"],
                        "findings": ";".join(f"{k}={v}" for k, v in sorted(loads(r["findings"], {}).items())),
                        "skills": ";".join(loads(r["skills"], [])), "scenarios": ";".join(loads(r["scenarios"], []))} for r in rows))


def export_real_work_xapi(org: Any, store: Any, client: LRSClient, *, lrs_key: str, since: str | None = None,
                          batch: int = 100, restart: bool = False) -> dict[str, int]:
    """Like `export_xapi`, for real-work events, with their own cursor (`lrs_key` + REAL_WORK_CURSOR)."""
    key = lrs_key + REAL_WORK_CURSOR
    if restart:
        reset_cursor(store, key)
    cursor, sent, home = get_cursor(store, key), 0, home_page(org)
    while True:
        rows = real_work_rows(store, since=since, after_id=cursor, limit=batch)
        if not rows:
            break
        client.post([real_work_statement(r, home) for r in rows])
        cursor = rows[-1]["id"]
        set_cursor(store, key, cursor, len(rows))
        sent += len(rows)
    return {"real_work_sent": sent, "real_work_cursor": cursor}
