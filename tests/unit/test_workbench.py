"""The workbench without a browser: the views' data (queue, case, scorecard, timeline) over a real
Parquet store and an embedded run's Avro output, the users file, the control-result outbox with no
broker reachable, and the web application's access rules through Flask's test client."""
from __future__ import annotations

import json
import re
import shutil
import socket

import pytest

from schemas import codec
from tests.workbench_support import PASSWORDS, generated_case_data, write_store, write_users
from workbench import feedback, views
from workbench.auth import ConfigError, Users
from workbench.evidence import Evidence, wait_until
from workbench.server import WorkbenchConfig, create_app
from workbench.store import ALERTING, AssessmentSource, QueueQuery, latest_per_lifecycle


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    out = tmp_path_factory.mktemp("workbench")
    traffic, assessments = generated_case_data(out)
    write_store(out / "store", assessments)
    run = out / "run"  # an embedded run's folder, as `make run` leaves it
    run.mkdir()
    codec.write_avro_file(run / "assessments.avro", "RiskAssessment", assessments)
    shutil.copytree(traffic, run / "traffic")
    evidence = Evidence()
    evidence.load_traffic(traffic)
    return {"out": out, "traffic": traffic, "assessments": assessments, "store": out / "store", "run": run,
            "evidence": evidence}


def expected_open(assessments, closed=()):
    """The queue by hand: the last assessment of each lifecycle, when it alerts."""
    last = {}
    for a in sorted(assessments, key=lambda a: (a["sequence"] or 0, a["event_time_ms"])):
        last[a["declaration_id"] or "HOUSE:" + a["house_document"]] = a
    return {s: a for s, a in last.items() if a["alert"] and s not in closed}


@pytest.mark.parametrize("kind", ["store", "run"])
def test_queue_is_the_open_alerts_sorted_by_score_then_deadline(data, kind):
    source = AssessmentSource(data[kind])
    assert source.kind == ("parquet" if kind == "store" else "run")
    closed = data["evidence"].closed()
    want = expected_open(data["assessments"], closed)
    assert want, "the generated day must have open alerts"
    page = source.queue(QueueQuery(page_size=1000), closed, data["evidence"].entities())
    assert page.total == len(want)
    assert {r["subject"] for r in page.rows} == set(want)
    for row in page.rows:
        assert row["assessment_id"] == want[row["subject"]]["assessment_id"]
        assert row["outcome"] in ALERTING
    keys = [(-r["score"], r["deadline_ms"] if r["deadline_ms"] is not None else float("inf")) for r in page.rows]
    assert keys == sorted(keys)
    declared = [r for r in page.rows if r["declaration_id"]]
    assert declared and all(r["mode"] and r["port"] for r in declared)  # joined from the declarations


def test_queue_filters_and_pages(data):
    source, evidence = AssessmentSource(data["store"]), data["evidence"]
    everything = source.queue(QueueQuery(page_size=1000), evidence.closed(), evidence.entities())
    mode = max(everything.facets["mode"], key=everything.facets["mode"].get)
    by_mode = source.queue(QueueQuery(mode=mode, page_size=1000), evidence.closed(), evidence.entities())
    assert by_mode.total == everything.facets["mode"][mode] == sum(r["mode"] == mode for r in everything.rows)
    pages = [source.queue(QueueQuery(page=n, page_size=7), evidence.closed(), evidence.entities())
             for n in range(1, -(-everything.total // 7) + 1)]
    assert len(pages) >= 2 and pages[0].pages == len(pages)
    assert [r["subject"] for p in pages for r in p.rows] == [r["subject"] for r in everything.rows]
    target = everything.rows[3]
    found = source.queue(QueueQuery(search=target["house_document"].lower()), evidence.closed(), evidence.entities())
    assert [r["subject"] for r in found.rows] == [target["subject"]]
    by_deadline = source.queue(QueueQuery(sort="deadline", page_size=1000), evidence.closed(), evidence.entities())
    deadlines = [r["deadline_ms"] for r in by_deadline.rows if r["deadline_ms"] is not None]
    assert deadlines == sorted(deadlines)
    with pytest.raises(ValueError, match="unknown outcome"):
        QueueQuery.from_args({"outcome": "MAYBE"})


def test_a_control_result_closes_the_alert(data):
    source, evidence = AssessmentSource(data["store"]), data["evidence"]
    first = source.queue(QueueQuery(), evidence.closed(), evidence.entities()).rows[0]
    assert first["declaration_id"]
    closed = evidence.closed() | {first["subject"]}
    after = source.queue(QueueQuery(page_size=1000), closed, evidence.entities())
    assert first["subject"] not in {r["subject"] for r in after.rows}


def test_new_files_in_the_store_reach_the_queue(data, tmp_path):
    store = tmp_path / "store"
    alerting = [a for a in data["assessments"] if a["alert"]]
    first, later = alerting[: len(alerting) // 2], alerting[len(alerting) // 2:]
    subjects = lambda rows: {a["declaration_id"] or "HOUSE:" + a["house_document"] for a in rows}  # noqa: E731
    write_store(store, [a for a in data["assessments"] if a not in later])
    source = AssessmentSource(store, check_every_s=0)
    before = source.queue(QueueQuery(page_size=1000)).total
    write_store(store, later, files_per_day=1)  # the job's next checkpoint commits more files
    after = source.queue(QueueQuery(page_size=1000))
    assert after.total > before
    assert subjects(later) - subjects(first) <= {r["subject"] for r in after.rows}
    # read incrementally (only the new files) = read from scratch
    fresh = AssessmentSource(store).queue(QueueQuery(page_size=1000))
    assert [r["assessment_id"] for r in after.rows] == [r["assessment_id"] for r in fresh.rows]
    assert source.latest().num_rows == AssessmentSource(store).latest().num_rows


def test_lifecycle_is_every_assessment_in_order(data):
    source = AssessmentSource(data["store"])
    counts = {}
    for a in data["assessments"]:
        counts[a["declaration_id"]] = counts.get(a["declaration_id"], 0) + 1
    did = max((d for d in counts if d), key=counts.get)
    lifecycle = source.lifecycle(did)
    assert len(lifecycle) == counts[did] >= 2
    assert [a["sequence"] for a in lifecycle] == list(range(1, len(lifecycle) + 1))
    assert all(isinstance(a["scorecard"], list) for a in lifecycle)


def test_explain_names_what_fired_with_points_and_evidence():
    a = {"score": 100.0, "outcome": "DO_NOT_LOAD", "random_selection": False, "outcome_note": None,
         "scorecard": [{"kind": "RULE", "code": "RESTRICTED_HS", "detail": "HS 930630 is restricted", "contribution": 100.0},
                       {"kind": "MODEL", "code": "MODEL", "contribution": 12.5,
                        "detail": "model risk-0001 probability 0.250; top features: value_per_kg=3.2 (+0.41), "
                                  "route_len=4 (-0.10)"}]}
    out = views.explain(a)
    assert out["summary"].startswith("Score 100 of 100 (the points add up to 112; the score is capped at 100): Do not load")
    assert out["lines"][0]["sentence"] == "Rule RESTRICTED_HS fired: +100 points. HS 930630 is restricted"
    assert out["lines"][1]["evidence"] == "model risk-0001 probability 0.250"
    assert out["top_features"] == [{"feature": "value_per_kg", "value": "3.2", "log_odds": "+0.41"},
                                   {"feature": "route_len", "value": "4", "log_odds": "-0.10"}]


def test_case_evidence_and_timeline(data):
    source, evidence = AssessmentSource(data["store"]), data["evidence"]
    with_events = next(d for d, versions in evidence.declarations.items() if versions[-1]["containers"]
                       and any(evidence.container_events.get(c) for c in versions[-1]["containers"])
                       and source.lifecycle(d))
    assessments = source.lifecycle(with_events)
    found = evidence.case(with_events, assessments[-1]["house_document"])
    assert found["versions"] and found["container_events"]
    items = views.timeline(assessments, found)
    kinds = {i["kind"] for i in items}
    assert {"filing", "container", "assessment"} <= kinds
    assert [i["at_ms"] for i in items] == sorted(i["at_ms"] for i in items)
    assert sum(i["kind"] == "assessment" for i in items) == len(assessments)


def test_an_empty_store_has_an_empty_queue(tmp_path):
    from workbench.store import _run_schema

    assert latest_per_lifecycle(_run_schema().empty_table()).num_rows == 0
    source = AssessmentSource(tmp_path)  # the live job has not committed yet
    assert source.queue(QueueQuery()).total == 0 and source.lifecycle("D1") == []


# --- users ---------------------------------------------------------------------------------------
def test_users_file(tmp_path):
    users = Users.load(write_users(tmp_path / "users.yaml"))
    assert users.authenticate("ana", PASSWORDS["ana"][1]).role == "analyst"
    assert users.authenticate("ana", "wrong") is None
    assert users.authenticate("nobody", PASSWORDS["ana"][1]) is None
    assert users.get("aud").can("read") and not users.get("aud").can("record")
    assert users.get("sup").can("publish") and not users.get("ana").can("publish")
    (tmp_path / "plain.yaml").write_text("users:\n  bob: {role: analyst, password_hash: hunter2}\n")
    with pytest.raises(ConfigError, match="never a plain password"):
        Users.load(tmp_path / "plain.yaml")
    (tmp_path / "role.yaml").write_text("users:\n  bob: {role: admin, password_hash: 'x$y'}\n")
    with pytest.raises(ConfigError, match="'admin' is not one of"):
        Users.load(tmp_path / "role.yaml")


# --- the outbox ----------------------------------------------------------------------------------
def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once closed


def test_control_result_record_is_checked():
    r = feedback.control_result("D1", "PHYSICAL", "SEIZURE", "DRUGS", 12.5, 1_000)
    assert r == {"declaration_id": "D1", "control_type": "PHYSICAL", "finding": "SEIZURE",
                 "seizure_category": "DRUGS", "recovered_amount_eur": 12.5, "controlled_at_ms": 1_000}
    assert feedback.control_result("D1", "SCAN", "NO_FINDING", "DRUGS", 0, 1)["seizure_category"] is None
    with pytest.raises(ValueError, match="seizure category"):
        feedback.control_result("D1", "SCAN", "SEIZURE", None, 0, 1)
    with pytest.raises(ValueError, match="finding"):
        feedback.control_result("D1", "SCAN", "MAYBE", None, 0, 1)


def test_outbox_keeps_results_queued_while_the_broker_is_down_and_after_a_restart(tmp_path):
    outbox = feedback.Outbox(tmp_path, f"127.0.0.1:{closed_port()}", extra_config={"message.timeout.ms": 1500})
    outbox.start()
    try:
        result = feedback.control_result("D1", "SCAN", "IRREGULARITY", None, 0, 1_000)
        entry = outbox.record("ana", result, "seal number differs")
        assert wait_until(lambda: outbox.last_error is not None, timeout_s=30), "the failed attempt must show"
        assert "1 not delivered" in outbox.last_error
        assert [e["id"] for e in outbox.pending()] == [entry["id"]]
    finally:
        outbox.stop()
    again = feedback.Outbox(tmp_path, None)  # a restart: the file still says it is undelivered
    assert [(e["id"], e["note"], e["result"]) for e in again.pending()] == [(entry["id"], "seal number differs", result)]
    assert again.last_error.startswith("no broker configured")


# --- the web application -------------------------------------------------------------------------
@pytest.fixture
def app(data, tmp_path):
    config = WorkbenchConfig(store=str(data["store"]), traffic=str(data["traffic"]),
                             users_file=str(write_users(tmp_path / "users.yaml")), data_dir=str(tmp_path / "wb"))
    app = create_app(config)
    yield app
    app.extensions["workbench"]["outbox"].stop()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, name):
    token = csrf_of(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"username": name, "password": PASSWORDS[name][1], "csrf_token": token})


def test_anonymous_requests_are_refused(app):
    client = app.test_client()
    for path in ("/queue", "/case/X", "/rulesets", "/health", "/audit"):
        response = client.get(path)
        assert response.status_code == 302 and response.location.startswith("/login"), path
    for path in ("/api/queue", "/queue/rows", "/api/outbox"):
        assert client.get(path).status_code == 401, path
    token = csrf_of(client.get("/login").get_data(as_text=True))  # a valid token does not make a user
    refused = client.post("/case/X/control-result", data={"csrf_token": token, "finding": "NO_FINDING"})
    assert refused.status_code == 302 and refused.location.startswith("/login")


def test_login_sets_a_secure_http_only_cookie_and_wrong_passwords_fail(app):
    client = app.test_client()
    token = csrf_of(client.get("/login").get_data(as_text=True))
    bad = client.post("/login", data={"username": "ana", "password": "nope", "csrf_token": token})
    assert bad.status_code == 401
    response = login(client, "ana")
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/queue").status_code == 200


def test_forms_need_the_csrf_token(app):
    client = app.test_client()
    assert client.post("/login", data={"username": "ana", "password": PASSWORDS["ana"][1]}).status_code == 400
    login(client, "ana")
    subject = client.get("/api/queue").get_json()["rows"][0]["subject"]
    refused = client.post(f"/case/{subject}/control-result", data={"finding": "NO_FINDING", "control_type": "SCAN"})
    assert refused.status_code == 400 and b"CSRF" in refused.data


def test_roles_are_enforced_and_the_audit_log_records_who_did_what(app):
    analyst, auditor = app.test_client(), app.test_client()
    login(analyst, "ana")
    login(auditor, "aud")
    subject = analyst.get("/api/queue").get_json()["rows"][0]["subject"]
    page = auditor.get(f"/case/{subject}").get_data(as_text=True)
    assert "Record control result" not in page  # no form for a read-only role
    form = {"finding": "IRREGULARITY", "control_type": "DOCUMENTARY", "note": "invoice undervalued",
            "csrf_token": csrf_of(page)}
    assert auditor.post(f"/case/{subject}/control-result", data=form).status_code == 403
    page = analyst.get(f"/case/{subject}").get_data(as_text=True)
    assert "Record control result" in page
    recorded = analyst.post(f"/case/{subject}/control-result", data={**form, "csrf_token": csrf_of(page)})
    assert recorded.status_code == 302
    assert subject not in {r["subject"] for r in analyst.get("/api/queue?page=1").get_json()["rows"]}
    config = app.extensions["workbench"]["config"]
    restarted = create_app(config).test_client()  # the outbox's file closes it after a restart too
    login(restarted, "ana")
    assert subject not in {r["subject"] for r in restarted.get("/api/queue").get_json()["rows"]}
    assert analyst.post("/rulesets/publish", data={"version": "2026.12-1", "csrf_token": csrf_of(page)}).status_code == 403
    assert analyst.get("/audit").status_code == 403
    entries = auditor.get("/audit").get_data(as_text=True)
    assert "record_control_result" in entries and "view_case" in entries
    audit = [json.loads(line) for line in (app.extensions["workbench"]["audit"].path).read_text().splitlines()]
    assert [(e["user"], e["subject"]) for e in audit if e["action"] == "record_control_result"] == [("ana", subject)]
    assert any(e["user"] == "aud" and e["action"] == "view_case" and e["subject"] == subject for e in audit)


def test_rule_set_pages(app):
    client = app.test_client()
    login(client, "aud")
    page = client.get("/rulesets").get_data(as_text=True)
    assert "2026.12-1" in page and "2026.12-1+uv60" in page
    diff = client.get("/rulesets/diff?a=2026.12-1&b=2026.12-1%2Buv60").get_data(as_text=True)
    assert "ratio_below" in diff
    assert client.get("/health").status_code == 200


def test_publishing_is_a_supervisors_right_and_needs_the_typed_confirmation(app):
    supervisor = app.test_client()
    login(supervisor, "sup")
    token = csrf_of(supervisor.get("/rulesets").get_data(as_text=True))
    review = supervisor.post("/rulesets/publish", data={"version": "2026.12-1+uv60", "effective_from": "now",
                                                         "csrf_token": token})
    assert review.status_code == 200 and b"Publish rule set 2026.12-1+uv60?" in review.data
    confirm = {"version": "2026.12-1+uv60", "effective_from": "now", "csrf_token": token}
    assert supervisor.post("/rulesets/publish/confirm", data={**confirm, "confirm": "2026.12-1"}).status_code == 400
    # typed right, but this workbench has no broker: refused with the reason, nothing audited as published
    refused = supervisor.post("/rulesets/publish/confirm", data={**confirm, "confirm": "2026.12-1+uv60"})
    assert refused.status_code == 409 and b"No broker configured" in refused.data
    assert "publish_ruleset" not in app.extensions["workbench"]["audit"].path.read_text()


def test_a_backtest_runs_from_the_rule_set_page_and_shows_the_report_with_its_charts(data, tmp_path):
    from pipelines.archive import day_of, write_archive

    archive = tmp_path / "archive"
    write_archive(data["traffic"], archive)
    day = day_of(min(a["event_time_ms"] for a in data["assessments"])).isoformat()  # the first filing day
    app = create_app(WorkbenchConfig(store=str(data["store"]), traffic=str(data["traffic"]), archive=str(archive),
                                     users_file=str(write_users(tmp_path / "users.yaml")), data_dir=str(tmp_path / "wb")))
    auditor, analyst = app.test_client(), app.test_client()
    login(auditor, "aud")
    login(analyst, "ana")
    form = {"baseline": "2026.12-1", "candidate": "2026.12-1+uv60", "from": day, "to": day}
    token = csrf_of(auditor.get("/rulesets").get_data(as_text=True))
    assert auditor.post("/rulesets/backtest", data={**form, "csrf_token": token}).status_code == 403
    token = csrf_of(analyst.get("/rulesets").get_data(as_text=True))
    started = analyst.post("/rulesets/backtest", data={**form, "csrf_token": token})
    assert started.status_code == 302
    report = started.location

    def done():
        return b'id="backtest-state">RUNNING' not in analyst.get(report).data
    assert wait_until(done, timeout_s=300, interval_s=1)
    page = analyst.get(report).get_data(as_text=True)
    assert 'id="backtest-state">DONE' in page, page[:2000]
    charts = re.findall(r'<img src="([^"]+\.png)"', page)
    assert len(charts) >= 2
    assert all(analyst.get(c).status_code == 200 for c in charts)
    assert auditor.get(report).status_code == 200  # reading a report is everyone's right
