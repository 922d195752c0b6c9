"""The live job's graph as Flink builds it (no cluster): every operator that holds state has a
stable uid, so a savepoint restores into a later version of the job whose graph changed.

Found the hard way: the sinks had none, Flink derived their ids from the graph's shape, and a
savepoint of the job before the decoder was reshaped could not be resumed (`Cannot map
checkpoint/savepoint state for operator ... PublishAssessments: Writer`)."""
from __future__ import annotations

import re

import pytest

from jobs.assessment_store import store_jar_urls
from jobs.config import JobConfig
from jobs.live_job import build_job
from jobs.runtime import make_environment
from jobs.sinks import KafkaTopicsSink, LineFileSink
from jobs.sources import CollectionSource, KafkaTopicsSource

pytestmark = pytest.mark.integration

# Operators without state: Python maps and filters (the encoders, the dead-letter side outputs'
# identity maps, the control topics' tags, the store's row conversion). Any other operator must
# carry a uid.
STATELESS = re.compile(r"^(Encode\w+|Tag\w+|Map|Alerts, Encode\w+|AssessmentStoreRows)$")


def graph(source, sink, store=None) -> dict[str, str | None]:
    """{operator name: uid} of the live job's stream graph."""
    from pyflink.datastream import CheckpointingMode

    config = JobConfig(assessment_store=store)
    # as every job makes it: the JVM this may start must see the project (later tests run jobs on it)
    env = make_environment(config)
    env.add_jars(*store_jar_urls())
    env.enable_checkpointing(5000, CheckpointingMode.EXACTLY_ONCE)
    build_job(env, source, sink, config)
    nodes = env._generate_stream_graph(clear_transformations=True).getStreamNodes().toArray()
    return {str(n.getOperatorName()): n.getTransformationUID() for n in nodes}


def stateful_without_uid(operators: dict) -> list[str]:
    return sorted(name for name, uid in operators.items() if uid is None and not STATELESS.match(name))


def test_cluster_job_with_the_store(tmp_path):
    operators = graph(KafkaTopicsSource("127.0.0.1:1", "g"), KafkaTopicsSink("127.0.0.1:1"), str(tmp_path / "store"))
    assert stateful_without_uid(operators) == []
    # the exactly-once sinks (open transactions) and the store (files in progress, partitions to commit)
    assert operators["PublishAssessments: Writer"] == "publish-assessments"
    assert operators["PublishDead_Letters: Committer"] == "Sink Committer: publish-dead-letters"
    assert operators["StreamingFileWriter"] == "AssessmentStore-streaming-writer"
    assert operators["PartitionCommitter"] == "AssessmentStore-partition-committer"
    assert operators["PartyBehaviour"] == "PartyBehaviour"
    assert operators["Source: ReadDeclarations"] == "read-declarations"


def test_the_same_uids_without_the_store():
    with_store = graph(KafkaTopicsSource("127.0.0.1:1", "g"), KafkaTopicsSink("127.0.0.1:1"), "/tmp/unused-store")
    without = graph(KafkaTopicsSource("127.0.0.1:1", "g"), KafkaTopicsSink("127.0.0.1:1"))
    assert stateful_without_uid(without) == []
    # switching the store off keeps every other operator's identity (it used to move the sinks')
    assert {k: v for k, v in with_store.items() if k in without} == without


def test_embedded_job_sinks(tmp_path):
    # The embedded run reads a bounded collection to its end and never restores, so only its
    # decoder, keyed operators and sinks are held to uids (not the collection and its watermarks).
    operators = graph(CollectionSource([]), LineFileSink(tmp_path / "out"))
    assert operators["DecodeMessages"] == "decode-and-validate"
    assert operators["WriteAssessments: Writer"] == "write-assessments"
    assert operators["WriteDead_Letters: Committer"] == "Sink Committer: write-dead-letters"
    assert operators["AssessDeclaration"] == "AssessDeclaration"
