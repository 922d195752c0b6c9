"""Per-operator CPU profiles of the job's Python operators, on demand.

With BF_PROFILE_DIR set in the environment of the process that runs the Python operators (the
embedded mini-cluster's JVM takes the client's as it was when the JVM started, with the first
job), each operator profiles its own Python work with cProfile from open() to close() and writes
`<operator>-<pid>-<instance>.prof` there (`benchmarks/embedded_throughput.py --profile` runs the
embedded job so and prints the profiles). Off by default:
a profiler roughly doubles the cost of every Python call."""
from __future__ import annotations

import os

ENV = "BF_PROFILE_DIR"


def start():
    """A running profiler if profiling is asked for, else None."""
    if not os.environ.get(ENV):
        return None
    import cProfile
    import time

    # The thread's CPU time, not the wall clock: in thread mode every Python operator of a
    # process shares one interpreter, and a wall clock would charge each the others' GIL turns.
    profile = cProfile.Profile(time.thread_time)
    profile.enable()
    return profile


def stop(profile, name: str) -> None:
    if profile is None:
        return
    profile.disable()
    out = os.environ[ENV]
    os.makedirs(out, exist_ok=True)
    # One file per operator instance (subtasks of one process differ by the instance's id).
    profile.dump_stats(os.path.join(out, f"{name}-{os.getpid()}-{id(profile):x}.prof"))
