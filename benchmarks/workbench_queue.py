"""The workbench's alert queue over a store of about 100,000 assessments: its response time.

    .venv/bin/python benchmarks/workbench_queue.py [--days 16] [--per-day 3000] [--files-per-day 20]
                                                   [--work .cache/bench/workbench] [--record]

Builds the store once (cached in --work): generated traffic (`generator`), assessed by the
reference runner (the live logic), written as the live job's Parquet store with many small files
per day (as checkpoints leave them). Then serves the workbench (waitress, as `borderflow workbench`
does) with the traffic for mode and port, logs in, and times HTTP GETs of the queue page: the
first after start (builds the latest-per-lifecycle table), then each query shape repeated (default
sort, an outcome, a port, a search, page 20, by deadline), the first after the job commits one
more file, and case pages. Prints one JSON line; --record also
appends it to benchmarks/results.jsonl.
"""
from __future__ import annotations

import argparse
import json
import platform
import re
import socket
import statistics
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = Path(__file__).resolve().parent / "results.jsonl"


def build(work: Path, days: int, per_day: int, files_per_day: int) -> tuple[Path, Path, int]:
    from generator.traffic import generate
    from tests.workbench_support import traffic_inputs, write_store
    from transforms.runner import run_in_memory

    traffic, store, done = work / "traffic", work / "store", work / "built.json"
    if done.exists():
        return traffic, store, json.loads(done.read_text())["assessments"]
    t0 = time.monotonic()
    generate(traffic, days=days, seed=3, declarations_per_day=per_day)
    assessments = run_in_memory(traffic_inputs(traffic))
    write_store(store, assessments, files_per_day=files_per_day)
    done.write_text(json.dumps({"assessments": len(assessments)}))
    print(f"built {len(assessments)} assessments in {time.monotonic() - t0:.0f} s", file=sys.stderr)
    return traffic, store, len(assessments)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--days", type=int, default=16)
    p.add_argument("--per-day", type=int, default=3000)
    p.add_argument("--files-per-day", type=int, default=20)
    p.add_argument("--repeat", type=int, default=15)
    p.add_argument("--work", default=str(ROOT / ".cache" / "bench" / "workbench"))
    p.add_argument("--record", action="store_true", help="append the result to benchmarks/results.jsonl")
    args = p.parse_args(argv)

    from waitress.server import create_server

    from tests.workbench_support import PASSWORDS, write_users
    from workbench.server import WorkbenchConfig, create_app

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    traffic, store, count = build(work, args.days, args.per_day, args.files_per_day)
    files = sum(1 for f in store.rglob("part-*"))

    t0 = time.monotonic()
    app = create_app(WorkbenchConfig(store=str(store), traffic=str(traffic), users_file=str(write_users(work / "users.yaml")),
                                     data_dir=str(work / "data")))
    start_s = time.monotonic() - t0
    port = free_port()
    server = create_server(app, host="127.0.0.1", port=port, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    base = ("127.0.0.1", port)
    # The session cookie is Secure, which urllib's cookie jar does not send over plain http: the
    # benchmark carries it by hand (a browser does, on loopback).
    _, _, page, cookie = _request(base, "GET", "/login")
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
    form = urllib.parse.urlencode({"username": "ana", "password": PASSWORDS["ana"][1], "csrf_token": token})
    status, _, _, cookie = _request(base, "POST", "/login", form, cookie)
    assert status == 302, f"login failed: {status}"

    def get(path: str) -> tuple[float, int, bytes]:
        t = time.perf_counter()
        status, _, body, _ = _request(base, "GET", path, cookie=cookie)
        return time.perf_counter() - t, status, body

    first_s, status, body = get("/queue")
    assert status == 200 and b"open alerts" in body, body[:300]
    open_alerts = int(re.search(rb"(\d+) of (\d+) open alerts", body).group(2))
    api = json.loads(get("/api/queue")[2])
    port_code = max(api["facets"]["port"], key=api["facets"]["port"].get)
    search = api["rows"][5]["house_document"][:6]
    shapes = {"default": "/queue", "outcome": "/queue?outcome=CONTROL_ON_ARRIVAL", "port": f"/queue?port={port_code}",
              "search": f"/queue?q={search}", "page_20": "/queue?page=20", "by_deadline": "/queue?sort=deadline",
              "rows_fragment": "/queue/rows"}
    timings = {}
    for shape, path in shapes.items():
        runs = [get(path)[0] for _ in range(args.repeat)]
        timings[shape] = {"p50_ms": round(statistics.median(runs) * 1000, 1), "max_ms": round(max(runs) * 1000, 1)}
    # The job commits a file at a checkpoint: the next queue request reads only that file.
    import pyarrow.parquet as pq

    one = next(store.glob("day=*/part-*"))
    extra = one.parent / "part-bench-new-0-0"
    pq.write_table(pq.read_table(one).slice(0, 1), extra)
    try:
        time.sleep(1.1)  # past the workbench's once-a-second listing
        after_commit_s = get("/queue")[0]
    finally:
        extra.unlink()
    case_runs = [get("/case/" + api["rows"][i]["subject"])[0] for i in range(min(5, len(api["rows"])))]
    server.close()
    import os

    result = {"benchmark": "workbench_queue", "at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "loadavg": os.getloadavg()},
              "assessments": count, "store_files": files, "open_alerts": open_alerts,
              "app_start_s": round(start_s, 2), "first_queue_ms": round(first_s * 1000, 1),
              "queue_after_a_commit_ms": round(after_commit_s * 1000, 1),
              "case_page_p50_ms": round(statistics.median(case_runs) * 1000, 1),
              "repeat": args.repeat, "queue": timings}
    print(json.dumps(result))
    if args.record:
        with open(RESULTS, "a") as f:
            f.write(json.dumps(result) + "\n")
    return 0


def _request(base, method: str, path: str, form: str | None = None, cookie: str = ""):
    """One HTTP request; (status, headers, body, the cookie to send next)."""
    import http.client

    conn = http.client.HTTPConnection(*base)
    headers = {"Cookie": cookie} if cookie else {}
    if form is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=form, headers=headers)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    set_cookie = response.headers.get_all("Set-Cookie") or []
    return response.status, response.headers, body, (set_cookie[0].split(";", 1)[0] if set_cookie else cookie)


if __name__ == "__main__":
    sys.exit(main())
