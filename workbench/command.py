"""`borderflow workbench`: serve the analysts' workbench (docs/workbench.md).

    borderflow workbench --store out/run                         an embedded run's output (make run)
    borderflow workbench --live                                  the local stack: its store, broker, Flink
    borderflow workbench --store DIR [--host 127.0.0.1] [--port 8088] [--users FILE]
                         [--bootstrap-servers HOST:PORT] [--flink-url URL] [--grafana-url URL]
                         [--archive DIR] [--traffic DIR] [--data-dir DIR]
"""
from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

EXAMPLE_USERS = Path(__file__).resolve().parent / "users.example.yaml"
log = logging.getLogger("borderflow.workbench")


def cmd_workbench(args) -> int:
    from workbench.auth import ConfigError
    from workbench.server import WorkbenchConfig, create_app

    store, broker, flink = args.store, args.bootstrap_servers, args.flink_url
    if args.live:
        from borderflow.cluster import ROOT, bootstrap_servers, rest_url, stack_env

        try:
            env = stack_env()
        except RuntimeError as exc:
            print(f"borderflow workbench: {exc}", file=sys.stderr)
            return 2
        store = store or str(ROOT / env["BF_RUN_DIR"] / "assessment-store")  # where `submit` writes it
        broker, flink = broker or bootstrap_servers(env), flink or rest_url(env)
        Path(store).mkdir(parents=True, exist_ok=True)  # the job creates it at its first commit
    if not store:
        print("borderflow workbench: give --store DIR (a Parquet store or an embedded run's folder) or --live",
              file=sys.stderr)
        return 2
    users = args.users or os.environ.get("BF_WORKBENCH_USERS") or str(EXAMPLE_USERS)
    secret = Path(args.secret_key_file).read_text().strip() if args.secret_key_file else None
    config = WorkbenchConfig(store=store, users_file=users, data_dir=args.data_dir, traffic=args.traffic,
                             bootstrap_servers=broker, archive=args.archive, flink_url=flink,
                             grafana_url=args.grafana_url, secret_key=secret, poll_seconds=args.poll_seconds)
    try:
        app = create_app(config)
    except (FileNotFoundError, ConfigError) as exc:
        print(f"borderflow workbench: {exc}", file=sys.stderr)
        return 2
    if Path(users).resolve() == EXAMPLE_USERS:
        print("borderflow workbench: using the example users file (demo passwords, docs/workbench.md); "
              "give --users FILE for real use", file=sys.stderr)
    from waitress import serve

    logging.getLogger("borderflow.workbench").setLevel(logging.INFO)
    print(f"workbench on http://{args.host}:{args.port}/ (store {store}; broker {broker or 'none'})", flush=True)
    serve(app, host=args.host, port=args.port, threads=8, ident="borderflow-workbench")
    return 0


def _port(text: str) -> int:
    import argparse

    if not text.isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"expected a TCP port 1-65535, got {text!r}")
    return int(text)


def add_workbench_command(subparsers) -> None:
    """Register `workbench` on the CLI's subparsers (borderflow/cli.py)."""
    p = subparsers.add_parser("workbench", help="serve the analysts' workbench (alert queue, cases, feedback)")
    p.add_argument("--store", help="Parquet assessment store, or an embedded run's output folder (out/run)")
    p.add_argument("--live", action="store_true",
                   help="the local stack: its assessment store, broker and Flink dashboard (infra/stack.env)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=_port, default=8088)
    p.add_argument("--users", help="users file with roles and password hashes (default: $BF_WORKBENCH_USERS, "
                                   "else the example workbench/users.example.yaml)")
    p.add_argument("--bootstrap-servers", help="broker: topics read for cases, control results published")
    p.add_argument("--flink-url", help="Flink REST/dashboard URL for the health page")
    p.add_argument("--grafana-url", help="Grafana URL for the health page")
    p.add_argument("--archive", help="archive for backtests (borderflow archive)")
    p.add_argument("--traffic", help="traffic folder for declarations, manifests, events (default: STORE/traffic)")
    p.add_argument("--data-dir", default=".cache/workbench", help="outbox, audit log and backtest reports")
    p.add_argument("--secret-key-file", help="session signing key (default: random per start)")
    p.add_argument("--poll-seconds", type=float, default=5.0, help="how often the queue page asks for new alerts")
    p.set_defaults(func=cmd_workbench)
