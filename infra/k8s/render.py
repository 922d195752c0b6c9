"""Render the Kubernetes manifests of borderflow from values (infra/k8s/values.yaml + overrides):

- the live job as a FlinkDeployment for the Flink Kubernetes Operator (Python job through
  flink-python's PythonDriver, checkpoints/savepoints/HA on s3://, upgradeMode savepoint);
- Kafka for Strimzi in KRaft mode: a KafkaNodePool (dual role) and the Kafka cluster;
- one KafkaTopic per topic of infra/stack.env's BF_TOPICS (the same topics as the local stack).

    python infra/k8s/render.py [--values FILE]... [--out DIR]     (default: YAML on stdout)

Validated against the operators' CRD schemas by tests/unit/test_k8s_manifests.py.
"""
from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
STACK_ENV = HERE.parent / "stack.env"
PROJECT_DIR = "/opt/borderflow"  # where the image holds this repository
PYTHON = "/opt/borderflow/.venv/bin/python"


def merge(base: dict, override: dict) -> dict:
    """Maps merge key by key; anything else in `override` replaces."""
    out = copy.deepcopy(base)
    for key, value in (override or {}).items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def load_values(paths) -> dict:
    values: dict = {}
    for path in paths or [HERE / "values.yaml"]:
        values = merge(values, yaml.safe_load(Path(path).read_text()) or {})
    return values


def stack_topics() -> str:
    for line in STACK_ENV.read_text().splitlines():
        m = re.match(r"^BF_TOPICS=(\S+)", line)
        if m:
            return m.group(1)
    raise ValueError(f"no BF_TOPICS in {STACK_ENV}")


def parse_topics(spec: str) -> list[tuple[str, int, bool]]:
    """'name:partitions[:compact],...' (the format of BF_TOPICS) -> [(name, partitions, compact)]."""
    topics = []
    for item in spec.split(","):
        parts = item.strip().split(":")
        if not parts[0]:
            continue
        if len(parts) > 3 or (len(parts) == 3 and parts[2] != "compact"):
            raise ValueError(f"topic {item!r}: expected name:partitions[:compact]")
        topics.append((parts[0], int(parts[1]) if len(parts) > 1 else 1, len(parts) == 3))
    return topics


def bootstrap_servers(v: dict) -> str:
    return f"{v['kafka']['cluster']}-kafka-bootstrap.{v['namespace']}.svc:9092"


def flink_deployment(v: dict) -> dict:
    f, s = v["flink"], v["flink"]["storage"]
    base = f"s3://{s['bucket']}/{s['prefix']}"
    conf = {
        "taskmanager.numberOfTaskSlots": str(f["taskSlots"]),
        "state.backend.type": f["stateBackend"],
        "execution.checkpointing.incremental": "true",
        "execution.checkpointing.interval": f["checkpointInterval"],
        "execution.checkpointing.mode": "EXACTLY_ONCE",
        "execution.checkpointing.dir": f"{base}/checkpoints",
        "execution.checkpointing.savepoint-dir": f"{base}/savepoints",
        "execution.checkpointing.externalized-checkpoint-retention": "RETAIN_ON_CANCELLATION",
        "python.execution-mode": "thread",
        "python.executable": PYTHON,
        "python.client.executable": PYTHON,
        "metrics.reporter.prom.factory.class": "org.apache.flink.metrics.prometheus.PrometheusReporterFactory",
        "metrics.reporter.prom.port": str(f["metricsPort"]),
        # the operator's own savepoint handling
        "kubernetes.operator.savepoint.format.type": "CANONICAL",
        "kubernetes.operator.savepoint.history.max.age": "7 d",
        "kubernetes.operator.savepoint.history.max.count": "10",
        "kubernetes.operator.periodic.savepoint.interval": "6 h",
        "kubernetes.operator.deployment.rollback.enabled": "true",
        "kubernetes.operator.job.upgrade.last-state-fallback.enabled": "false",
    }
    if s["endpoint"]:
        conf["s3.endpoint"] = s["endpoint"]
    if s["pathStyleAccess"]:
        conf["s3.path.style.access"] = "true"
    if f["highAvailability"]:
        conf["high-availability.type"] = "kubernetes"
        conf["high-availability.storageDir"] = f"{base}/ha"
    args = ["-pyclientexec", PYTHON, "-py", f"{PROJECT_DIR}/jobs/cluster_job.py",
            "--bootstrap-servers", bootstrap_servers(v), "--group-id", f["job"]["groupId"],
            "--parallelism", str(f["parallelism"]), "--job-name", f["name"]]
    if f["job"]["ruleset"]:
        args += ["--ruleset", f["job"]["ruleset"]]
    if f["job"]["model"]:
        args += ["--model", f["job"]["model"]]
    args += [str(a) for a in f["job"]["extraArgs"]]
    secret = s["credentialsSecret"]
    container = {
        "name": "flink-main-container",
        "env": [
            # thread mode runs Python inside the TaskManager JVM: it sees the project only via PYTHONPATH
            {"name": "PYTHONPATH", "value": PROJECT_DIR},
            {"name": "ENABLE_BUILT_IN_PLUGINS", "value": "flink-s3-fs-presto-2.2.1.jar"},
            {"name": "AWS_ACCESS_KEY_ID", "valueFrom": {"secretKeyRef": {"name": secret, "key": "access-key"}}},
            {"name": "AWS_SECRET_ACCESS_KEY", "valueFrom": {"secretKeyRef": {"name": secret, "key": "secret-key"}}},
        ],
        "ports": [{"name": "metrics", "containerPort": int(f["metricsPort"]), "protocol": "TCP"}],
    }
    return {
        "apiVersion": "flink.apache.org/v1beta1",
        "kind": "FlinkDeployment",
        "metadata": {"name": f["name"], "namespace": v["namespace"], "labels": {"app.kubernetes.io/part-of": "borderflow"}},
        "spec": {
            "image": f["image"],
            "imagePullPolicy": f["imagePullPolicy"],
            "flinkVersion": f["flinkVersion"],
            "serviceAccount": f["serviceAccount"],
            "flinkConfiguration": conf,
            "podTemplate": {
                "metadata": {"annotations": {"prometheus.io/scrape": "true",
                                             "prometheus.io/port": str(f["metricsPort"])}},
                "spec": {"containers": [container]},
            },
            "jobManager": {"replicas": int(f["jobManager"]["replicas"]),
                           "resource": {"memory": f["jobManager"]["memory"], "cpu": float(f["jobManager"]["cpu"])}},
            "taskManager": {"resource": {"memory": f["taskManager"]["memory"], "cpu": float(f["taskManager"]["cpu"])}},
            "job": {
                # flink-python sits in the image's lib/ (as on the local stack; see README.md)
                "jarURI": "local:///opt/flink/lib/flink-python-2.2.1.jar",
                "entryClass": "org.apache.flink.client.python.PythonDriver",
                "args": args,
                "parallelism": int(f["parallelism"]),
                "upgradeMode": f["upgradeMode"],
                "state": f["state"],
                "allowNonRestoredState": bool(f["allowNonRestoredState"]),
            },
        },
    }


def kafka_resources(v: dict) -> list[dict]:
    k = v["kafka"]
    labels = {"strimzi.io/cluster": k["cluster"]}
    volume = {"id": 0, "type": "persistent-claim", "size": k["storage"]["size"],
              "deleteClaim": bool(k["storage"]["deleteClaim"]), "kraftMetadata": "shared"}
    if k["storage"]["storageClass"]:
        volume["class"] = k["storage"]["storageClass"]
    pool = {
        "apiVersion": "kafka.strimzi.io/v1",
        "kind": "KafkaNodePool",
        "metadata": {"name": "dual-role", "namespace": v["namespace"], "labels": labels},
        "spec": {
            "replicas": int(k["replicas"]),
            "roles": ["controller", "broker"],
            "storage": {"type": "jbod", "volumes": [volume]},
            "resources": {"requests": {"memory": k["memory"], "cpu": str(k["cpu"])},
                          "limits": {"memory": k["memory"]}},
        },
    }
    rf, isr = int(k["replicationFactor"]), int(k["minInsyncReplicas"])
    kafka = {
        "apiVersion": "kafka.strimzi.io/v1",
        "kind": "Kafka",
        "metadata": {"name": k["cluster"], "namespace": v["namespace"]},
        "spec": {
            "kafka": {
                "version": str(k["version"]),
                "listeners": [
                    {"name": "plain", "port": 9092, "type": "internal", "tls": False},
                    {"name": "tls", "port": 9093, "type": "internal", "tls": True},
                ],
                "config": {
                    "auto.create.topics.enable": False,
                    "default.replication.factor": rf,
                    "min.insync.replicas": isr,
                    "offsets.topic.replication.factor": rf,
                    "transaction.state.log.replication.factor": rf,
                    "transaction.state.log.min.isr": isr,
                    # Flink's KafkaSink asks for transaction.timeout.ms up to 1 h (the broker's default max is 15 min)
                    "transaction.max.timeout.ms": 3_600_000,
                },
            },
            "entityOperator": {"topicOperator": {}, "userOperator": {}},
        },
    }
    return [pool, kafka]


def kafka_topics(v: dict) -> list[dict]:
    k = v["kafka"]
    out = []
    for name, partitions, compact in parse_topics(k["topics"] or stack_topics()):
        config = {"min.insync.replicas": int(k["minInsyncReplicas"])}
        if compact:
            config["cleanup.policy"] = "compact"
        out.append({
            "apiVersion": "kafka.strimzi.io/v1",
            "kind": "KafkaTopic",
            "metadata": {"name": name, "namespace": v["namespace"], "labels": {"strimzi.io/cluster": k["cluster"]}},
            "spec": {"topicName": name, "partitions": partitions, "replicas": int(k["replicationFactor"]),
                     "config": config},
        })
    return out


def manifests(values: dict) -> list[dict]:
    return [*kafka_resources(values), *kafka_topics(values), flink_deployment(values)]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--values", action="append", help="values file (repeatable; later files override)")
    p.add_argument("--out", help="write one file per resource into this folder instead of stdout")
    args = p.parse_args(argv)
    docs = manifests(load_values(args.values))
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for i, doc in enumerate(docs):
            name = f"{i:02d}-{doc['kind'].lower()}-{doc['metadata']['name']}.yaml"
            (out / name).write_text(yaml.safe_dump(doc, sort_keys=False))
    else:
        yaml.safe_dump_all(docs, sys.stdout, sort_keys=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
