"""borderflow: stream processing for customs risk analysis (PyFlink live job, Beam replay)."""
from setuptools import find_packages, setup

setup(
    name="borderflow",
    version="0.1.0",
    description="Customs risk analysis on declaration, manifest and container-event streams",
    python_requires="==3.11.*",
    packages=find_packages(include=["borderflow*", "schemas*", "transforms*", "jobs*", "pipelines*", "generator*",
                                   "workbench*"]),
    package_data={
        "schemas": ["avro/*.avsc", "expectations/*.json"],
        "transforms": ["reference_data/*", "rulesets/*"],
        "workbench": ["templates/*.html", "static/*", "users.example.yaml"],
    },
    # Direct dependencies, pinned to the set that installs and was tested together;
    # requirements.lock pins the whole tree.
    install_requires=[
        "apache-flink==2.2.1",
        "apache-beam==2.61.0",
        "fastavro==1.13.1",
        "confluent-kafka[schemaregistry]==2.16.1",  # the extra: SchemaRegistryClient (tests/integration/test_schema_registry.py)
        "pyarrow==16.1.0",
        "scikit-learn==1.9.1",
        "great-expectations==1.24.1",
        "rapidfuzz==3.14.6",
        "pyyaml==6.0.4",
        "matplotlib==3.11.2",
        "tqdm==4.70.1",
        "jsonschema==4.26.0",  # tests/unit/test_k8s_manifests.py: manifests against the operators' CRD schemas
        "flask==3.1.3",  # the workbench (workbench/server.py)
        "flask-wtf==1.3.0",  # its CSRF protection
        "waitress==3.0.2",  # its WSGI server
    ],
    extras_require={"test": ["pytest==9.2.0", "pytest-timeout==2.4.0", "hypothesis==6.170.17",
                            "atheris==3.0.0",
                            "playwright==1.65.2"]},
    entry_points={"console_scripts": ["borderflow=borderflow.cli:main"]},
)
