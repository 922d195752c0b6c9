"""The Kubernetes manifests (infra/k8s/render.py) against the operators' real CRD schemas
(infra/k8s/crds/, sources in infra/k8s/crds/SOURCES.md), with the `jsonschema` package.

Strict like `kubectl apply --validate=strict`: a field the schema does not declare is an error
(unless the schema preserves unknown fields), so a misspelt key cannot pass silently."""
import copy
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from infra.k8s import render

ROOT = Path(__file__).resolve().parents[2]
CRDS = ROOT / "infra" / "k8s" / "crds"
# Flink 2.2 needs an operator whose FlinkVersion enum has v2_2; Maven Central serves the CRDs of
# operator 1.10.0 at the newest, whose enum stops at v1_20 (see crds/SOURCES.md). This is the one
# value allowed beyond the published schema; test_flink_version_is_the_only_deviation proves it.
FLINK_VERSION_BEYOND_CRD = "v2_2"
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def load_crds() -> dict[tuple[str, str], dict]:
    """(apiVersion, kind) -> openAPIV3Schema of every served version of every committed CRD."""
    schemas = {}
    for path in sorted(CRDS.glob("*.y*ml")):
        crd = yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # 1 MB of YAML
        assert crd["kind"] == "CustomResourceDefinition", path
        for version in crd["spec"]["versions"]:
            if version["served"]:
                key = (f"{crd['spec']['group']}/{version['name']}", crd["spec"]["names"]["kind"])
                schemas[key] = version["schema"]["openAPIV3Schema"]
    return schemas


def to_json_schema(node, root=True):
    """A Kubernetes structural schema (OpenAPI v3 subset) as JSON Schema, strict on unknown fields."""
    if isinstance(node, list):
        return [to_json_schema(n, False) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: to_json_schema(v, False) if k in ("items", "additionalProperties", "not") or k in ("allOf", "anyOf", "oneOf")
           else v for k, v in node.items() if k != "properties"}
    if "properties" in node:
        out["properties"] = {k: to_json_schema(v, False) for k, v in node["properties"].items()}
    if root:  # the API server adds these to every kind
        out.setdefault("properties", {}).update(apiVersion={"type": "string"}, kind={"type": "string"},
                                                metadata={"type": "object"})
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    if ("properties" in out and "additionalProperties" not in out
            and not node.get("x-kubernetes-preserve-unknown-fields")):
        out["additionalProperties"] = False
    return out


_VALIDATORS = {}


def validator(schemas, key, widen_flink_version: bool):
    if (key, widen_flink_version) not in _VALIDATORS:
        schema = to_json_schema(schemas[key])
        if widen_flink_version and key[1] == "FlinkDeployment":
            version = schema["properties"]["spec"]["properties"]["flinkVersion"]
            version["enum"] = [*version["enum"], FLINK_VERSION_BEYOND_CRD]
        _VALIDATORS[key, widen_flink_version] = jsonschema.Draft7Validator(schema)
    return _VALIDATORS[key, widen_flink_version]


def errors(doc: dict, schemas, widen_flink_version: bool = True) -> list[str]:
    validator_ = validator(schemas, (doc["apiVersion"], doc["kind"]), widen_flink_version)
    return [f"{doc['kind']}/{doc['metadata']['name']} {'.'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator_.iter_errors(doc)]


@pytest.fixture(scope="session")
def schemas():
    return load_crds()


def small_values():
    return render.merge(render.load_values(None), {
        "flink": {"parallelism": 1, "highAvailability": False, "jobManager": {"replicas": 1},
                  "storage": {"endpoint": "http://minio.minio.svc:9000", "pathStyleAccess": True},
                  "job": {"ruleset": "strict", "model": "file:///opt/models/gbt-1", "extraArgs": ["--checkpoint-interval-ms", 30000]}},
        "kafka": {"replicas": 1, "replicationFactor": 1, "minInsyncReplicas": 1, "topics": "declarations:2,alerts:1:compact",
                  "storage": {"storageClass": "standard"}},
    })


@pytest.mark.parametrize("values", [render.load_values(None), small_values()], ids=["default", "small-overlay"])
def test_every_manifest_validates_against_its_crd(values, schemas):
    docs = render.manifests(values)
    assert {d["kind"] for d in docs} == {"FlinkDeployment", "Kafka", "KafkaNodePool", "KafkaTopic"}
    problems = [p for doc in docs for p in errors(doc, schemas)]
    assert not problems, "\n".join(problems)
    for doc in docs:
        assert DNS1123_SUBDOMAIN.match(doc["metadata"]["name"]) and len(doc["metadata"]["name"]) <= 253
        assert doc["metadata"]["namespace"] == values["namespace"]


def test_flink_version_is_the_only_deviation_from_the_published_flink_crd(schemas):
    (deployment,) = [d for d in render.manifests(render.load_values(None)) if d["kind"] == "FlinkDeployment"]
    problems = errors(deployment, schemas, widen_flink_version=False)
    assert len(problems) == 1 and "spec.flinkVersion" in problems[0] and "'v2_2'" in problems[0], problems


def test_validation_catches_mistakes(schemas):
    """The checks can fail: a misspelt field, a wrong type and a bad enum value are reported."""
    docs = render.manifests(render.load_values(None))
    deployment = next(d for d in docs if d["kind"] == "FlinkDeployment")
    bad = copy.deepcopy(deployment)
    bad["spec"]["job"]["upgradMode"] = bad["spec"]["job"].pop("upgradeMode")
    assert any("upgradMode" in p for p in errors(bad, schemas))
    bad = copy.deepcopy(deployment)
    bad["spec"]["job"]["parallelism"] = "two"
    assert any("parallelism" in p for p in errors(bad, schemas))
    bad = copy.deepcopy(deployment)
    bad["spec"]["job"]["upgradeMode"] = "restart"
    assert any("upgradeMode" in p for p in errors(bad, schemas))
    pool = copy.deepcopy(next(d for d in docs if d["kind"] == "KafkaNodePool"))
    pool["spec"]["roles"] = ["zookeeper"]
    assert errors(pool, schemas)
    topic = copy.deepcopy(next(d for d in docs if d["kind"] == "KafkaTopic"))
    del topic["spec"]["partitions"], topic["spec"]["replicas"]
    topic["spec"]["partitionz"] = 3
    assert any("partitionz" in p for p in errors(topic, schemas))


def test_topics_are_the_local_stacks_topics():
    docs = render.manifests(render.load_values(None))
    topics = {d["spec"]["topicName"]: d for d in docs if d["kind"] == "KafkaTopic"}
    expected = render.parse_topics(render.stack_topics())
    assert [(n, t["spec"]["partitions"], t["spec"].get("config", {}).get("cleanup.policy") == "compact")
            for n, t in topics.items()] == expected
    assert all(t["metadata"]["labels"]["strimzi.io/cluster"] == "borderflow" for t in topics.values())


def test_flink_deployment_runs_the_python_job_with_savepoint_upgrades_and_object_storage():
    values = render.load_values(None)
    (d,) = [d for d in render.manifests(values) if d["kind"] == "FlinkDeployment"]
    spec, conf = d["spec"], d["spec"]["flinkConfiguration"]
    assert spec["job"]["upgradeMode"] == "savepoint"
    assert spec["job"]["entryClass"] == "org.apache.flink.client.python.PythonDriver"
    args = spec["job"]["args"]
    assert args[args.index("-py") + 1] == "/opt/borderflow/jobs/cluster_job.py"
    # the job's own argument parser accepts what the manifest passes
    from jobs.cluster_job import parse_args

    parsed = parse_args(args[args.index("-py") + 2:])
    assert parsed.parallelism == spec["job"]["parallelism"] == values["flink"]["parallelism"]
    assert parsed.bootstrap_servers == "borderflow-kafka-bootstrap.borderflow.svc:9092"
    for key in ("execution.checkpointing.dir", "execution.checkpointing.savepoint-dir", "high-availability.storageDir"):
        assert conf[key].startswith("s3://borderflow-state/live/"), key
    assert all(isinstance(v, str) for v in conf.values()), "flinkConfiguration values must be strings"
    assert conf["metrics.reporter.prom.factory.class"].endswith("PrometheusReporterFactory")


def test_overrides_merge_maps_and_replace_the_rest():
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    assert render.merge(base, {"a": {"c": [3]}, "e": 2}) == {"a": {"b": 1, "c": [3]}, "d": 1, "e": 2}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    with pytest.raises(ValueError):
        render.parse_topics("a:1:squash")
