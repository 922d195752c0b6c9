"""The monitoring configuration as files: Grafana dashboards (infra/grafana/) are well-formed,
use the provisioned Prometheus datasource, and query only metrics that exist: the job's own
(jobs/metrics.py), Flink's built-in ones (checked on a live endpoint by
tests/integration/test_metrics_endpoint.py) or the recording rules of infra/prometheus/.
Prometheus' own checker validates its config and rules when it is installed."""
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from jobs import metrics

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "infra" / "grafana"
PROMETHEUS = ROOT / "infra" / "prometheus"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))

# Flink's own metrics the dashboards use (names as the Prometheus reporter exports them).
FLINK_BUILTIN = {
    "flink_taskmanager_job_task_operator_numRecordsOut",
    "flink_taskmanager_job_task_busyTimeMsPerSecond",
    "flink_taskmanager_job_task_backPressuredTimeMsPerSecond",
    "flink_jobmanager_job_lastCheckpointDuration",
    "flink_jobmanager_job_numberOfCompletedCheckpoints",
}
# Grafana's variables, as the integration test substitutes them to run a query in Prometheus.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$job": ".*"}
_METRIC = re.compile(r"\b(flink_[A-Za-z0-9_]+|borderflow:[A-Za-z0-9_:]+)")
PANEL_TYPES = {"timeseries", "stat", "bargauge", "table", "heatmap", "gauge"}


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def datasource_uid() -> str:
    provisioned = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "prometheus.yaml").read_text())
    (source,) = provisioned["datasources"]
    assert source["type"] == "prometheus"
    return source["uid"]


def queries():
    """(dashboard uid, panel title, refId, PromQL) of every target of every dashboard panel."""
    for path in DASHBOARDS:
        board = load(path)
        for panel in board["panels"]:
            for target in panel["targets"]:
                yield board["uid"], panel["title"], target["refId"], target["expr"]


def metric_names(expr: str) -> set[str]:
    """The metric (and recorded series) names a PromQL expression reads."""
    return set(_METRIC.findall(expr))


def runnable(expr: str) -> str:
    """The query with Grafana's variables replaced, as Prometheus can evaluate it."""
    for var, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(var, value)
    return expr


def recorded_names() -> set[str]:
    rules = yaml.safe_load((PROMETHEUS / "rules" / "borderflow.yml").read_text())
    return {r["record"] for g in rules["groups"] for r in g["rules"] if "record" in r}


def test_there_is_a_dashboard_per_concern():
    titles = {load(p)["title"] for p in DASHBOARDS}
    assert titles == {"borderflow / throughput", "borderflow / latency", "borderflow / alerts",
                      "borderflow / data quality", "borderflow / model behaviour"}


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_dashboard_structure(path):
    board = load(path)
    uid = datasource_uid()
    assert board["uid"] and len(board["uid"]) <= 40 and board["title"] and board["schemaVersion"] >= 30
    assert [v["name"] for v in board["templating"]["list"]] == ["job"]
    assert board["templating"]["list"][0]["datasource"]["uid"] == uid
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids)) and board["panels"]
    occupied = set()
    for panel in board["panels"]:
        assert panel["type"] in PANEL_TYPES, panel["title"]
        assert panel["datasource"] == {"type": "prometheus", "uid": uid}, panel["title"]
        pos = panel["gridPos"]
        assert 0 <= pos["x"] and pos["x"] + pos["w"] <= 24 and pos["h"] > 0, panel["title"]
        cells = {(pos["x"] + dx, pos["y"] + dy) for dx in range(pos["w"]) for dy in range(pos["h"])}
        assert not cells & occupied, f"{panel['title']} overlaps another panel"
        occupied |= cells
        refs = [t["refId"] for t in panel["targets"]]
        assert refs and len(refs) == len(set(refs)), panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == uid
            assert target["expr"].strip() and metric_names(target["expr"]), (panel["title"], target["expr"])
            assert target["expr"].count("(") == target["expr"].count(")"), target["expr"]


def test_every_query_reads_metrics_that_exist():
    known = metrics.exported_names() | FLINK_BUILTIN | recorded_names()
    unknown = {(board, title, ref): metric_names(expr) - known for board, title, ref, expr in queries()
               if metric_names(expr) - known}
    assert not unknown, unknown


def test_every_metric_of_the_job_is_on_a_dashboard():
    used = set().union(*(metric_names(expr) for *_, expr in queries()))
    for d in metrics.METRICS.values():
        series = metrics.histogram_series(d.name) if d.kind == "histogram" else (d.name,)
        assert used & set(series), f"{d.name} is on no dashboard"


def test_rules_read_metrics_that_exist():
    known = metrics.exported_names() | FLINK_BUILTIN | recorded_names() | {"up"}
    rules = yaml.safe_load((PROMETHEUS / "rules" / "borderflow.yml").read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            names = metric_names(rule["expr"]) | ({"up"} if re.search(r"\bup\{", rule["expr"]) else set())
            assert names and names <= known, (rule.get("record") or rule.get("alert"), names - known)


def test_prometheus_scrapes_every_reporter_port_of_the_stack():
    env = dict(line.split("=", 1) for line in (ROOT / "infra" / "stack.env").read_text().splitlines()
               if re.match(r"^[A-Z_]+=", line))
    first, last = (int(p) for p in env["BF_FLINK_PROMETHEUS_PORTS"].split("#")[0].strip().split("-"))
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    targets = [t for job in config["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]]
    assert sorted(targets) == [f"127.0.0.1:{p}" for p in range(first, last + 1)]


@pytest.mark.skipif(not shutil.which("promtool"), reason="promtool (Debian package prometheus) is not installed")
def test_promtool_accepts_the_config_and_rules():
    out = subprocess.run(["promtool", "check", "config", str(PROMETHEUS / "prometheus.yml")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "SUCCESS" in out.stdout + out.stderr
