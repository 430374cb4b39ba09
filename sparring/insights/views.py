"""What the Insights tab shows, computed from the store without any Gradio: chart frames, tables, the "six weeks
later" summary and the CSV. Kept apart from the tab so it can be tested and timed (docs/benchmarks.md).

Frames are loaded once per change of the data (a cheap signature query decides) and shared by every viewer: they
hold organisation-wide aggregates inputs, never anything per user.
"""

from __future__ import annotations

import csv
import io
import threading
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from ..organisation import Organisation
from . import metrics as m
from .data import Frames, agreement_rows, load

_CACHE: dict[str, tuple[tuple, Frames]] = {}
_LOCK = threading.Lock()


def frames(store: Any, org: Organisation) -> Frames:
    return _frames(store, org)[1]


def _frames(store: Any, org: Organisation) -> tuple[tuple, Frames]:
    sig_row = store.one("SELECT COUNT(*) AS n, COALESCE(MAX(id), 0) AS mx, "
                        "(SELECT COUNT(*) FROM users) AS u, (SELECT COUNT(*) FROM findings) AS f FROM attempts")
    sig = (sig_row["n"], sig_row["mx"], sig_row["u"], sig_row["f"], len(getattr(org, "scenarios", {}) or {}))
    key = str(getattr(store, "path", id(store)))
    with _LOCK:
        hit = _CACHE.get(key)
        if hit and hit[0] == sig:
            return hit
    fr = load(store, org)
    with _LOCK:
        _CACHE[key] = (sig, fr)
    return sig, fr


@dataclass
class Filters:
    team: str | None = None
    job_role: str | None = None
    skill: str | None = None
    start: str | None = None
    end: str | None = None

    @classmethod
    def of(cls, team=None, job_role=None, skill=None, start=None, end=None) -> "Filters":
        def clean(v):
            v = str(v).strip() if v is not None else ""
            return None if v in ("", "All", "(all)") else v

        def day(v):  # gr.DateTime gives "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS"
            v = clean(v)
            if not v:
                return None
            try:
                return date.fromisoformat(v[:10]).isoformat()
            except ValueError:
                raise ValueError(f"'{v}' is not a date; pick one or type it as YYYY-MM-DD") from None
        return cls(clean(team), clean(job_role), clean(skill), day(start), day(end))

    def describe(self) -> str:
        parts = [f"team {self.team}" if self.team else "", f"job role {self.job_role}" if self.job_role else "",
                 f"skill {self.skill}" if self.skill else "",
                 f"from {self.start}" if self.start else "", f"to {self.end}" if self.end else ""]
        return ", ".join(p for p in parts if p) or "everyone, all dates"


@dataclass
class Page:
    headline: str
    pass_rate: pd.DataFrame       # week, skill, rate, learners
    mean_score: pd.DataFrame      # week, skill, mean_score, learners
    improvement: pd.DataFrame     # skill, change (latest - first score), learners
    retention: pd.DataFrame       # skill, retained (later score / first-pass score), learners
    trust: pd.DataFrame           # week, measure, value, learners
    slips: pd.DataFrame           # week, slip_rate, learners
    slips_entity: pd.DataFrame    # entity, rate, learners
    time_on_task: pd.DataFrame    # skill, median_min, learners
    cohorts: pd.DataFrame         # table
    agreement: pd.DataFrame       # table
    cautions: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # raw metric tables, for the CSV
    drawn: dict[tuple, list[str]] = field(default_factory=dict)  # the tab's SVG charts, memoised with the page
    gaming: pd.DataFrame = field(default_factory=pd.DataFrame)       # week, signal, rate, learners
    gaming_group: pd.DataFrame = field(default_factory=pd.DataFrame)  # team (or skill), rate, learners
    gaming_by: str = "team"       # what the bar chart's groups are: team, or skill when one team is chosen


def _learners(df: pd.DataFrame) -> pd.Series:
    return df["n_learners"].map(lambda n: f"{n}" if n >= m.SMALL_N else f"{n} (too few to read)")


def _naive_week(df: pd.DataFrame) -> pd.DataFrame:
    if "week" in df.columns and len(df):
        df = df.assign(week=pd.to_datetime(df["week"]))
    return df


def options(store: Any, org: Organisation) -> dict[str, list[str]]:
    a = frames(store, org).attempts
    skills = sorted({s for ss in a["skills"] for s in ss})
    return {"team": sorted(a["team"].dropna().unique().tolist()),
            "job_role": sorted(a["job_role"].dropna().unique().tolist()),
            "skill": skills, "start_month": sorted(a["start_month"].dropna().unique().tolist()),
            "first": [a["submitted_at"].min().date().isoformat()] if len(a) else [],
            "last": [a["submitted_at"].max().date().isoformat()] if len(a) else []}


_PAGES: dict[tuple, Page] = {}


def build_page(store: Any, org: Organisation, flt: Filters, *, skills_view: bool = True,
               slips_view: bool = True, agreement_view: bool = False) -> Page:
    """Everything the tab draws, for one set of filters. `skills_view`/`slips_view`/`agreement_view` leave out
    what the viewer's role may not see (compliance: policy slips only; author: grader agreement only; the skill
    view includes the agreement). Pages are memoised per data version and filters."""
    sig, fr = _frames(store, org)
    n_over = store.one("SELECT COUNT(*) AS n FROM overrides")["n"]
    key = (str(getattr(store, "path", id(store))), sig, n_over, flt.team, flt.job_role, flt.skill, flt.start,
           flt.end, skills_view, slips_view, agreement_view)
    with _LOCK:
        hit = _PAGES.get(key)
    if hit is not None:
        return hit
    page = _build_page(store, fr, flt, skills_view, slips_view, agreement_view)
    with _LOCK:
        if len(_PAGES) > 64:
            _PAGES.clear()
        _PAGES[key] = page
    return page


def _build_page(store: Any, fr: Frames, flt: Filters, skills_view: bool, slips_view: bool,
                agreement_view: bool = False) -> Page:
    a = m.filter_attempts(fr.attempts, team=flt.team, job_role=flt.job_role, skill=flt.skill, start=flt.start,
                          end=flt.end)
    n_l = a["learner"].nunique()
    cautions: list[str] = []
    tables: dict[str, pd.DataFrame] = {}

    def keep(name: str, df: pd.DataFrame) -> pd.DataFrame:
        tables[name] = df
        if "small" in df.columns and df["small"].any():
            cautions.append(f"{name}: {int(df['small'].sum())} of {len(df)} figures rest on fewer than "
                            f"{m.SMALL_N} learners (marked 'too few to read')")
        return df

    empty = pd.DataFrame()
    pass_rate = mean_score = improvement = retention = trust = time_on_task = cohorts = agreement = empty
    slips = slips_entity = gaming = gaming_group = empty
    gaming_by = "skill" if flt.team else "team"
    if skills_view:
        skill_a = a if not flt.skill else a.assign(skills=a["skills"].map(lambda s: [flt.skill]))
        pr = keep("first-attempt pass rate", m.first_attempt_pass_rate(skill_a, by=("skill", "week")))
        drawn_pr = pr[pr["n_attempts"] > 0] if len(pr) else pr  # a group of ungraded attempts only has no rate
        pass_rate = _naive_week(drawn_pr.assign(learners=_learners(drawn_pr))[["week", "skill", "rate", "learners"]]) \
            if len(drawn_pr) else empty
        ms = keep("mean score", m.mean_score(skill_a, by=("skill", "week")))
        mean_score = _naive_week(ms.assign(learners=_learners(ms))[["week", "skill", "mean_score", "learners"]]) \
            if len(ms) else empty
        im = keep("improvement", m.improvement(skill_a, by=("skill",)))
        improvement = (im.assign(change=im["delta"], learners=_learners(im))[["skill", "change", "learners"]]
                       if len(im) else empty)
        rt = keep(f"retention ({m.RETENTION_DAYS}+ days)", m.retention(skill_a, by=("skill",)))
        retention = (rt.assign(retained=rt["ratio"], learners=_learners(rt))[["skill", "retained", "learners"]]
                     if len(rt) else empty)
        tc = keep("trust calibration", m.trust_calibration(a, by=("week",)))
        if len(tc):
            trust = tc.melt(id_vars=["week", "n_learners"], value_vars=["over_trust_rate", "under_trust_rate",
                                                                         "brier"],
                            var_name="measure", value_name="value")
            trust = _naive_week(trust.assign(learners=_learners(trust)).replace(
                {"over_trust_rate": "over-trust rate", "under_trust_rate": "under-trust rate",
                 "brier": "Brier score"})[["week", "measure", "value", "learners"]])
        tt = keep("time on task", m.time_on_task(skill_a, by=("skill",)))
        time_on_task = tt.assign(learners=_learners(tt))[["skill", "median_min", "learners"]] if len(tt) else empty
        ch = keep("cohorts by team", m.cohorts(a, by="team"))
        cohorts = _cohort_table(ch, "team")
        # Anti-gaming signals: a reason for a mentor to look, never a verdict (docs/metrics.md).
        gw = keep("anti-gaming signals", m.gaming_signals(a, by=("week",)))
        if len(gw):
            raised = gw.groupby("signal")["n_flagged"].transform("sum") > 0  # draw the signals seen at all
            gw = gw[raised & (gw["signal"] != m.ANY_SIGNAL)]
            gaming = _naive_week(gw.assign(learners=_learners(gw))[["week", "signal", "rate", "learners"]]) \
                if len(gw) else empty
        gg = keep(f"anti-gaming signals by {gaming_by}",
                  m.gaming_signals(skill_a if gaming_by == "skill" else a, by=(gaming_by,)))
        if len(gg):
            gg = gg[gg["signal"] == m.ANY_SIGNAL]
            gaming_group = gg.assign(learners=_learners(gg))[[gaming_by, "rate", "learners"]]
    if skills_view or agreement_view:
        ag = m.grader_agreement(agreement_rows(store))
        tables["grader agreement"] = ag
        agreement = _agreement_table(ag)
    if slips_view:
        sl = keep("policy slips", m.policy_slips(a, by=("week",)))
        slips = _naive_week(sl.assign(learners=_learners(sl))[["week", "slip_rate", "learners"]]) if len(sl) else empty
        se = keep("policy slips by entity", m.slips_by_entity(a, fr.findings))
        slips_entity = se.assign(learners=_learners(se))[["entity", "rate", "learners"]] if len(se) else empty

    period = (f"{a['submitted_at'].min():%d %b %Y} – {a['submitted_at'].max():%d %b %Y}" if len(a) else "no data")
    headline = (f"**{n_l}** learners · **{len(a)}** attempts · {period} · showing {flt.describe()}"
                if len(a) else f"No attempts match ({flt.describe()}). Widen the filters, or run "
                "`sparring demo-data` to try the page with a demo data set.")
    n_ungraded = int(a["ungraded"].sum()) if len(a) else 0
    if n_ungraded:  # counted apart: neither passed nor failed, so no pass rate above includes them
        headline += (f" · **{n_ungraded}** ungraded (a part could not be checked; a mentor grades it), left out "
                     "of the pass rates")
        tables["ungraded attempts"] = m.ungraded_attempts(a, by=("week",))
    if 0 < n_l < m.SMALL_N:
        headline += f"\n\n⚠ Only {n_l} learner(s) in this selection: too few to read any rate from."
    return Page(headline, pass_rate, mean_score, improvement, retention, trust, slips, slips_entity, time_on_task,
                cohorts, agreement, "\n".join(f"- {c}" for c in cautions), tables, gaming=gaming,
                gaming_group=gaming_group, gaming_by=gaming_by)


def _pct(x: Any) -> str:
    return "–" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.0%}"


def _cohort_table(ch: pd.DataFrame, by: str) -> pd.DataFrame:
    if ch.empty:
        return pd.DataFrame()
    rows = []
    for _, r in ch.iterrows():
        n = int(r["n_learners"])
        rows.append({by.replace("_", " ").title(): r[by], "Learners": n, "Attempts": int(r["n_attempts"]),
                     "First-attempt pass rate": m.fmt_rate(r["first_pass_rate"], n),
                     "Mean score": _pct(r["mean_score"]),
                     "Improvement": "–" if pd.isna(r["improvement"]) else f"{r['improvement']:+.0%}",
                     "Retention": _pct(r["retention_ratio"]), "Policy slips": m.fmt_rate(r["slip_rate"], n)})
    return pd.DataFrame(rows)


def _agreement_table(ag: pd.DataFrame) -> pd.DataFrame:
    if ag.empty:
        return pd.DataFrame({"Scenario": ["No mentor reviews yet"]})
    rows = []
    for _, r in ag.sort_values(["small", "agreement", "n"], ascending=[True, True, False]).iterrows():
        k = r["kappa"]
        rows.append({"Scenario": r["scenario"], "Criterion": r["criterion"], "Reviews": int(r["n"]),
                     "Agreement": f"{r['agreement']:.0%}" + (" (too few)" if r["small"] else ""),
                     "Cohen's kappa": "undefined" if k is None or pd.isna(k) else f"{k:.2f}",
                     "Overrides": int(r["overrides"])})
    return pd.DataFrame(rows)


def six_weeks_later(store: Any, org: Organisation, start_month: str | None, flt: Filters | None = None,
                    min_days: int = m.RETENTION_DAYS) -> str:
    """One page for a cohort (learners who started in `start_month`): where they began, where they are, and
    what held up at least six weeks after they first passed."""
    fr = frames(store, org)
    flt = flt or Filters()
    a = m.filter_attempts(fr.attempts, team=flt.team, job_role=flt.job_role, start_month=start_month or None)
    who = f"learners who started in {start_month}" if start_month else "all learners"
    if flt.team or flt.job_role:
        who += f" ({', '.join(x for x in (flt.team, flt.job_role) if x)})"
    if a.empty:
        return f"## Six weeks later: {who}\n\nNo attempts for this cohort yet."
    n = a["learner"].nunique()
    lines = [f"## Six weeks later: {who}", "",
             f"{n} learners, {len(a)} attempts between {a['submitted_at'].min():%d %b %Y} and "
             f"{a['submitted_at'].max():%d %b %Y}."]
    if n < m.SMALL_N:
        lines.append(f"\n⚠ Only {n} learner(s): every rate below is too few to read.")
    fp = m.first_attempts(a)
    lines += ["", "### At the start", f"- First-attempt pass rate: {m.fmt_rate(fp['passed'].mean(), n)}",
              f"- Mean first score: {_pct(fp['score'].mean())}"]
    imp = m.improvement(a.assign(all="all"), by=("all",))
    if len(imp):
        r = imp.iloc[0]
        lines.append(f"- From first to latest attempt on the same scenario: {_pct(r['first_score'])} → "
                     f"{_pct(r['latest_score'])} ({r['delta']:+.0%}, {int(r['n_pairs'])} learner-scenario pairs, "
                     f"{int(r['n_learners'])} learners)")
    rt = m.retention(a, min_days, by=("skill",))
    lines += ["", f"### {min_days // 7} weeks or more after the first pass"]
    if rt.empty:
        lines.append(f"- Nobody in this cohort has re-practised a scenario {min_days} days after passing it yet.")
    else:
        allr = m.retention(a.assign(all="all"), min_days, by=("all",)).iloc[0]
        lines.append(f"- Re-practice score {_pct(allr['later_score'])} against {_pct(allr['first_pass_score'])} at "
                     f"the first pass: {allr['ratio']:.0%} retained; {m.fmt_rate(allr['retained_rate'], int(allr['n_learners']))} "
                     "of re-practices passed.")
        lines += ["", "| Skill | Learners | First pass | Later | Retained | Passed again |", "|---|---|---|---|---|---|"]
        for _, r in rt.iterrows():
            flag = " ⚠ too few" if r["small"] else ""
            lines.append(f"| {r['skill']}{flag} | {int(r['n_learners'])} | {_pct(r['first_pass_score'])} | "
                         f"{_pct(r['later_score'])} | {_pct(r['ratio'])} | {_pct(r['retained_rate'])} |")
    tc = m.trust_calibration(a)
    if len(tc):
        t = tc.iloc[0]
        lines += ["", "### Trusting AI answers",
                  f"- Over-trust (used an answer that needed checking): {m.fmt_rate(t['over_trust_rate'], int(t['n_learners']))}",
                  f"- Under-trust (more cautious than needed): {m.fmt_rate(t['under_trust_rate'], int(t['n_learners']))}",
                  f"- Brier score of stated confidence: {t['brier']:.2f} (0 is perfect, 0.25 is a coin toss)"]
    sl = m.policy_slips(a.assign(half=np.where(a["submitted_at"] < a["submitted_at"].min() +
                                                 (a["submitted_at"].max() - a["submitted_at"].min()) / 2,
                                                 "first half", "second half")), by=("half",))
    if len(sl):
        lines += ["", "### Policy slips (frame scenarios blocked by the data policy)"]
        for _, r in sl.iterrows():
            lines.append(f"- {r['half']} of the period: {m.fmt_rate(r['slip_rate'], int(r['n_learners']))}")
    lines += ["", "_Formulas: docs/metrics.md. A rate over fewer than 5 learners is marked as too few to read._"]
    return "\n".join(lines)


def csv_text(page: Page) -> str:
    """All metric tables of the page in one long CSV: metric, then the table's own columns."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["metric", "group", "week", "value_name", "value", "n_learners", "small"])
    for name, df in page.tables.items():
        if df is None or df.empty:
            continue
        value_cols = [c for c in df.columns if c not in ("skill", "team", "job_role", "start_month", "entity",
                                                         "week", "scenario", "criterion", "signal", "n_learners",
                                                         "small", "n")]
        for _, r in df.iterrows():
            group = "/".join(str(r[c]) for c in ("skill", "team", "entity", "scenario", "criterion", "signal")
                             if c in df.columns)
            week = r["week"].date().isoformat() if "week" in df.columns and pd.notna(r["week"]) else ""
            for c in value_cols:
                v = r[c]
                w.writerow([name, group, week, c, "" if v is None or (isinstance(v, float) and np.isnan(v))
                            else (round(float(v), 4) if isinstance(v, (float, np.floating)) else v),
                            r.get("n_learners", r.get("n", "")), bool(r.get("small", False))])
    return buf.getvalue()
