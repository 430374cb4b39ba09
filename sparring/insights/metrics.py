"""Behaviour metrics: did people get better, and did it last? Each metric is a pure function over rows.

Input is the canonical *attempts frame* (one row per attempt; build it from dicts with `attempts_frame(rows)`
or from the store with `sparring.insights.data.load`). Columns:

    id, learner, team, job_role, start_month ("YYYY-MM"), scenario, kind, skills (list[str]),
    submitted_at (datetime), score (0..1), passed (bool), blocked (bool), duration_s,
    ungraded (bool)                       # the verdict waits for a mentor: a required criterion could not be
                                          # checked (sparring/grading/verdict.py); neither a pass nor a fail
    decision, confidence, expected        # trust attempts only (None elsewhere)
    gaming (list[str])                    # anti-gaming signal codes of sparring/gaming.py ([] for most)

Every aggregate carries `n_learners` and `small` (fewer than SMALL_N distinct learners): a rate over so few
people is shown as such, never as a bare number (see docs/metrics.md, where every formula is written down).
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

SMALL_N = 5  # below this many distinct learners a rate is flagged "small numbers"
RETENTION_DAYS = 42
CAUTION = {"use": 0, "verify": 1, "reject": 2}  # how cautious a trust decision is

ATTEMPT_COLUMNS = ["id", "learner", "team", "job_role", "start_month", "scenario", "kind", "skills",
                   "submitted_at", "score", "passed", "blocked", "duration_s", "decision", "confidence", "expected",
                   "gaming", "ungraded"]
ANY_SIGNAL = "any signal"  # the row of gaming_signals counting attempts that raised at least one


# ------------------------------------------------------------------------------------------------ input


def attempts_frame(rows: Iterable[dict[str, Any]] | pd.DataFrame) -> pd.DataFrame:
    """Rows (dicts) → the canonical attempts frame, with types fixed and missing columns filled."""
    df = rows.copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    for col in ATTEMPT_COLUMNS:
        if col not in df.columns:
            df[col] = None
    df = df[ATTEMPT_COLUMNS + [c for c in df.columns if c not in ATTEMPT_COLUMNS]]
    df["submitted_at"] = pd.to_datetime(df["submitted_at"], utc=True, format="mixed")
    df["score"] = pd.to_numeric(df["score"], errors="coerce").astype(float)
    df["duration_s"] = pd.to_numeric(df["duration_s"], errors="coerce").astype(float)
    df["confidence"] = pd.to_numeric(df["confidence"], errors="coerce").astype(float)
    df["passed"] = df["passed"].fillna(False).astype(bool)
    df["blocked"] = df["blocked"].fillna(False).astype(bool)
    df["ungraded"] = df["ungraded"].fillna(False).astype(bool)
    df["skills"] = df["skills"].map(lambda s: list(s) if isinstance(s, (list, tuple)) else [])
    df["gaming"] = df["gaming"].map(lambda s: list(s) if isinstance(s, (list, tuple)) else [])
    if df["start_month"].isna().any() and len(df):
        first = df.groupby("learner")["submitted_at"].transform("min")
        df["start_month"] = df["start_month"].fillna(first.dt.strftime("%Y-%m"))
    for col in ("team", "job_role"):
        df[col] = df[col].fillna("(none)")
    df["week"] = week_of(df["submitted_at"]) if len(df) else pd.Series(dtype="datetime64[ns]")
    # Integer codes: grouping by ints is several times faster than by strings, and every metric groups by these.
    df["lid"] = df.groupby("learner", sort=False).ngroup() if len(df) else pd.Series(dtype=int)
    df["pair"] = df.groupby(["learner", "scenario"], sort=False).ngroup() if len(df) else pd.Series(dtype=int)
    return df.sort_values(["submitted_at", "id"], kind="stable").reset_index(drop=True)


def week_of(ts: pd.Series) -> pd.Series:
    """Monday of the ISO week, as a naive date-time (what the charts put on the x axis)."""
    d = ts.dt.tz_convert(None) if ts.dt.tz is not None else ts
    return (d - pd.to_timedelta(d.dt.day_of_week, unit="D")).dt.normalize()


def filter_attempts(df: pd.DataFrame, *, team: str | None = None, job_role: str | None = None,
                    skill: str | None = None, start: Any = None, end: Any = None,
                    start_month: str | None = None) -> pd.DataFrame:
    """Keep attempts matching every given filter. `start`/`end` are dates (inclusive); None or "" means all."""
    m = pd.Series(True, index=df.index)
    if team:
        m &= df["team"] == team
    if job_role:
        m &= df["job_role"] == job_role
    if start_month:
        m &= df["start_month"] == start_month
    if skill:
        m &= df["skills"].map(lambda s: skill in s)
    if start not in (None, ""):
        m &= df["submitted_at"] >= pd.Timestamp(start, tz="UTC")
    if end not in (None, ""):
        m &= df["submitted_at"] < pd.Timestamp(end, tz="UTC") + pd.Timedelta(days=1)
    return df[m]


def by_skill(df: pd.DataFrame) -> pd.DataFrame:
    """One row per (attempt, skill): an attempt practising two skills counts once for each."""
    out = df.explode("skills").rename(columns={"skills": "skill"})
    return out[out["skill"].notna()]


def _flag(out: pd.DataFrame) -> pd.DataFrame:
    out["small"] = out["n_learners"] < SMALL_N
    return out


def _empty(cols: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})


def first_attempts(df: pd.DataFrame) -> pd.DataFrame:
    """Each learner's first attempt at each scenario."""
    return df.drop_duplicates("pair", keep="first")


# ---------------------------------------------------------------------------------------------- metrics


def first_attempt_pass_rate(df: pd.DataFrame, by: Sequence[str] = ("skill", "week")) -> pd.DataFrame:
    """Share of first attempts at a scenario that passed, per group, over the first attempts that were graded.
    rate = passed first attempts / (first attempts - ungraded first attempts). An ungraded attempt (its verdict
    waits for a mentor) is neither a pass nor a fail: it is counted apart, in n_ungraded, and left out of the
    rate and of n_learners / n_attempts (an outage of the AI judge must not read as learners failing)."""
    cols = [*by, "n_learners", "n_attempts", "n_ungraded", "rate", "small"]
    first = first_attempts(df)
    if first.empty:
        return _empty(cols)
    rows = _grouped(first, by)
    graded = rows[~rows["ungraded"]]
    out = _agg(graded, by, n_learners=("lid", "nunique"), n_attempts=("id", "size"), rate=("passed", "mean"))
    unchecked = _agg(rows.assign(u=rows["ungraded"].astype(int)), by, n_ungraded=("u", "sum"))
    out = unchecked.merge(out, on=list(by), how="left") if by else unchecked.join(out)
    out["n_learners"] = out["n_learners"].fillna(0).astype(int)
    out["n_attempts"] = out["n_attempts"].fillna(0).astype(int)
    out["n_ungraded"] = out["n_ungraded"].astype(int)
    return _flag(out)[cols]


def ungraded_attempts(df: pd.DataFrame, by: Sequence[str] = ("week",)) -> pd.DataFrame:
    """Attempts whose verdict waits for a mentor because a required criterion could not be checked (a grader
    crash, a timeout, an AI judge not configured or unreachable), per group.
    rate = ungraded attempts / attempts. Counted apart from failures in every pass-rate figure."""
    cols = [*by, "n_learners", "n_attempts", "n_ungraded", "rate", "small"]
    if df.empty:
        return _empty(cols)
    rows = _grouped(df, by)
    out = _agg(rows.assign(u=rows["ungraded"].astype(int)), by, n_learners=("lid", "nunique"),
               n_attempts=("id", "size"), n_ungraded=("u", "sum"))
    out["rate"] = out["n_ungraded"] / out["n_attempts"]
    return _flag(out)[cols]


def mean_score(df: pd.DataFrame, by: Sequence[str] = ("skill", "week")) -> pd.DataFrame:
    """Mean score (0..1) of all attempts, per group."""
    cols = [*by, "n_learners", "n_attempts", "mean_score", "small"]
    if df.empty:
        return _empty(cols)
    rows = _grouped(df, by)
    out = _agg(rows, by, n_learners=("lid", "nunique"), n_attempts=("id", "size"),
               mean_score=("score", "mean"))
    return _flag(out)[cols]


def improvement(df: pd.DataFrame, by: Sequence[str] = ("skill",)) -> pd.DataFrame:
    """First versus latest score of the same learner on the same scenario (pairs with 2+ attempts).
    delta = mean(latest score) - mean(first score) over those pairs."""
    cols = [*by, "n_learners", "n_pairs", "first_score", "latest_score", "delta", "small"]
    n = df.groupby("pair", sort=False)["id"].transform("size")
    multi = df[n >= 2]
    if multi.empty:
        return _empty(cols)
    firsts = multi.drop_duplicates("pair", keep="first")
    lasts = multi.drop_duplicates("pair", keep="last").set_index("pair")["score"]
    pairs = firsts.rename(columns={"score": "first_score"})
    pairs = pairs.assign(latest_score=pairs["pair"].map(lasts).to_numpy())
    rows = _grouped(pairs, by)
    out = _agg(rows, by, n_learners=("lid", "nunique"), n_pairs=("id", "size"),
               first_score=("first_score", "mean"),
               latest_score=("latest_score", "mean"))
    out["delta"] = out["latest_score"] - out["first_score"]
    return _flag(out)[cols]


def retention_pairs(df: pd.DataFrame, min_days: int = RETENTION_DAYS) -> pd.DataFrame:
    """Per learner and scenario: the first pass, and the first graded re-practice at least `min_days` after it.
    One row per pair, carrying the columns of the first-pass attempt (so any grouping column survives)."""
    cols = ["learner", "scenario", "first_score", "first_pass_score", "first_pass_at", "later_score", "later_passed",
            "later_at"]
    if df.empty or not df["passed"].any():
        return _empty(cols)
    # Work on a slim frame keyed by learner+scenario (merging wide frames with list columns is slow).
    key = df["pair"]
    at = df["submitted_at"]
    first_score = df["score"].groupby(key, sort=False).transform("first")
    fp_at = at.where(df["passed"]).groupby(key, sort=False).transform("min")
    fp_idx = df.index[(df["passed"] & (at == fp_at)).to_numpy()]
    fp_idx = key.loc[fp_idx].drop_duplicates().index
    # an ungraded re-practice (its verdict waits for a mentor) is no evidence either way: the next one counts
    later = (at >= fp_at + pd.Timedelta(days=min_days)).fillna(False) & ~df["ungraded"]
    later_idx = key[later].drop_duplicates()
    later_by_key = pd.Series(later_idx.index, index=later_idx.values)
    fp_keys = key.loc[fp_idx]
    keep = fp_keys.isin(later_by_key.index).to_numpy()
    fp_idx, fp_keys = fp_idx[keep], fp_keys[keep]
    if len(fp_idx) == 0:
        return _empty(cols)
    li = later_by_key.loc[fp_keys.values].to_numpy()
    out = df.loc[fp_idx].copy()
    out["first_score"] = first_score.loc[fp_idx].to_numpy()
    out["first_pass_score"] = df["score"].loc[fp_idx].to_numpy()
    out["first_pass_at"] = at.loc[fp_idx].to_numpy()
    out["later_score"] = df["score"].loc[li].to_numpy()
    out["later_passed"] = df["passed"].loc[li].to_numpy()
    out["later_at"] = at.loc[li].to_numpy()
    out = out.drop(columns=[c for c in ("score", "passed", "submitted_at", "id") if c in out.columns])
    return out[cols + [c for c in out.columns if c not in cols]].reset_index(drop=True)


def retention(df: pd.DataFrame, min_days: int = RETENTION_DAYS, by: Sequence[str] = ("skill",)) -> pd.DataFrame:
    """Score on a re-practice at least `min_days` after the first pass, against the first scores.
    ratio = mean(min(later score, first-pass score)) / mean(first-pass score): the share of the first pass that
    held up, so at most 100% (a re-practice that beats the first pass retained all of it; how far it went beyond
    is learning, shown as `gain_vs_first`, not retention); retained_rate = share of re-practices that pass;
    gain_vs_first = mean(later score) - mean(very first score)."""
    cols = [*by, "n_learners", "n_pairs", "first_score", "first_pass_score", "later_score", "ratio",
            "retained_rate", "gain_vs_first", "small"]
    pairs = retention_pairs(df, min_days)
    if pairs.empty:
        return _empty(cols)
    # Capped per pair, not after averaging: one learner's gain must not make up for another's loss.
    pairs = pairs.assign(id=range(len(pairs)), kept=np.minimum(pairs["later_score"], pairs["first_pass_score"]))
    rows = _grouped(pairs, by)
    out = _agg(
        rows, by,
        n_learners=("lid", "nunique"), n_pairs=("id", "size"), first_score=("first_score", "mean"),
        first_pass_score=("first_pass_score", "mean"), later_score=("later_score", "mean"),
        kept=("kept", "mean"), retained_rate=("later_passed", "mean"))
    out["ratio"] = out["kept"] / out["first_pass_score"].replace(0, np.nan)
    out["gain_vs_first"] = out["later_score"] - out["first_score"]
    return _flag(out)[cols]


def trust_calibration(df: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """Trust decisions against the scenario's key.
    brier = mean((confidence - correct)^2), correct = decision equals the key;
    over_trust_rate = chose `use` / attempts whose key is verify or reject;
    under_trust_rate = chose a more cautious option than the key / attempts whose key is use or verify."""
    cols = [*by, "n_learners", "n_attempts", "brier", "accuracy", "over_trust_rate", "under_trust_rate", "small"]
    t = df[(df["kind"] == "trust") & df["decision"].isin(list(CAUTION)) & df["expected"].isin(list(CAUTION))]
    if t.empty:
        return _empty(cols)
    d = t["decision"].map(CAUTION)
    k = t["expected"].map(CAUTION)
    correct = (d == k).astype(float)
    conf = t["confidence"].fillna(0.75)
    t = t.assign(correct=correct, sq=(conf - correct) ** 2,
                 over=np.where(k >= 1, (d == 0).astype(float), np.nan),
                 under=np.where(k <= 1, (d > k).astype(float), np.nan))
    rows = _grouped(t, by)
    out = _agg(
        rows, by,
        n_learners=("lid", "nunique"), n_attempts=("id", "size"), brier=("sq", "mean"),
        accuracy=("correct", "mean"), over_trust_rate=("over", "mean"),
        under_trust_rate=("under", "mean"))
    return _flag(out)[cols]


def policy_slips(df: pd.DataFrame, by: Sequence[str] = ("week",)) -> pd.DataFrame:
    """Share of frame attempts blocked by the policy. slip_rate = blocked frame attempts / frame attempts."""
    cols = [*by, "n_learners", "n_attempts", "n_blocked", "slip_rate", "small"]
    f = df[df["kind"] == "frame"]
    if f.empty:
        return _empty(cols)
    rows = _grouped(f, by)
    out = _agg(
        rows, by,
        n_learners=("lid", "nunique"), n_attempts=("id", "size"), n_blocked=("blocked", "sum"),
        slip_rate=("blocked", "mean"))
    return _flag(out)[cols]


def slips_by_entity(df: pd.DataFrame, findings: pd.DataFrame | Iterable[dict], by: Sequence[str] = ()) -> pd.DataFrame:
    """Per entity type: share of frame attempts blocked with a blocking finding of that type.
    rate = frame attempts with a `block` finding of the entity / frame attempts (in the same group)."""
    cols = [*by, "entity", "n_learners", "n_blocked", "n_attempts", "rate", "small"]
    fi = findings if isinstance(findings, pd.DataFrame) else pd.DataFrame(list(findings))
    f = df[df["kind"] == "frame"]
    if f.empty or fi.empty:
        return _empty(cols)
    f = _grouped(f, by)
    keys = list(by)
    totals = (f.groupby(keys, observed=True)["id"].size().rename("n_attempts").reset_index() if keys
              else pd.DataFrame({"n_attempts": [len(f)]}))
    blocks = fi[fi["action"] == "block"][["attempt_id", "entity"]].drop_duplicates()
    hit = f[f["blocked"]].merge(blocks, left_on="id", right_on="attempt_id")
    if hit.empty:
        return _empty(cols)
    out = hit.groupby([*keys, "entity"], observed=True).agg(n_learners=("lid", "nunique"),
               n_blocked=("id", "nunique")).reset_index()
    out = out.merge(totals, on=keys) if keys else out.assign(n_attempts=len(f))
    out["rate"] = out["n_blocked"] / out["n_attempts"]
    return _flag(out)[cols].sort_values([*keys, "rate"], ascending=[True] * len(keys) + [False])


def time_on_task(df: pd.DataFrame, by: Sequence[str] = ("skill",)) -> pd.DataFrame:
    """Minutes from opening a scenario to submitting: median and mean per group (durations over 2 h dropped as
    abandoned tabs)."""
    cols = [*by, "n_learners", "n_attempts", "median_min", "mean_min", "small"]
    d = df[df["duration_s"].between(0, 7200)]
    if d.empty:
        return _empty(cols)
    rows = _grouped(d.assign(minutes=d["duration_s"] / 60.0), by)
    out = _agg(
        rows, by,
        n_learners=("lid", "nunique"), n_attempts=("id", "size"), median_min=("minutes", "median"),
        mean_min=("minutes", "mean"))
    return _flag(out)[cols]


def gaming_signals(df: pd.DataFrame, by: Sequence[str] = ("week",),
                   signals: Sequence[str] | None = None) -> pd.DataFrame:
    """Share of attempts raising each anti-gaming signal (sparring/gaming.py), per group; one row per group and
    signal, plus ANY_SIGNAL. rate = attempts in the group that raised the signal / attempts in the group.
    n_learners counts every learner with an attempt in the group (not only the flagged ones): the small-number
    flag says how many people the share is taken over. A signal is a reason for a mentor to look, not a verdict."""
    cols = [*by, "signal", "n_learners", "n_attempts", "n_flagged", "rate", "small"]
    if df.empty:
        return _empty(cols)
    if signals is None:
        from ..gaming import GAMING_SIGNALS  # cheap module (no model); imported here to keep metrics standalone
        signals = list(GAMING_SIGNALS)
    codes = [*signals, ANY_SIGNAL]
    g = df["gaming"]
    # One indicator column per signal; most attempts raise none, so test membership only where there is a list.
    raised = g.map(len) > 0
    marks = {c: np.zeros(len(df)) for c in codes}
    for pos in np.flatnonzero(raised.to_numpy()):
        for c in g.iat[pos]:
            if c in marks:
                marks[c][pos] = 1.0
        marks[ANY_SIGNAL][pos] = 1.0
    names = [f"_s{i}" for i in range(len(codes))]
    rows = _grouped(df[["id", "lid", "submitted_at", "skills", *[c for c in by if c in df.columns]]]
                    .assign(**{n: marks[c] for n, c in zip(names, codes)}), by)
    keys = list(by) or ["_all"]
    if not by:
        rows = rows.assign(_all=0)
    # One grouped sum over the indicator columns (a named aggregation per signal costs several times more).
    gb = rows.groupby(keys, observed=True, sort=True)
    base = gb.agg(n_learners=("lid", "nunique"), n_attempts=("id", "size"))
    flagged = gb[names].sum().to_numpy(dtype=int)                       # groups x signals
    n_groups, n_codes = flagged.shape
    long = base.reset_index().loc[np.repeat(np.arange(n_groups), n_codes)].reset_index(drop=True)
    long["signal"] = codes * n_groups
    long["n_flagged"] = flagged.reshape(-1)
    long["rate"] = long["n_flagged"] / long["n_attempts"]
    if not by:
        long = long.drop(columns="_all")
    return _flag(long)[cols].reset_index(drop=True)


def cohorts(df: pd.DataFrame, by: str = "team", min_days: int = RETENTION_DAYS) -> pd.DataFrame:
    """One row per cohort (team, job_role or start_month): learners, attempts, first-attempt pass rate, mean score,
    improvement and retention, each as defined above."""
    cols = [by, "n_learners", "n_attempts", "first_pass_rate", "mean_score", "improvement", "retention_ratio",
            "slip_rate", "small"]
    if df.empty:
        return _empty(cols)
    base = df.groupby(by).agg(n_learners=("lid", "nunique"), n_attempts=("id", "size"),
                              mean_score=("score", "mean")).reset_index()
    firsts = first_attempts(df)
    fp = firsts[~firsts["ungraded"]].groupby(by)["passed"].mean().rename("first_pass_rate")
    imp = improvement(df, by=(by,)).set_index(by)["delta"].rename("improvement")
    ret = retention(df, min_days, by=(by,)).set_index(by)["ratio"].rename("retention_ratio")
    slip = policy_slips(df, by=(by,)).set_index(by)["slip_rate"]
    out = base.set_index(by).join([fp, imp, ret, slip]).reset_index()
    return _flag(out)[cols]


# ------------------------------------------------------------------------------------- grader agreement


def cohen_kappa(a: Sequence[bool], b: Sequence[bool]) -> float | None:
    """Cohen's kappa of two binary raters. None when it is undefined (both raters always gave one and the same
    label, so chance agreement is 1)."""
    if len(a) != len(b) or not a:
        return None
    x = np.asarray(a, dtype=float)
    y = np.asarray(b, dtype=float)
    po = float((x == y).mean())
    pe = float(x.mean() * y.mean() + (1 - x.mean()) * (1 - y.mean()))
    if pe >= 1.0:
        return None
    return (po - pe) / (1 - pe)


def grader_agreement(rows: Iterable[dict[str, Any]] | pd.DataFrame) -> pd.DataFrame:
    """Automatic versus mentor grade per scenario and criterion, from rows
    {scenario, criterion, auto_passed, mentor_passed}: n, percent agreement, Cohen's kappa, overrides."""
    cols = ["scenario", "criterion", "n", "agreement", "kappa", "overrides", "small"]
    r = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    if r.empty:
        return _empty(cols)
    # One grouped pass (a loop over groups cost more than the rest of the page's tables): the same formula as
    # cohen_kappa, with NaN where it is undefined (pe = 1).
    a = r["auto_passed"].astype(bool).astype(float)
    b = r["mentor_passed"].astype(bool).astype(float)
    g = pd.DataFrame({"scenario": r["scenario"], "criterion": r["criterion"], "a": a, "b": b,
                      "agree": (a == b).astype(float)})
    out = g.groupby(["scenario", "criterion"], sort=True).agg(n=("agree", "size"), agreement=("agree", "mean"),
                                                              pa=("a", "mean"), pb=("b", "mean"),
                                                              agreed=("agree", "sum")).reset_index()
    pe = out["pa"] * out["pb"] + (1 - out["pa"]) * (1 - out["pb"])
    out["kappa"] = ((out["agreement"] - pe) / (1 - pe)).where(pe < 1.0)
    out["overrides"] = out["n"] - out["agreed"].astype(int)
    out["small"] = out["n"] < SMALL_N
    return out[cols]


# -------------------------------------------------------------------------------------------- helpers


def _agg(rows: pd.DataFrame, by: Sequence[str], **aggs: Any) -> pd.DataFrame:
    """groupby(by).agg(**aggs), where an empty `by` means one group holding every row."""
    if not by:
        return rows.assign(_all=0).groupby("_all").agg(**aggs).reset_index(drop=True)
    return rows.groupby(list(by), observed=True, sort=True).agg(**aggs).reset_index()


def _grouped(df: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Add the derived grouping columns `by` asks for (skill → one row per skill; week → Monday)."""
    out = df
    if "skill" in by and "skill" not in out.columns:
        out = by_skill(out)
    if "week" in by and "week" not in out.columns:
        ts = out["submitted_at"] if "submitted_at" in out.columns else out["first_pass_at"]
        out = out.assign(week=week_of(ts))
    return out


def fmt_rate(rate: float | None, n_learners: int) -> str:
    """A rate for people: '62% (n=14)', or flagged when fewer than SMALL_N learners stand behind it."""
    if rate is None or (isinstance(rate, float) and np.isnan(rate)):
        return "–"
    if n_learners < SMALL_N:
        return f"{rate:.0%} (only {n_learners} learner{'s' if n_learners != 1 else ''}: too few to read)"
    return f"{rate:.0%} (n={n_learners})"
