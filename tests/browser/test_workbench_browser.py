"""The workbench in a real browser (Playwright driving Debian's chromium) against the real stack
(infra/stack.sh: Kafka + Flink, started for the module unless already running).

The workbench runs as `borderflow workbench` in a subprocess over a Parquet store of a generated
day (assessed by the reference runner), reading the broker's topics and publishing control results
through a TCP relay to the broker, so the test can take "the broker" away and bring it back.
An analyst logs in, opens the queue, sees a new alert appear without a reload, opens a case,
records a control result while the broker is unreachable (queued, visibly), and once it is back
the result is delivered and read back from the control-results topic. Anonymous requests and an
auditor's attempt to record are refused. Screenshots of the main pages go to $BF_SCREENSHOTS_DIR
(docs/workbench/ for the documentation), else to the test's temporary folder.
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from confluent_kafka import Consumer, KafkaError, TopicPartition

from schemas import codec
from tests.integration.test_infra import end_offsets, infra, kafka_conf  # noqa: F401 (infra: the stack fixture)
from tests.workbench_support import PASSWORDS, generated_case_data, write_store, write_users
from workbench.evidence import wait_until

pytestmark = pytest.mark.integration
playwright_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 30_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Relay:
    """A TCP relay on a port of its own to the broker's bootstrap address: stop() makes the broker
    unreachable for a client that bootstraps through it; start() again brings it back."""

    def __init__(self, target: tuple[str, int]):
        self.target, self.port = target, free_port()
        self._server: socket.socket | None = None
        self._conns: list[socket.socket] = []

    def start(self) -> None:
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(16)
        self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def _accept(self, server) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src, dst) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self) -> None:
        if self._server:
            try:
                self._server.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close() alone does not
            except OSError:
                pass
            self._server.close()
            self._server = None
        for c in self._conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
                c.close()
            except OSError:
                pass
        self._conns = []


@pytest.fixture(scope="module")
def workbench(infra, tmp_path_factory):  # noqa: F811 (the imported fixture)
    out = tmp_path_factory.mktemp("workbench-browser")
    traffic, assessments = generated_case_data(out, declarations_per_day=150)
    # The store as the live job has it in the evening of the day: lifecycles still before loading
    # or at sea next to those that reached their pre-arrival answer.
    evening = min(a["event_time_ms"] for a in assessments) + 20 * 3_600_000
    assessments = [a for a in assessments if a["event_time_ms"] <= evening]
    store = out / "store"
    write_store(store, assessments)
    users = write_users(out / "users.yaml")
    bootstrap = f"{infra['BF_KAFKA_HOST']}:{infra['BF_KAFKA_PORT']}"
    relay = Relay((infra["BF_KAFKA_HOST"], int(infra["BF_KAFKA_PORT"])))
    relay.start()
    port = free_port()
    log = open(out / "workbench.log", "w")
    proc = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "borderflow"), "workbench", "--store", str(store), "--traffic", str(traffic),
         "--users", str(users), "--data-dir", str(out / "data"), "--port", str(port),
         "--bootstrap-servers", f"127.0.0.1:{relay.port}",
         "--flink-url", f"http://{infra['BF_FLINK_HOST']}:{infra['BF_FLINK_REST_PORT']}",
         "--poll-seconds", "1"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"

    def answers():
        try:
            return urllib.request.urlopen(url + "/login", timeout=2).status == 200
        except OSError:
            return False
    try:
        if not wait_until(answers, timeout_s=60, interval_s=0.3):
            pytest.fail(f"the workbench did not start:\n{(out / 'workbench.log').read_text()}", pytrace=False)
        yield {"url": url, "store": store, "assessments": assessments, "env": infra, "bootstrap": bootstrap,
               "traffic": traffic,
               "relay": relay, "log": out / "workbench.log", "out": out}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        relay.stop()
        log.close()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)", pytrace=False)
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("BF_SCREENSHOTS_DIR") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def new_page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


def log_in(page, url, name):
    page.goto(url + "/queue")
    assert "/login" in page.url
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORDS[name][1])
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/queue.*"))


def read_control_results(env, start: dict[int, int], want, timeout_s: float = 30) -> list[dict]:
    """ControlResults after `start` (read_committed) until one satisfies `want` or time is up."""
    consumer = Consumer(kafka_conf(env, **{"group.id": f"wb-browser-{time.time_ns()}", "enable.auto.commit": False,
                                           "isolation.level": "read_committed"}))
    consumer.assign([TopicPartition("control-results", p, off) for p, off in start.items()])
    found: list[dict] = []
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline and not any(want(r) for r in found):
            msg = consumer.poll(0.5)
            if msg is None or (msg.error() and msg.error().code() == KafkaError._PARTITION_EOF):
                continue
            assert not msg.error(), msg.error()
            found.append(codec.decode("ControlResult", msg.value()))
    finally:
        consumer.close()
    return found


def test_anonymous_requests_are_refused(workbench, browser):
    page = new_page(browser)
    api = page.context.request
    for path in ("/queue", "/case/ANY", "/rulesets", "/health", "/audit"):
        response = api.get(workbench["url"] + path, max_redirects=0)
        assert response.status == 302 and "/login" in response.headers["location"], path
    for path in ("/api/queue", "/queue/rows", "/api/outbox"):
        assert api.get(workbench["url"] + path, max_redirects=0).status == 401, path
    page.goto(workbench["url"] + "/queue")
    assert page.url.startswith(workbench["url"] + "/login")
    page.fill("input[name=username]", "ana")
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    assert page.locator("[role=alert]").inner_text() == "Unknown user or wrong password."
    page.context.close()


def test_analyst_records_a_control_result_that_reaches_the_topic(workbench, browser, shots):
    url, env = workbench["url"], workbench["env"]
    page = new_page(browser)
    log_in(page, url, "ana")
    rows = page.locator("#queue-rows tr")
    assert rows.count() > 5
    page.screenshot(path=str(shots / "queue.png"))

    # A new alert committed to the store shows up in the open page, without a reload.
    template = next(a for a in workbench["assessments"] if a["alert"] and a["declaration_id"])
    new = {**template, "assessment_id": "WB-NEW-0001#1", "declaration_id": "WB-NEW-0001", "sequence": 1,
           "supersedes": None, "score": 100.0, "outcome": "DO_NOT_LOAD", "phase": "PRE_LOADING",
           "expected_loading_ms": 0}  # due first: it sorts onto the first page
    write_store(workbench["store"], [new], files_per_day=1)
    page.locator("#queue-rows >> text=WB-NEW-0001").wait_for()

    # Open a declared case from the queue.
    link = page.locator("#queue-rows a", has_text=re.compile(r"^(?!HOUSE:)(?!WB-NEW)")).first
    subject = link.inner_text().strip()
    link.click()
    page.wait_for_url(re.compile(r".*/case/.*"))
    assert page.locator("h1").inner_text().startswith(f"Case {subject}")
    assert page.locator("#scorecard tbody tr").count() >= 1
    assert page.locator("#lifecycle tbody tr").count() >= 1
    assert page.locator("#timeline li").count() >= 2
    page.screenshot(path=str(shots / "case.png"), full_page=True)

    # The broker goes away; the result is recorded and queued, visibly.
    start = end_offsets(env, "control-results")
    workbench["relay"].stop()
    page.check("input[name=finding][value=IRREGULARITY]")
    page.select_option("select[name=control_type]", "PHYSICAL")
    page.fill("input[name=recovered_amount_eur]", "1250.50")
    page.fill("textarea[name=note]", "second seal number differs from the filing")
    page.click("#result-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/case/.*message=.*"))
    assert "recorded" in page.locator("#message").inner_text()
    assert page.locator("#recorded .delivery").first.inner_text().startswith("queued")
    page.locator("#outbox.queued").wait_for()
    page.locator("#outbox", has_text="not delivered").wait_for()  # the failed attempt shows
    page.screenshot(path=str(shots / "case-queued.png"))

    # The broker is back: the outbox delivers, and the topic has the result.
    workbench["relay"].start()
    page.locator("#outbox", has_text="outbox empty").wait_for(timeout=60_000)
    page.reload()
    assert page.locator("#recorded .delivery").first.inner_text().startswith("delivered")
    assert page.locator("#control-state").inner_text().startswith("recorded")

    def ours(r):
        return r["declaration_id"] == subject and r["finding"] == "IRREGULARITY" and r["control_type"] == "PHYSICAL"
    results = read_control_results(env, start, ours)
    assert [r for r in results if ours(r)] and [r for r in results if ours(r)][0]["recovered_amount_eur"] == 1250.5

    # The alert is closed: the case left the queue.
    page.goto(url + "/queue?q=" + subject)
    assert page.locator("#queue-rows").inner_text().strip() == "No open alerts match."
    page.context.close()
    workbench["case"] = subject
    # No personal data in the application's log: the case's parties, goods and the note stay in the data.
    log_text = workbench["log"].read_text()
    declaration = next(d for d in codec.read_avro_file(workbench["traffic"] / "declarations.avro")
                       if d["declaration_id"] == subject)
    personal = [declaration["consignor"]["name"], declaration["consignee"]["name"],
                declaration["consignee"]["address"], declaration["goods"][0]["description"],
                "second seal number"]
    personal = [p for p in personal if p]
    assert "delivered" in log_text  # the log is there and says what happened
    assert not [p for p in personal if p in log_text]


def test_a_read_only_auditor_is_refused_and_sees_the_audit_log(workbench, browser, shots):
    url = workbench["url"]
    subject = workbench.get("case") or next(a["declaration_id"] for a in workbench["assessments"] if a["alert"]
                                            and a["declaration_id"])
    page = new_page(browser)
    log_in(page, url, "aud")
    page.goto(f"{url}/case/{subject}")
    assert page.locator("#result-form").count() == 0
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    refused = page.context.request.post(f"{url}/case/{subject}/control-result",
                                        form={"csrf_token": token, "finding": "NO_FINDING", "control_type": "SCAN"},
                                        max_redirects=0)
    assert refused.status == 403
    assert page.context.request.post(f"{url}/rulesets/publish", form={"csrf_token": token, "version": "2026.12-1"},
                                     max_redirects=0).status == 403
    page.goto(url + "/audit")
    audit = page.locator("#audit").inner_text()
    assert "record_control_result" in audit and "ana" in audit and "view_case" in audit
    page.screenshot(path=str(shots / "audit.png"))
    page.goto(url + "/rulesets/diff?a=2026.12-1&b=2026.12-1%2Buv60")
    assert "ratio_below" in page.locator("#diff").inner_text()
    page.screenshot(path=str(shots / "ruleset-diff.png"))
    page.goto(url + "/rulesets")
    page.screenshot(path=str(shots / "rulesets.png"))
    page.goto(url + "/health")
    assert page.locator("#lag").count() == 1
    page.screenshot(path=str(shots / "health.png"))
    page.context.close()

    analyst = new_page(browser)
    log_in(analyst, url, "ana")
    analyst.goto(url + "/audit")
    assert analyst.locator("h1").inner_text() == "403"
    analyst.context.close()
