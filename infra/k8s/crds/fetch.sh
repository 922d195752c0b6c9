#!/usr/bin/env bash
# Re-create the CRD files of this folder from Maven Central (see SOURCES.md). Needs Maven and, for
# Strimzi's generator (built for Java 21), a Java 21+ (JAVA21_HOME, default the Temurin 25 of this
# machine). Writes only into this folder.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
FLINK_OPERATOR_VERSION="${FLINK_OPERATOR_VERSION:-1.10.0}"
STRIMZI_VERSION="${STRIMZI_VERSION:-1.2.0}"
JAVA21="${JAVA21_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# Flink Kubernetes Operator: the CRDs fabric8's generator wrote into the api jar
mvn -B -q dependency:copy -Dartifact="org.apache.flink:flink-kubernetes-operator-api:$FLINK_OPERATOR_VERSION" \
  -DoutputDirectory="$WORK"
unzip -o -q -j "$WORK/flink-kubernetes-operator-api-$FLINK_OPERATOR_VERSION.jar" \
  'META-INF/fabric8/flinkdeployments.flink.apache.org-v1.yml' -d "$HERE"

# Strimzi: its api jar holds the model classes, not the YAML; Strimzi's own build runs its
# crd-generator over them (api/pom.xml). Same here, for the three kinds borderflow uses.
cat >"$WORK/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>borderflow.infra</groupId><artifactId>strimzi-crds</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>io.strimzi</groupId><artifactId>api</artifactId><version>$STRIMZI_VERSION</version></dependency>
    <dependency><groupId>io.strimzi</groupId><artifactId>crd-generator</artifactId><version>$STRIMZI_VERSION</version></dependency>
  </dependencies>
</project>
POM
mvn -B -q -f "$WORK/pom.xml" dependency:build-classpath -Dmdep.outputFile="$WORK/cp.txt"
"$JAVA21" -cp "$(cat "$WORK/cp.txt")" io.strimzi.crdgenerator.CrdGenerator \
  --label app:strimzi --label strimzi.io/crd-install:true \
  --crd-api-version v1 --api-versions v1 --storage-version v1 --yaml \
  io.strimzi.api.kafka.model.kafka.Kafka="$HERE/040-Crd-kafka.yaml" \
  io.strimzi.api.kafka.model.topic.KafkaTopic="$HERE/043-Crd-kafkatopic.yaml" \
  io.strimzi.api.kafka.model.nodepool.KafkaNodePool="$HERE/04A-Crd-kafkanodepool.yaml"
sha256sum "$HERE"/*.y*ml
