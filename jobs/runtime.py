"""Creating the Flink execution environment the way every borderflow job needs it."""
from __future__ import annotations

import os
import site
import sys
from pathlib import Path

from jobs.config import JobConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _python_path() -> str:
    # Thread mode runs Python inside the JVM (pemja): it sees neither the venv's site-packages
    # nor this project unless they are on PYTHONPATH when the JVM starts.
    paths = [str(PROJECT_ROOT), *site.getsitepackages()]
    existing = os.environ.get("PYTHONPATH")
    return os.pathsep.join(paths + ([existing] if existing else []))


def make_environment(config: JobConfig):
    """A StreamExecutionEnvironment: embedded mini-cluster unless submitted to a cluster."""
    os.environ["PYTHONPATH"] = _python_path()
    from pyflink.common import Configuration
    from pyflink.datastream import StreamExecutionEnvironment

    conf = Configuration()
    conf.set_string("python.execution-mode", config.execution_mode)
    conf.set_string("python.executable", sys.executable)
    conf.set_string("python.client.executable", sys.executable)
    env = StreamExecutionEnvironment.get_execution_environment(conf)
    env.set_parallelism(config.parallelism)
    return env
