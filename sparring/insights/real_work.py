""""In real work": what the organisation's AI gateway saw (sparring/gateway), per team and role over time.

One rule for every screen and command (the CLI's `insights real-work`, the Insights tab, My progress):
- a request *slipped* when the policy kept something from the model (verdict block or redact);
- slips per 100 requests = 100 x slipped requests / requests; `blocked` counts requests refused outright;
- HR sees a team only when it has at least SMALL_N people (the same small-number rule as the rest of Insights);
  smaller teams are left out and counted in `hidden_teams`. Requests from names that are no Sparring account are
  shown as team "(unknown)": they describe no person.
Method and limits of the before/after comparison: docs/metrics.md, "In real work".
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pandas as pd

from ..gateway.events import SLIP_VERDICTS, UNKNOWN
from .metrics import SMALL_N, week_of

UNKNOWN_TEAM = "(unknown)"
NO_TEAM = "(no team)"
AFTER_WEEKS = 6  # the HR lead's question: does it show six weeks after the team started practising?

EVENT_COLUMNS = ["id", "at", "account", "team", "job_role", "model", "verdict", "findings", "skills", "scenarios"]


def _loads(s: str | None, default: Any) -> Any:
    try:
        return json.loads(s) if s else default
    except ValueError:
        return default


def events_frame(store: Any, *, since: str | None = None, account: str | None = None) -> pd.DataFrame:
    """Real-work events as a frame (never any text: there is none stored)."""
    sql, params = "SELECT * FROM real_work_events WHERE 1=1", []
    if since:
        sql += " AND at >= ?"
        params.append(since)
    if account:
        sql += " AND account = ?"
        params.append(account)
    rows = store.query(sql + " ORDER BY at, id", params)
    df = pd.DataFrame(rows, columns=[c for c in EVENT_COLUMNS if c != "job_role"] + ["job_roles"]) if rows else \
        pd.DataFrame(columns=EVENT_COLUMNS)
    if rows:
        df["job_role"] = df["job_roles"].map(lambda s: (_loads(s, []) or ["(none)"])[0])
        df = df.drop(columns=["job_roles"])
        df["findings"] = df["findings"].map(lambda s: _loads(s, {}))
        df["skills"] = df["skills"].map(lambda s: _loads(s, []))
        df["scenarios"] = df["scenarios"].map(lambda s: _loads(s, []))
    df["team"] = [UNKNOWN_TEAM if a == UNKNOWN else (t or NO_TEAM) for a, t in zip(df["account"], df["team"])]
    df["at"] = pd.to_datetime(df["at"], utc=True, format="mixed")
    df["slipped"] = df["verdict"].isin(SLIP_VERDICTS)
    df["blocked"] = df["verdict"] == "block"
    return df


def team_sizes(store: Any) -> dict[str, int]:
    """People per team, from the directory (the small-number rule counts people, not requests)."""
    return {r["team"]: int(r["n"]) for r in store.query(
        "SELECT team, COUNT(*) AS n FROM users WHERE team IS NOT NULL GROUP BY team")}


def _figures(df: pd.DataFrame) -> dict[str, Any]:
    n = int(len(df))
    slips = int(df["slipped"].sum()) if n else 0
    by_entity: Counter[str] = Counter()
    for f in df["findings"]:
        by_entity.update({str(k): int(v) for k, v in (f or {}).items()})
    return {"requests": n, "slips": slips, "slips_per_100": round(100 * slips / n, 1) if n else 0.0,
            "blocked": int(df["blocked"].sum()) if n else 0, "by_entity": dict(sorted(by_entity.items()))}


def visible(df: pd.DataFrame, sizes: dict[str, int], min_team: int = SMALL_N) -> tuple[pd.DataFrame, int]:
    """Events of teams HR may see, and how many teams were left out for having fewer than `min_team` people."""
    teams = set(df["team"])
    hidden = {t for t in teams if t != UNKNOWN_TEAM and sizes.get(t, 0) < min_team}
    return df[~df["team"].isin(hidden)], len(hidden)


def summary(store: Any, *, since: str | None = None, min_team: int = SMALL_N) -> dict[str, Any]:
    """The document `sparring insights real-work --json` prints: one entry per visible team."""
    df, hidden = visible(events_frame(store, since=since), team_sizes(store), min_team)
    teams = [{"team": team, **_figures(g)} for team, g in df.groupby("team", sort=True)] if len(df) else []
    learners = int(df.loc[df["account"] != UNKNOWN, "account"].nunique()) if len(df) else 0
    return {"teams": teams, "learners": learners, "hidden_teams": hidden, "min_team": min_team,
            "since": since}


def practice_starts(store: Any) -> dict[str, pd.Timestamp]:
    """Team → the Monday of the week its first member submitted a first practice attempt (the chart's marker)."""
    rows = store.query("SELECT u.team AS team, MIN(a.submitted_at) AS first FROM attempts a JOIN users u "
                       "ON u.name = a.learner WHERE u.team IS NOT NULL GROUP BY u.team")
    out = {}
    for r in rows:
        ts = pd.to_datetime(pd.Series([r["first"]]), utc=True, format="mixed")
        out[r["team"]] = pd.Timestamp(week_of(ts).iloc[0]).tz_localize("UTC")  # compared with aware event times
    return out


def weekly(df: pd.DataFrame, by: str = "team") -> pd.DataFrame:
    """Per group (`team` or `job_role`) and week: requests, slips per 100 requests, share blocked, people."""
    cols = ["group", "week", "requests", "slips_per_100", "blocked_share", "learners"]
    if not len(df):
        return pd.DataFrame(columns=cols)
    d = df.assign(week=week_of(df["at"]), group=df[by])
    g = d.groupby(["group", "week"])
    out = pd.DataFrame({"requests": g.size(), "slips": g["slipped"].sum(), "blocked": g["blocked"].sum(),
                        "learners": g["account"].nunique()}).reset_index()
    out["slips_per_100"] = 100 * out["slips"] / out["requests"]
    out["blocked_share"] = out["blocked"] / out["requests"]
    out["small"] = out["learners"] < SMALL_N
    return out[cols + ["small"]]


def before_after(df: pd.DataFrame, starts: dict[str, pd.Timestamp], weeks: int = AFTER_WEEKS) -> pd.DataFrame:
    """Per practising team: slips per 100 requests in the `weeks` weeks before its start and in the `weeks` weeks
    after, against teams that had not started practising by the end of that after-window, over the same calendar
    weeks (a difference in differences; docs/metrics.md says what it can and cannot show)."""
    cols = ["team", "start", "before", "after", "change", "comparison_before", "comparison_after",
            "comparison_change", "difference", "requests"]
    rows = []
    span = pd.Timedelta(weeks=weeks)
    for team, start in sorted(starts.items()):
        mine = df[df["team"] == team]
        if not len(mine):
            continue
        end = start + span
        others = df[df["team"].map(lambda t: t not in (UNKNOWN_TEAM, team) and (t not in starts or starts[t] >= end))]

        def rate(d: pd.DataFrame, lo: pd.Timestamp, hi: pd.Timestamp) -> float | None:
            w = d[(d["at"] >= lo) & (d["at"] < hi)]
            return float(100 * w["slipped"].mean()) if len(w) else None

        b, a = rate(mine, start - span, start), rate(mine, start, end)
        cb, ca = rate(others, start - span, start), rate(others, start, end)
        change = a - b if a is not None and b is not None else None
        cchange = ca - cb if ca is not None and cb is not None else None
        rows.append({"team": team, "start": start.date().isoformat(), "before": b, "after": a, "change": change,
                     "comparison_before": cb, "comparison_after": ca, "comparison_change": cchange,
                     "difference": change - cchange if change is not None and cchange is not None else None,
                     "requests": int(len(mine))})
    return pd.DataFrame(rows, columns=cols)


def learner_figures(store: Any, account: str, *, days: int = 42) -> dict[str, Any]:
    """A learner's own real-work figures over the last `days` days (My progress): only ever their own."""
    since = (datetime.now(timezone.utc) - timedelta(days=days)).isoformat(timespec="seconds")
    df = events_frame(store, since=since, account=account)
    return {"days": days, **_figures(df)}


def since_date(value: date | None) -> str | None:
    return value.isoformat() if value else None


def page(store: Any, *, since: str | None = None, min_team: int = SMALL_N) -> dict[str, Any]:
    """Everything the Insights tab's "In real work" section shows, under the same small-team rule as `summary`."""
    from ..gateway.just_in_time import in_the_moment

    df, hidden = visible(events_frame(store, since=since), team_sizes(store), min_team)
    starts = practice_starts(store)
    shown = set(df["team"]) if len(df) else set()
    ba = before_after(df, {t: s for t, s in starts.items() if t in shown})
    by_team = weekly(df, "team")
    by_role = weekly(df[df["team"] != UNKNOWN_TEAM] if len(df) else df, "job_role")
    return {"summary": summary(store, since=since, min_team=min_team), "by_team": by_team, "by_role": by_role,
            "before_after": ba, "starts": {t: s.date().isoformat() for t, s in starts.items() if t in shown},
            "hidden_teams": hidden, "in_the_moment": in_the_moment(store, since=since)}
