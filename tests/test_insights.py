"""Behaviour metrics (pure functions over rows, exact numbers from hand-made rows), the demo data set, and the
Insights page built from it."""

from __future__ import annotations

import json

import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta, timezone

import gradio as gr
import pandas as pd
import pytest

from sparring.insights import charts, demo, metrics as m, views
from sparring.store.db import Store

T0 = datetime(2025, 3, 3, 10, tzinfo=timezone.utc)  # a Monday


def att(i, learner, scenario="s1", *, day=0, score=0.5, passed=False, kind="spot", skills=("skill-a",), **kw):
    return {"id": i, "learner": learner, "scenario": scenario, "kind": kind, "skills": list(skills),
            "submitted_at": T0 + timedelta(days=day), "score": score, "passed": passed, **kw}


def frame(rows):
    return m.attempts_frame(rows)


# -------------------------------------------------------------------------------------------- charts


def _svg(html_text):
    """The chart's HTML parsed as XML (it must be well-formed: it goes into the page as markup)."""
    return ET.fromstring(html_text)


def _texts(root):
    return [t.text for t in root.iter("text")]


def test_line_chart_has_one_line_per_series_axes_labels_and_marks_small_numbers_hollow():
    df = pd.DataFrame({"week": pd.to_datetime(["2025-03-03", "2025-03-10", "2025-03-03", "2025-03-10"]),
                       "skill": ["<b>x</b>", "<b>x</b>", "plain {name}", "plain {name}"],
                       "rate": [0.25, 0.5, 0.75, 1.0],
                       "learners": ["12", "3 (too few to read)", "7", "8"]})
    out = charts.line_chart(df, x="week", y="rate", color="skill", title="Pass rate", y_title="pass rate",
                            y_lim=[0, 1], tooltip=["skill", "week", "rate", "learners"])
    root = _svg(out)
    assert len(list(root.iter("polyline"))) == 2                       # a line per skill
    circles = list(root.iter("circle"))
    assert len(circles) == 4
    hollow = [c for c in circles if c.get("fill") == charts.BACKGROUND]
    assert len(hollow) == 1 and "3 (too few to read)" in hollow[0].find("title").text
    texts = _texts(root)
    assert {"0%", "50%", "100%", "03 Mar", "10 Mar", "pass rate", "week (starting Monday)"} <= set(texts)
    assert len(list(root.iter("path"))) == 1                            # the two axes
    assert "Hollow points: fewer than 5 learners" in out
    assert "<b>" not in out and "{" not in out                          # data text is escaped (HTML and template)
    legend = "".join(root.find(".//div[@class='sp-legend']").itertext())
    assert "<b>x</b>" in legend and "plain {name}" in legend


def test_line_chart_breaks_lines_at_missing_weeks_and_draws_many_series_as_small_multiples():
    weeks = pd.to_datetime(["2025-03-03", "2025-03-10", "2025-03-31", "2025-04-07"])  # two weeks missing
    df = pd.DataFrame({"week": weeks, "rate": [0.2, 0.4, 0.5, 0.6]})
    root = _svg(charts.line_chart(df, x="week", y="rate", title="t"))
    lines = list(root.iter("polyline"))
    assert len(lines) == 2 and all(len(p.get("points").split()) == 2 for p in lines)  # never across the gap
    assert len(list(root.iter("circle"))) == 4  # every point still drawn
    many = pd.DataFrame({"week": list(weeks[:2]) * 7, "skill": [f"s{i}" for i in range(7) for _ in range(2)],
                         "rate": [0.1 * i for i in range(14)]})
    out = charts.line_chart(many, x="week", y="rate", color="skill", title="Pass rate", y_lim=[0, 1])
    root = ET.fromstring(out)
    panels = root.findall(".//div[@class='sp-multiples']/div[@class='sp-chart']")
    assert [p.find("div[@class='sp-title']").text for p in panels] == [f"s{i}" for i in range(7)]
    assert all(len(list(p.iter("polyline"))) == 1 for p in panels)  # one series per small chart
    few = charts.line_chart(many[many["skill"].isin(["s0", "s1"])], x="week", y="rate", color="skill", title="t")
    assert "sp-multiples" not in few and len(list(ET.fromstring(few).iter("polyline"))) == 2


def test_bar_chart_has_a_bar_per_category_value_axis_and_pale_small_bars():
    df = pd.DataFrame({"skill": ["numeracy", "tax-rules", "fair-hiring"], "change": [0.2, -0.05, 0.1],
                       "learners": ["20", "9", "2 (too few to read)"]})
    out = charts.bar_chart(df, x="skill", y="change", title="Improvement", y_title="change in score",
                           fmt=charts.signed_pct, tooltip=["skill", "change", "learners"])
    root = _svg(out)
    rects = list(root.iter("rect"))
    assert len(rects) == 3
    assert [r.get("fill-opacity") for r in rects] == [None, None, "0.35"]
    assert float(rects[0].get("width")) > float(rects[2].get("width")) > 0   # 20% drawn longer than 10%
    texts = _texts(root)
    assert {"numeracy", "tax-rules", "fair-hiring", "+20%", "-5%", "+10%", "0%", "change in score"} <= set(texts)
    assert "Pale bars: fewer than 5 learners" in out
    assert "Pale bars" not in charts.bar_chart(df.head(2), x="skill", y="change", title="t")  # no small bar
    assert "Nothing to show" in charts.bar_chart(df.head(0), x="skill", y="change", title="t")
    assert "Nothing to show" in charts.bar_chart(df.assign(change=float("nan")), x="skill", y="change", title="t")
    assert "Nothing to show" in charts.line_chart(None, x="week", y="rate", title="t")
    weeks = pd.DataFrame({"week": pd.to_datetime(["2025-03-03"]), "rate": [float("nan")]})
    assert "Nothing to show" in charts.line_chart(weeks, x="week", y="rate", title="t")


# ------------------------------------------------------------------------------------------- metrics


def test_first_attempt_pass_rate_counts_only_each_learners_first_try_and_flags_small_groups():
    rows = [att(1, "a", passed=True), att(2, "a", day=1, passed=True),          # a: first passed
            att(3, "b", passed=False), att(4, "b", day=1, passed=True),         # b: first failed
            att(5, "c", passed=False), att(6, "c", "s2", day=2, passed=True)]   # c: s1 failed, s2 passed
    out = m.first_attempt_pass_rate(frame(rows), by=("skill",))
    assert out["n_attempts"].tolist() == [4]
    assert out["rate"].tolist() == [pytest.approx(0.5)]
    assert out["n_learners"].tolist() == [3] and out["small"].tolist() == [True]
    assert m.fmt_rate(0.5, 3) == "50% (only 3 learners: too few to read)"
    assert m.fmt_rate(0.5, 5) == "50% (n=5)"


def test_ungraded_attempts_are_counted_apart_and_kept_out_of_the_failure_figures():
    """An attempt whose verdict waits for a mentor (a required criterion could not be checked) is neither a pass
    nor a fail: the pass rates leave it out and count it in n_ungraded; a re-practice that is ungraded does not
    count against retention (docs/metrics.md)."""
    rows = [att(1, "a", passed=True), att(2, "b", passed=False),
            att(3, "c", passed=False, ungraded=True), att(4, "d", passed=False, ungraded=True),  # judge down
            att(5, "a", day=50, passed=False, ungraded=True), att(6, "a", day=51, passed=True, score=0.9)]
    df = frame(rows)
    out = m.first_attempt_pass_rate(df, by=("skill",))
    assert out[["n_attempts", "n_ungraded", "n_learners"]].values.tolist() == [[2, 2, 2]]
    assert out["rate"].tolist() == [pytest.approx(0.5)]  # not 1 of 4 = 25%: the outage is not learners failing
    whole = m.first_attempt_pass_rate(df, by=())
    assert whole["n_ungraded"].tolist() == [2] and whole["rate"].tolist() == [pytest.approx(0.5)]
    assert m.cohorts(df.assign(team="t"), by="team")["first_pass_rate"].tolist() == [pytest.approx(0.5)]
    un = m.ungraded_attempts(df, by=())
    assert un[["n_attempts", "n_ungraded"]].values.tolist() == [[6, 3]] and un["rate"].tolist() == [0.5]
    pairs = m.retention_pairs(df, min_days=42)
    assert pairs["later_passed"].tolist() == [True] and pairs["later_score"].tolist() == [0.9]


def test_rates_over_five_or_more_learners_are_not_flagged():
    rows = [att(i, f"l{i}", passed=i % 2 == 0) for i in range(6)]
    out = m.first_attempt_pass_rate(frame(rows), by=("skill", "week"))
    assert out["small"].tolist() == [False] and out["n_learners"].tolist() == [6]
    assert str(out["week"].iloc[0].date()) == "2025-03-03"


def test_mean_score_and_attempts_with_two_skills_count_for_each():
    rows = [att(1, "a", score=0.2, skills=("x", "y")), att(2, "b", score=0.6, skills=("x",))]
    out = m.mean_score(frame(rows), by=("skill",)).set_index("skill")
    assert out.loc["x", "mean_score"] == pytest.approx(0.4)
    assert out.loc["y", "mean_score"] == pytest.approx(0.2)


def test_improvement_is_latest_minus_first_on_the_same_scenario():
    rows = [att(1, "a", score=0.3), att(2, "a", day=3, score=0.5), att(3, "a", day=9, score=0.9),
            att(4, "b", score=0.6), att(5, "b", day=2, score=0.7),
            att(6, "c", score=0.1)]  # one attempt only: no pair
    out = m.improvement(frame(rows), by=("skill",))
    assert out["n_pairs"].tolist() == [2]
    assert out["first_score"].iloc[0] == pytest.approx(0.45)
    assert out["latest_score"].iloc[0] == pytest.approx(0.8)
    assert out["delta"].iloc[0] == pytest.approx(0.35)


def test_retention_needs_a_re_practice_at_least_42_days_after_the_first_pass():
    rows = [att(1, "a", score=0.4), att(2, "a", day=1, score=0.9, passed=True),
            att(3, "a", day=30, score=0.95, passed=True),            # too soon: ignored
            att(4, "a", day=44, score=0.72, passed=False),           # 43 days after the pass: this one
            att(5, "a", day=60, score=1.0, passed=True),             # later ones do not count
            att(6, "b", passed=True, score=0.8), att(7, "b", day=41, score=0.1)]  # only 41 days: no pair
    pairs = m.retention_pairs(frame(rows))
    assert pairs["learner"].tolist() == ["a"]
    out = m.retention(frame(rows), by=("skill",)).iloc[0]
    assert out["first_score"] == pytest.approx(0.4)
    assert out["first_pass_score"] == pytest.approx(0.9)
    assert out["later_score"] == pytest.approx(0.72)
    assert out["ratio"] == pytest.approx(0.8)
    assert out["retained_rate"] == pytest.approx(0.0)
    assert out["gain_vs_first"] == pytest.approx(0.32)
    assert m.retention(frame(rows), min_days=40)["n_pairs"].tolist() == [2]


def test_retention_is_at_most_100_percent_and_a_gain_does_not_hide_a_loss():
    """A re-practice above the first pass retained all of it (100%), not 125%: the gain is learning, in
    gain_vs_first. Capped per pair: a's gain does not make up for b's loss."""
    rows = [att(1, "a", passed=True, score=0.8), att(2, "a", day=50, score=1.0, passed=True),
            att(3, "b", passed=True, score=0.8), att(4, "b", day=50, score=0.4)]
    out = m.retention(frame(rows), by=("skill",)).iloc[0]
    assert out["later_score"] == pytest.approx(0.7)  # the plain mean, reported as it is
    assert out["ratio"] == pytest.approx((0.8 + 0.4) / 2 / 0.8)  # 75%; uncapped it would read 87.5%
    only_a = m.retention(frame(rows[:2]), by=("skill",)).iloc[0]
    assert only_a["ratio"] == pytest.approx(1.0) and only_a["gain_vs_first"] == pytest.approx(0.2)


def test_trust_calibration_brier_over_and_under_trust():
    t = dict(kind="trust", skills=("trust-calibration",))
    rows = [att(1, "a", decision="use", expected="verify", confidence=0.9, **t),      # over-trust, wrong
            att(2, "b", decision="verify", expected="verify", confidence=0.8, **t),   # right
            att(3, "c", decision="reject", expected="use", confidence=0.6, **t),      # under-trust, wrong
            att(4, "d", decision="use", expected="use", confidence=1.0, **t),         # right
            att(5, "e", decision="reject", expected="verify", confidence=0.7, **t)]   # under-trust, wrong
    out = m.trust_calibration(frame(rows)).iloc[0]
    assert out["brier"] == pytest.approx((0.81 + 0.04 + 0.36 + 0.0 + 0.49) / 5)
    assert out["accuracy"] == pytest.approx(0.4)
    assert out["over_trust_rate"] == pytest.approx(1 / 3)   # keys verify/reject: a, b, e; only a chose use
    assert out["under_trust_rate"] == pytest.approx(2 / 5)  # keys use/verify: all five; c and e more cautious
    assert out["n_learners"] == 5 and not out["small"]


def test_policy_slips_over_time_and_by_entity():
    f = dict(kind="frame", skills=("data-handling",))
    rows = [att(1, "a", blocked=True, **f), att(2, "b", blocked=True, **f), att(3, "c", **f), att(4, "d", **f),
            att(5, "a", day=7, **f), att(6, "b", day=7, blocked=True, **f),
            att(7, "x", kind="spot")]  # not a frame attempt: not counted
    df = frame(rows)
    out = m.policy_slips(df, by=("week",))
    assert out["slip_rate"].tolist() == [pytest.approx(0.5), pytest.approx(0.5)]
    assert out["n_attempts"].tolist() == [4, 2]
    findings = [{"attempt_id": 1, "entity": "PERSON", "action": "block"},
                {"attempt_id": 1, "entity": "EMAIL_ADDRESS", "action": "block"},
                {"attempt_id": 2, "entity": "PERSON", "action": "block"},
                {"attempt_id": 6, "entity": "PERSON", "action": "block"},
                {"attempt_id": 3, "entity": "LOCATION", "action": "warn"}]  # warn: not a slip
    ent = m.slips_by_entity(df, findings).set_index("entity")
    assert set(ent.index) == {"PERSON", "EMAIL_ADDRESS"}
    assert ent.loc["PERSON", "rate"] == pytest.approx(3 / 6)
    assert ent.loc["EMAIL_ADDRESS", "n_blocked"] == 1


def test_time_on_task_drops_abandoned_tabs():
    rows = [att(1, "a", duration_s=120), att(2, "b", duration_s=240), att(3, "c", duration_s=360),
            att(4, "d", duration_s=9 * 3600)]
    out = m.time_on_task(frame(rows)).iloc[0]
    assert out["n_attempts"] == 3 and out["median_min"] == pytest.approx(4.0)


def test_cohorts_by_start_month_and_filters():
    rows = [att(1, "a", passed=True, team="Claims"), att(2, "b", day=35, team="Claims"),
            att(3, "c", day=36, passed=True, team="HR")]
    df = frame(rows)
    assert sorted(df["start_month"].unique()) == ["2025-03", "2025-04"]
    out = m.cohorts(df, by="start_month").set_index("start_month")
    assert out.loc["2025-03", "first_pass_rate"] == pytest.approx(1.0)
    assert out.loc["2025-04", "n_learners"] == 2 and out.loc["2025-04", "first_pass_rate"] == pytest.approx(0.5)
    assert len(m.filter_attempts(df, team="Claims")) == 2
    assert len(m.filter_attempts(df, start="2025-04-07", end="2025-04-07")) == 1  # the end day is included
    assert len(m.filter_attempts(df, skill="nope")) == 0


@pytest.mark.parametrize("a,b,kappa", [
    ([1, 1, 0, 0], [1, 0, 0, 0], 0.5),
    ([1, 0, 1, 0], [1, 0, 1, 0], 1.0),
    ([1, 0, 1, 0], [0, 1, 0, 1], -1.0),
    ([1, 1, 1, 1], [1, 1, 1, 1], None),  # both always "pass": chance agreement is 1, kappa undefined
])
def test_cohen_kappa(a, b, kappa):
    got = m.cohen_kappa(a, b)
    assert got == (pytest.approx(kappa) if kappa is not None else None)


def test_grader_agreement_per_scenario_and_criterion():
    rows = ([{"scenario": "s", "criterion": "tone", "auto_passed": a, "mentor_passed": b}
             for a, b in [(1, 1), (1, 0), (0, 0), (0, 0)]] +
            [{"scenario": "s", "criterion": "no-pii", "auto_passed": 1, "mentor_passed": 1}])
    out = m.grader_agreement(rows).set_index("criterion")
    assert out.loc["tone", "agreement"] == pytest.approx(0.75)
    assert out.loc["tone", "kappa"] == pytest.approx(0.5)
    assert out.loc["tone", "overrides"] == 1
    assert pd.isna(out.loc["no-pii", "kappa"]) and out.loc["no-pii", "small"]


# ---------------------------------------------------------------------------------------------- demo


@pytest.fixture(scope="module")
def demo_store(org, tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("demo") / "demo.db")
    counts = demo.write(store, org, learners=200, weeks=12, seed=7)
    assert counts["attempts"] == store.count("attempts") > 2000
    from sparring.store.users import add_user

    for name, roles in [("comp", ["compliance"]), ("pupil", ["learner"]), ("mentor1", ["mentor"]),
                        ("auth", ["author"])]:
        add_user(store, name, roles)
    with store.write() as db:  # the `hr` role waits for sparring/store/users.ROLES; the row add_user would write
        db["users"].insert({"name": "hr", "roles": '["hr"]', "team": None, "display_name": None,
                            "password_hash": None, "created_at": "2025-01-01T00:00:00+00:00", "job_roles": "[]"})
    return store


def test_demo_data_is_deterministic(org):
    a = demo.generate(org, learners=30, weeks=6, seed=3)
    b = demo.generate(org, learners=30, weeks=6, seed=3)
    c = demo.generate(org, learners=30, weeks=6, seed=4)
    assert a.attempts == b.attempts and a.overrides == b.overrides
    assert a.attempts != c.attempts


def test_demo_attempts_held_back_only_by_the_gaming_hold_wait_for_a_mentor_as_in_practice(org, demo_store):
    from sparring.gaming import HOLD_CRITERION
    from sparring.grading.result import GradeResult
    from sparring.grading.verdict import decide

    asked = {r["attempt_id"]: r for r in demo_store.query("SELECT * FROM reviews")}
    held_back = 0
    for a in demo_store.query("SELECT id, grade FROM attempts WHERE learner LIKE ?", [demo.DEMO_PREFIX + "%"]):
        result = GradeResult.model_validate(json.loads(a["grade"]))
        assert HOLD_CRITERION not in [c.id for c in result.criteria]  # the hold is the `held` field
        # the stored verdict is the one verdict function's, as in practice
        assert result.held_back == decide(result.criteria, result.pass_mark, result.held).held_back
        if result.held_back:  # the rule practice.attempt queues by
            held_back += 1
            assert a["id"] in asked and asked[a["id"]]["question"].startswith("Held automatically")
    assert held_back >= 10


def test_demo_trajectories_make_every_chart_meaningful(org, demo_store):
    fr = views.frames(demo_store, org)
    a = fr.attempts
    weeks = sorted(a["week"].unique())
    slips = m.policy_slips(a, by=("week",)).set_index("week")["slip_rate"]
    assert slips.loc[weeks[:3]].mean() > slips.loc[weeks[-3:]].mean() + 0.1  # fewer slips over time
    imp = m.improvement(a, by=("skill",))
    assert (imp["delta"] > 0).all()                                        # people improve with practice
    ret = m.retention(a, by=("skill",))
    assert len(ret) >= 3 and (ret["ratio"] < 1).any()                      # some decay six weeks later
    tr = m.trust_calibration(a).iloc[0]
    assert 0.05 < tr["over_trust_rate"] < 0.6 and tr["under_trust_rate"] > 0.02
    assert a["start_month"].nunique() >= 3 and a["team"].nunique() >= 3 and a["job_role"].nunique() >= 3
    ag = m.grader_agreement(demo_store.query(
        "SELECT a.scenario, o.criterion, o.auto_passed, o.mentor_passed FROM overrides o "
        "JOIN attempts a ON a.id = o.attempt_id"))
    assert len(ag) > 5 and (ag["overrides"] > 0).any() and (ag["agreement"] < 1).any()


def test_demo_data_replaces_only_demo_rows(org, tmp_path):
    from sparring.store.users import add_user

    store = Store(tmp_path / "d.db")
    add_user(store, "real-person", ["learner"])
    first = demo.write(store, org, learners=10, weeks=3, seed=1)
    again = demo.write(store, org, learners=10, weeks=3, seed=1)
    assert first == again and store.count("attempts") == first["attempts"]
    assert store.one("SELECT name FROM users WHERE name = 'real-person'")


def test_insights_page_has_every_chart_and_hides_skills_from_compliance(org, demo_store):
    page = views.build_page(demo_store, org, views.Filters())
    for name in ("pass_rate", "mean_score", "improvement", "retention", "trust", "slips", "slips_entity",
                 "time_on_task", "cohorts", "agreement"):
        assert len(getattr(page, name)) > 0, name
    assert "**200** learners" in page.headline
    comp = views.build_page(demo_store, org, views.Filters(), skills_view=False)
    assert len(comp.slips) > 0 and comp.pass_rate.empty and comp.agreement.empty
    one = views.build_page(demo_store, org, views.Filters.of(team="All", skill="trust-calibration",
                                                              start="2025-02-03", end="2025-02-09"))
    assert set(one.pass_rate["skill"]) <= {"trust-calibration"}
    assert one.pass_rate["week"].dt.date.astype(str).unique().tolist() == ["2025-02-03"]


def test_small_selection_is_marked_too_few(org, demo_store):
    fr = views.frames(demo_store, org)
    team = fr.attempts["team"].iloc[0]
    page = views.build_page(demo_store, org, views.Filters.of(team=team, start="2025-01-06", end="2025-01-06"))
    assert "too few" in page.headline or "too few to read" in page.cautions or page.cautions


def test_six_weeks_later_summary_and_csv(org, demo_store):
    md = views.six_weeks_later(demo_store, org, "2025-01")
    assert md.startswith("## Six weeks later: learners who started in 2025-01")
    for part in ("### At the start", "weeks or more after the first pass", "| Skill |", "Over-trust",
                 "Policy slips"):
        assert part in md
    assert "No attempts" in views.six_weeks_later(demo_store, org, "1999-01")
    page = views.build_page(demo_store, org, views.Filters())
    text = views.csv_text(page)
    lines = text.splitlines()
    assert lines[0] == "metric,group,week,value_name,value,n_learners,small"
    assert any(ln.startswith("policy slips,,2025-01-06,slip_rate,") for ln in lines)
    assert any(ln.startswith("grader agreement,") and ",kappa," in ln for ln in lines)


def test_insights_tab_handlers_by_role(org, demo_store):
    from sparring.ui import insights_tab
    from sparring.ui.context import UIContext

    ctx = UIContext(org=org, store=demo_store)
    out = insights_tab.render(ctx, gr.Request(username="hr"), "All", "All", "All", None, None)
    assert out[2]["visible"] is True and out[3]["visible"] is True and out[4]["visible"] is True
    # Outputs 5..10, 13, 14 are the eight charts: over time as lines, per skill or entity as bars.
    for i in (5, 6, 9, 13):
        assert len(list(ET.fromstring(out[i]).iter("polyline"))) >= 1, i
    for i in (7, 8, 10, 14):
        assert len(list(ET.fromstring(out[i]).iter("rect"))) >= 3, i
    assert insights_tab.render(ctx, gr.Request(username="hr"), "All", "All", "All", None, None)[5] is out[5]
    out = insights_tab.render(ctx, gr.Request(username="comp"), "All", "All", "All", None, None)
    assert out[2]["visible"] is False and out[3]["visible"] is False and out[4]["visible"] is True
    assert len(out[5]) == 0 and len(out[13]) > 0
    # The author: the grader agreement, nothing else of Insights (README's role table)
    out = insights_tab.render(ctx, gr.Request(username="auth"), "All", "All", "All", None, None)
    assert out[2]["visible"] is False and out[3]["visible"] is True and out[4]["visible"] is False
    assert "Cohen's kappa" in out[12] and out[5] == "" and out[13] == "" and out[0] == ""
    for who in ("pupil", "mentor1"):
        with pytest.raises(gr.Error, match="hr or author or compliance role"):
            insights_tab.render(ctx, gr.Request(username=who), "All", "All", "All", None, None)
    with pytest.raises(gr.Error, match="hr role"):
        insights_tab.summary(ctx, gr.Request(username="comp"), "2025-01", None, None)
    path = insights_tab.download(ctx, gr.Request(username="comp"), "All", "All", "All", None, None)
    content = open(path, encoding="utf-8").read()
    assert "policy slips" in content and "first-attempt pass rate" not in content  # compliance: slips only


def test_demo_data_cli(repo, tmp_path):
    import shutil

    from sparring.cli import main

    for name in ("scenarios", "policies", "graders"):
        if (repo / name).exists():
            shutil.copytree(repo / name, tmp_path / name)
    assert main(["demo-data", "--root", str(tmp_path), "--learners", "12", "--weeks", "4", "--seed", "2",
                 "--start", "2025-06-02"]) == 0
    store = Store(tmp_path / "data" / "sparring.db")
    first = store.one("SELECT MIN(submitted_at) AS m FROM attempts")["m"]
    assert first >= "2025-06-02" and date.fromisoformat(first[:10]).isoweekday() <= 5
    assert main(["demo-data", "--root", str(tmp_path), "--learners", "0"]) == 2
    # Without --start: the last whole weeks before today, none in the future
    assert main(["demo-data", "--root", str(tmp_path), "--learners", "12", "--weeks", "4", "--seed", "2"]) == 0
    span = store.one("SELECT MIN(submitted_at) AS lo, MAX(submitted_at) AS hi FROM attempts")
    monday = date.today() - timedelta(days=date.today().weekday())
    assert span["lo"][:10] >= (monday - timedelta(weeks=4)).isoformat() and span["hi"][:10] < monday.isoformat()


def test_recent_start_is_a_monday_whole_weeks_before_this_week():
    assert demo.recent_start(12, today=date(2026, 12, 4)) == date(2026, 9, 7)  # a Friday → 12 Mondays back
    assert demo.recent_start(1, today=date(2026, 11, 30)) == date(2026, 11, 23)  # a Monday: last week


def test_a_bad_date_filter_gets_a_message_not_a_traceback(org, demo_store):
    from sparring.ui import insights_tab
    from sparring.ui.context import UIContext

    ctx = UIContext(org=org, store=demo_store)
    with pytest.raises(gr.Error, match="'next tuesday' is not a date; pick one or type it as YYYY-MM-DD"):
        insights_tab.render(ctx, gr.Request(username="hr"), "All", "All", "All", "next tuesday", None)


# ------------------------------------------------------------------------------------ anti-gaming signals


def _gaming_rows():
    """Six learners in the first week (two teams), two of them again in the second week."""
    g = {1: ["fast"], 2: ["fast", "copies-model-answer"], 5: ["keyword-stuffing"], 7: ["fast"]}
    rows = [att(i, who, team="T1" if who in "abc" else "T2", gaming=g.get(i, []),
                skills=("skill-b",) if i == 5 else ("skill-a",))
            for i, who in enumerate("abcdef", start=1)]
    rows += [att(7, "a", day=7, team="T1", gaming=g[7]), att(8, "b", day=7, team="T1", gaming=[])]
    return frame(rows)


def test_gaming_signal_shares_per_week_per_team_filters_and_small_numbers():
    df = _gaming_rows()
    wk = m.gaming_signals(df, by=("week",)).set_index(["week", "signal"])
    w0, w1 = pd.Timestamp("2025-03-03"), pd.Timestamp("2025-03-10")
    assert wk.loc[(w0, "fast"), "rate"] == pytest.approx(2 / 6)
    assert wk.loc[(w0, "copies-model-answer"), "rate"] == pytest.approx(1 / 6)
    assert wk.loc[(w0, "keyword-stuffing"), "n_flagged"] == 1
    assert wk.loc[(w0, m.ANY_SIGNAL), "rate"] == pytest.approx(3 / 6)    # attempt 2 raises two, counts once
    assert wk.loc[(w0, "flags-everything"), "rate"] == 0
    assert wk.loc[(w0, "fast"), "n_learners"] == 6 and not wk.loc[(w0, "fast"), "small"]
    assert wk.loc[(w1, "fast"), "rate"] == pytest.approx(1 / 2)
    assert wk.loc[(w1, "fast"), "n_learners"] == 2 and wk.loc[(w1, "fast"), "small"]  # < 5 learners
    team = m.gaming_signals(df, by=("team",)).set_index(["team", "signal"])
    assert team.loc[("T1", m.ANY_SIGNAL), "rate"] == pytest.approx(3 / 5)
    assert team.loc[("T2", m.ANY_SIGNAL), "rate"] == pytest.approx(1 / 3)
    # The tab's filters apply before the shares are taken.
    t1 = m.gaming_signals(m.filter_attempts(df, team="T1"), by=()).set_index("signal")
    assert t1.loc["fast", "rate"] == pytest.approx(3 / 5) and t1.loc["fast", "small"]
    first = m.gaming_signals(m.filter_attempts(df, end="2025-03-03"), by=()).set_index("signal")
    assert first.loc["fast", "n_attempts"] == 6 and first.loc["fast", "rate"] == pytest.approx(2 / 6)
    sk = m.gaming_signals(m.filter_attempts(df, skill="skill-b"), by=("skill",)).set_index(["skill", "signal"])
    assert sk.loc[("skill-b", "keyword-stuffing"), "rate"] == 1.0 and sk.loc[("skill-b", "fast"), "rate"] == 0
    assert m.gaming_signals(df.iloc[0:0]).empty
    assert m.gaming_signals(frame([att(1, "a")]), by=()).set_index("signal").loc[m.ANY_SIGNAL, "rate"] == 0


def test_gaming_signals_read_from_the_store_json(org, tmp_path):
    """attempts.gaming is a JSON list per attempt; an unreadable one counts as no signal, not a crash."""
    from sparring.insights.data import load

    store = Store(tmp_path / "g.db")
    demo.write(store, org, learners=6, weeks=2, seed=1)
    ids = [r["id"] for r in store.query("SELECT id FROM attempts ORDER BY id LIMIT 3")]
    with store.write() as db:
        db.execute("UPDATE attempts SET gaming = ? WHERE id = ?", ['["fast"]', ids[0]])
        db.execute("UPDATE attempts SET gaming = ? WHERE id = ?", ["not json", ids[1]])
        db.execute("UPDATE attempts SET gaming = ? WHERE id = ?", ["", ids[2]])
    a = load(store, org).attempts.set_index("id")
    assert a.loc[ids[0], "gaming"] == ["fast"] and a.loc[ids[1], "gaming"] == [] and a.loc[ids[2], "gaming"] == []


def test_demo_data_carries_plausible_gaming_signals(org, demo_store):
    from sparring.gaming import GAMING_SIGNALS, HOLDING, fast_threshold_s

    a = views.frames(demo_store, org).attempts
    codes = {c for cs in a["gaming"] for c in cs}
    assert codes <= set(GAMING_SIGNALS) and {"fast", "copies-model-answer", "flags-everything"} <= codes
    overall = m.gaming_signals(a, by=()).set_index("signal")["rate"]
    assert 0.01 < overall["fast"] < 0.08 and 0.02 < overall[m.ANY_SIGNAL] < 0.15   # a few %, not the norm
    fast = a[a["gaming"].map(lambda cs: "fast" in cs)]
    minutes = {sid: sc.minutes for sid, sc in org.scenarios.items()}
    assert (fast["duration_s"] < fast["scenario"].map(minutes).map(fast_threshold_s)).all()
    held = a[a["gaming"].map(lambda cs: bool(set(cs) & HOLDING))]
    assert len(held) > 0 and not held["passed"].any()                 # held for a mentor, as the grader does
    copies = a[a["gaming"].map(lambda cs: "copies-model-answer" in cs)]
    retry = a["pair"].duplicated()                                     # not the learner's first try at it
    assert len(copies) > 10 and copies.index.isin(a.index[retry]).mean() > 0.7  # mostly on retries
    assert set(a.loc[a["gaming"].map(lambda cs: "flags-everything" in cs), "kind"]) == {"spot"}
    wk = m.gaming_signals(a, by=("week",))
    any_w = wk[wk["signal"] == m.ANY_SIGNAL].set_index("week")["rate"]
    assert any_w.iloc[:3].mean() > any_w.iloc[-3:].mean() * 1.5         # fewer over the weeks


def test_insights_tab_shows_gaming_charts_to_insight_roles_only(org, demo_store):
    from sparring.ui import insights_tab
    from sparring.ui.context import UIContext

    ctx = UIContext(org=org, store=demo_store)
    out = insights_tab.render(ctx, gr.Request(username="hr"), "All", "All", "All", None, None)
    line, bars = ET.fromstring(out[15]), ET.fromstring(out[16])       # the last two outputs
    assert "Anti-gaming signals" in out[15] and len(list(line.iter("polyline"))) >= 3
    names = "".join(line.itertext())  # a legend, or the titles of the small multiples (more than MAX_LINES)
    assert "fast" in names and "copies-model-answer" in names and "any signal" not in names
    teams = views.frames(demo_store, org).attempts["team"].nunique()
    assert "by team" in out[16] and len(list(bars.iter("rect"))) == teams
    # One team chosen: the bars are per skill instead.
    team = views.frames(demo_store, org).attempts["team"].iloc[0]
    one = insights_tab.render(ctx, gr.Request(username="hr"), team, "All", "All", None, None)
    assert "by skill" in one[16] and len(list(ET.fromstring(one[16]).iter("rect"))) >= 2
    csv_hr = open(insights_tab.download(ctx, gr.Request(username="hr"), "All", "All", "All", None, None),
                  encoding="utf-8").read()
    assert any(ln.startswith("anti-gaming signals,fast,2025-01-06,rate,") for ln in csv_hr.splitlines())
    assert "anti-gaming signals by team," in csv_hr
    # Compliance sees the slip charts only; learners and mentors get no insights at all.
    comp = insights_tab.render(ctx, gr.Request(username="comp"), "All", "All", "All", None, None)
    assert comp[15] == "" and comp[16] == "" and len(comp[13]) > 0
    csv_comp = open(insights_tab.download(ctx, gr.Request(username="comp"), "All", "All", "All", None, None),
                    encoding="utf-8").read()
    assert "anti-gaming" not in csv_comp
    for who in ("pupil", "mentor1"):
        with pytest.raises(gr.Error, match="hr or author or compliance role"):
            insights_tab.render(ctx, gr.Request(username=who), "All", "All", "All", None, None)
        with pytest.raises(gr.Error, match="hr or author or compliance role"):
            insights_tab.download(ctx, gr.Request(username=who), "All", "All", "All", None, None)
