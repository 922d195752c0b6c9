"""The workbench's web application (Flask, server-rendered Jinja templates, plain JS for polling).

Every route but /login and the static files needs a logged-in user and names the right it needs
(workbench/auth.py: RIGHTS); pages answer an anonymous request with a redirect to /login, the
API and fragments with 401; a missing right is 403. Forms carry Flask-WTF's CSRF token. Session
cookies are signed, HTTP-only, Secure and SameSite=Lax. The audit log (workbench/audit.py) gets
case views, control results, backtests and publications; the application log gets ids and counts.
"""
from __future__ import annotations

import functools
import logging
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from flask import (Flask, abort, g, jsonify, redirect, render_template, request, send_from_directory, session,
                   url_for)
from flask_wtf.csrf import CSRFError, CSRFProtect

from workbench import feedback, rulesets, views
from workbench.audit import AuditLog
from workbench.auth import RIGHTS, Users
from workbench.evidence import Evidence, TopicReader
from workbench.store import OUTCOMES, PHASES, SORTS, AssessmentSource, QueueQuery

log = logging.getLogger("borderflow.workbench")


@dataclass
class WorkbenchConfig:
    store: str
    users_file: str
    data_dir: str = ".cache/workbench"
    traffic: str | None = None            # default: STORE/traffic when there (make run keeps one)
    bootstrap_servers: str | None = None  # the live stack's broker: topics read, results published
    archive: str | None = None            # for backtests (pipelines/archive.py)
    flink_url: str | None = None
    grafana_url: str | None = None
    secret_key: str | None = None         # default: random per start (sessions end at a restart)
    poll_seconds: float = 5.0
    extra_kafka: dict = field(default_factory=dict)


def create_app(config: WorkbenchConfig) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=config.secret_key or secrets.token_hex(32),
        SESSION_COOKIE_SECURE=True, SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="borderflow_workbench",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
        WTF_CSRF_TIME_LIMIT=8 * 3600, WTF_CSRF_SSL_STRICT=False)
    CSRFProtect(app)

    users = Users.load(config.users_file)
    source = AssessmentSource(config.store)  # refuses a missing store before anything is written
    data_dir = Path(config.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    evidence = Evidence()
    traffic = Path(config.traffic) if config.traffic else Path(config.store) / "traffic"
    if traffic.is_dir():
        evidence.load_traffic(traffic)
    reader = None
    if config.bootstrap_servers:
        reader = TopicReader(evidence, config.bootstrap_servers, config.extra_kafka)
        reader.start()
    outbox = feedback.Outbox(data_dir, config.bootstrap_servers,
                             on_recorded=lambda r: evidence.add("control_results", r), extra_config=config.extra_kafka)
    for entry in list(outbox.entries.values()):  # results recorded before a restart still close their alerts
        evidence.add("control_results", entry["result"])
    outbox.start()
    audit = AuditLog(data_dir / "audit.jsonl")
    backtests = rulesets.Backtests(data_dir, config.archive)
    app.extensions["workbench"] = {"source": source, "evidence": evidence, "reader": reader, "outbox": outbox,
                                   "audit": audit, "config": config, "users": users}
    app.jinja_env.filters["utc"] = views.utc
    app.jinja_env.globals.update(OUTCOME_LABELS=views.OUTCOME_LABELS, PHASE_LABELS=views.PHASE_LABELS)

    # --- access ------------------------------------------------------------------------------
    @app.before_request
    def load_user():
        g.user = None
        name = session.get("user")
        if name:
            g.user = users.get(name)  # a user removed from the file is out at the next request
            if g.user is None or g.user.role != session.get("role"):
                session.clear()
                g.user = None
        if request.endpoint in ("login", "static") or g.user is not None:
            return None
        if _wants_json():
            return jsonify(error="login required"), 401
        return redirect(url_for("login", next=request.full_path.rstrip("?") if request.method == "GET" else None))

    def needs(right: str):
        assert right in RIGHTS, right

        def wrap(view):
            @functools.wraps(view)
            def inner(*args, **kwargs):
                if not g.user.can(right):
                    if _wants_json():
                        return jsonify(error=f"the {g.user.role} role may not {right}"), 403
                    return render_template("error.html", status=403,
                                           message=f"The {g.user.role} role may not {right}."), 403
                return view(*args, **kwargs)
            return inner
        return wrap

    @app.after_request
    def headers(response):
        response.headers.setdefault("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; "
                                    "frame-ancestors 'none'; form-action 'self'")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return render_template("error.html", status=400, message=f"Form refused: {exc.description}"), 400

    @app.context_processor
    def common():
        return {"user": g.get("user"), "outbox_pending": len(outbox.pending()), "outbox_error": outbox.last_error,
                "poll_ms": int(config.poll_seconds * 1000)}

    @app.route("/login", methods=["GET", "POST"])
    def login():
        error = None
        if request.method == "POST":
            user = users.authenticate(request.form.get("username", ""), request.form.get("password", ""))
            if user:
                session.clear()
                session.permanent = True
                session.update(user=user.name, role=user.role)
                audit.record(user.name, "login")
                target = request.args.get("next") or ""
                # only a path of this site, never another host
                local = target.startswith("/") and not target.startswith(("//", "/\\"))
                return redirect(target if local else url_for("queue"))
            error = "Unknown user or wrong password."
            log.info("login refused")
        return render_template("login.html", error=error), (401 if error else 200)

    @app.post("/logout")
    def logout():
        audit.record(g.user.name, "logout")
        session.clear()
        return redirect(url_for("login"))

    # --- the queue ---------------------------------------------------------------------------
    def queue_page():
        try:
            query = QueueQuery.from_args(request.args)
        except ValueError as exc:
            abort(400, str(exc))
        return source.queue(query, evidence.closed(), evidence.entities())

    @app.get("/")
    def index():
        return redirect(url_for("queue"))

    @app.get("/queue")
    @needs("read")
    def queue():
        page = queue_page()
        return render_template("queue.html", page=page, outcomes=OUTCOMES, phases=PHASES, sorts=SORTS)

    @app.get("/queue/rows")
    @needs("read")
    def queue_rows():
        """The table body and counts, for the page's polling script (new alerts without a reload)."""
        page = queue_page()
        return jsonify(html=render_template("_queue_rows.html", page=page), total=page.total,
                       open_total=page.open_total, newest_ms=page.newest_ms,
                       outbox_pending=len(outbox.pending()), outbox_error=outbox.last_error)

    @app.get("/api/queue")
    @needs("read")
    def api_queue():
        page = queue_page()
        return jsonify(total=page.total, page=page.page, pages=page.pages, facets=page.facets,
                       newest_ms=page.newest_ms, rows=page.rows)

    # --- a case ------------------------------------------------------------------------------
    def load_case(subject: str) -> dict:
        assessments = source.lifecycle(subject)
        if not assessments:
            abort(404, f"no assessments for {subject}")
        last = assessments[-1]
        found = evidence.case(last["declaration_id"], last["house_document"])
        recorded = outbox.for_declaration(last["declaration_id"]) if last["declaration_id"] else []
        return {"subject": subject, "assessments": assessments, "last": last, "explained": views.explain(last),
                "explained_all": [views.explain(a) for a in assessments], "evidence": found,
                "recorded": recorded, "timeline": views.timeline(assessments, found, recorded),
                "closed": bool(found["control_results"])}

    @app.get("/case/<path:subject>")
    @needs("read")
    def case(subject):
        data = load_case(subject)
        audit.record(g.user.name, "view_case", subject)
        return render_template("case.html", case=data, findings=feedback.FINDINGS,
                               control_types=feedback.CONTROL_TYPES, categories=feedback.SEIZURE_CATEGORIES,
                               message=request.args.get("message"))

    @app.post("/case/<path:subject>/control-result")
    @needs("record")
    def record_result(subject):
        data = load_case(subject)
        declaration_id = data["last"]["declaration_id"]
        if not declaration_id:
            abort(400, "an undeclared consignment has no declaration to record a control result for")
        form = request.form
        try:
            amount = float(form.get("recovered_amount_eur") or 0)
        except ValueError:
            amount = -1.0  # refused below with the field's name
        try:
            result = feedback.control_result(declaration_id, form.get("control_type", ""), form.get("finding", ""),
                                             form.get("seizure_category") or None, amount, int(time.time() * 1000))
        except ValueError as exc:
            return render_template("error.html", status=400, message=f"Control result refused: {exc}"), 400
        note = (form.get("note") or "").strip()[:2000]
        entry = outbox.record(g.user.name, result, note)
        audit.record(g.user.name, "record_control_result", subject, finding=result["finding"],
                     control_type=result["control_type"], entry=entry["id"])
        log.info("control result recorded for a case (entry %s)", entry["id"])
        return redirect(url_for("case", subject=subject, message="Control result recorded; it is queued for the "
                                "control-results topic."))

    @app.get("/api/outbox")
    @needs("read")
    def api_outbox():
        return jsonify(pending=len(outbox.pending()), last_error=outbox.last_error,
                       last_attempt_ms=outbox.last_attempt_ms)

    # --- rule sets ---------------------------------------------------------------------------
    def known_rulesets() -> tuple[dict, list[dict], str | None, str | None]:
        files = rulesets.ruleset_files()
        updates, error = [], None
        if config.bootstrap_servers:
            try:
                updates = rulesets.topic_versions(config.bootstrap_servers)
            except Exception as exc:  # the page says the topic cannot be read, and still lists files
                error = f"rule-sets topic: {exc}"
        bodies = {v: {"version": v, "source": "file " + Path(f["path"]).name, "body": f["body"]} for v, f in files.items()}
        for u in updates:
            bodies.setdefault(u["version"], {"version": u["version"], "source": "rule-sets topic",
                                             "body": rulesets.ruleset_body(u)})
        current = rulesets.in_effect(updates, int(time.time() * 1000)) if updates else None
        return bodies, updates, current, error

    @app.get("/rulesets")
    @needs("read")
    def ruleset_list():
        bodies, updates, current, error = known_rulesets()
        return render_template("rulesets.html", bodies=bodies, updates=updates, current=current, error=error,
                               in_use=source.versions_in_use(), runs=list(backtests.runs.values()),
                               archive=config.archive, broker=config.bootstrap_servers)

    @app.get("/rulesets/diff")
    @needs("read")
    def ruleset_diff():
        bodies, *_ = known_rulesets()
        a, b = request.args.get("a"), request.args.get("b")
        if a not in bodies or b not in bodies:
            abort(400, "choose two known versions")
        return render_template("diff.html", a=a, b=b, lines=rulesets.diff(a, bodies[a]["body"], b, bodies[b]["body"]))

    @app.post("/rulesets/backtest")
    @needs("backtest")
    def ruleset_backtest():
        files = rulesets.ruleset_files()
        baseline, candidate = request.form.get("baseline"), request.form.get("candidate")
        if baseline not in files or candidate not in files:
            abort(400, "backtests compare two rule-set files")
        try:
            run = backtests.start(g.user.name, files[baseline]["path"], files[candidate]["path"],
                                  request.form.get("from", ""), request.form.get("to", ""))
        except ValueError as exc:
            return render_template("error.html", status=400, message=str(exc)), 400
        audit.record(g.user.name, "backtest", candidate, baseline=baseline, day_from=run["from"], day_to=run["to"])
        return redirect(url_for("backtest_report", run_id=run["id"]))

    @app.get("/rulesets/backtest/<run_id>")
    @needs("read")
    def backtest_report(run_id):
        run = backtests.get(run_id) or abort(404)
        report_html = None
        if run["state"] == "DONE":
            import mistune

            text = Path(run["report"]).read_text(encoding="utf-8")
            # the report's charts sit next to it: point them at this run's file route
            text = re.sub(r"\]\(([\w.-]+\.png)\)",
                          lambda m: f"]({url_for('backtest_file', run_id=run_id, name=m.group(1))})", text)
            report_html = mistune.create_markdown(escape=True, plugins=["table"])(text)
        return render_template("backtest.html", run=run, report_html=report_html)

    @app.get("/rulesets/backtest/<run_id>/files/<name>")
    @needs("read")
    def backtest_file(run_id, name):
        backtests.get(run_id) or abort(404)
        if not name.endswith(".png"):
            abort(404)
        return send_from_directory(backtests.dir / run_id, name)

    @app.post("/rulesets/publish")
    @needs("publish")
    def ruleset_publish():
        """Step 1: the confirmation page (what changes against the version in effect)."""
        files = rulesets.ruleset_files()
        bodies, _, current, _ = known_rulesets()
        version = request.form.get("version")
        if version not in files:
            abort(400, "publish a rule-set file")
        base = current if current in bodies else None
        lines = rulesets.diff(base, bodies[base]["body"], version, files[version]["body"]) if base else []
        return render_template("publish.html", version=version, base=base, lines=lines,
                               effective_from=request.form.get("effective_from") or "now", broker=config.bootstrap_servers)

    @app.post("/rulesets/publish/confirm")
    @needs("publish")
    def ruleset_publish_confirm():
        from borderflow.produce import publish_update
        from transforms import control

        files = rulesets.ruleset_files()
        version = request.form.get("version")
        if version not in files or request.form.get("confirm") != version:
            abort(400, "type the version to confirm the publication")
        if not config.bootstrap_servers:
            return render_template("error.html", status=409, message="No broker configured: start the workbench "
                                   "with --bootstrap-servers to publish."), 409
        effective = _effective_ms(request.form.get("effective_from") or "now")
        try:
            publish_update(control.ruleset_update(files[version]["body"], effective), config.bootstrap_servers,
                           config.extra_kafka)
        except (RuntimeError, ValueError) as exc:
            return render_template("error.html", status=502, message=f"Not published: {exc}"), 502
        audit.record(g.user.name, "publish_ruleset", version, effective_from_ms=effective)
        log.info("rule set %s published", version)
        return redirect(url_for("ruleset_list"))

    # --- health and audit --------------------------------------------------------------------
    @app.get("/health")
    @needs("read")
    def health():
        from workbench import health as probes

        flink = probes.flink_jobs(config.flink_url) if config.flink_url else None
        kafka = probes.kafka_health(config.bootstrap_servers, extra_config=config.extra_kafka) \
            if config.bootstrap_servers else None
        return render_template("health.html", flink=flink, kafka=kafka, run=probes.run_folder_health(Path(config.store)),
                               config=config, reader=reader, store_kind=source.kind,
                               lifecycles=source.latest().num_rows, outbox=outbox)

    @app.get("/audit")
    @needs("audit")
    def audit_log():
        return render_template("audit.html", entries=audit.entries(subject=request.args.get("subject") or None))

    @app.errorhandler(400)
    @app.errorhandler(404)
    def client_error(exc):
        if _wants_json():
            return jsonify(error=exc.description), exc.code
        return render_template("error.html", status=exc.code, message=exc.description), exc.code

    return app


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.endswith("/rows") or \
        request.accept_mimetypes.best == "application/json"


def _effective_ms(text: str) -> int:
    from datetime import datetime, timezone

    if text == "now":
        return int(time.time() * 1000)
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        abort(400, f"effective from: 'now' or an ISO 8601 time, not {text!r}")
    return int((t if t.tzinfo else t.replace(tzinfo=timezone.utc)).timestamp() * 1000)
