"""Data quality of the input streams with Great Expectations: suites per stream, Data Docs, and
the per-day quality and drift report of an archive (docs/quality.md).

    ctx = QualityContext(docs_dir="out/quality/data_docs")   # GE ephemeral context, the 4 suites
    failures, result = ctx.validate("declarations", records, batch="2026-11-02")
    ctx.build_data_docs()                                      # HTML: index.html under docs_dir

    report = quality_report("archive/", "out/quality", reference_week="2026-11-02")

The suites are the JSON data contracts in schemas/expectations/ (built by
schemas/expectations/build.py); GE validates each batch's flat view
(transforms.expectations.flat_rows) and the failures come back in the same form as the live
job's fast evaluator gives them, transforms.expectations.expectation_failures:
[(record index, expectation name, detail)].
"""
from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

log = logging.getLogger("borderflow.quality")

SITE_NAME = "borderflow"
DEAD_LETTERS = "dead_letters"  # the tag of the replay's dead-letter output


# --- rejecting records of a batch (GE-free: the replay and the live job run this) ----------------------

def rejected_records(stream: str, records: list[dict], validate: bool = True) -> dict[int, tuple[str, str, tuple]]:
    """{record index: (error kind, reason, names of the failed expectations)} for the records of
    one batch that the live intake's
    validation (transforms/validation.py, when validate) or the stream's data contract
    (transforms.expectations) rejects. A record failing validation is reported as VALIDATION
    only; the reason of an EXPECTATION rejection names every expectation the record failed."""
    from transforms import intake, validation
    from transforms.expectations import EXPECTATION, describe_failures, expectation_failures, failures_by_record

    rejected: dict[int, tuple[str, str, tuple]] = {}
    if validate:
        check = validation.VALIDATORS[stream]
        for i, record in enumerate(records):
            try:
                check(record)
            except validation.ValidationError as exc:
                rejected[i] = (intake.VALIDATION, str(exc), ())
    for i, failed in failures_by_record(expectation_failures(stream, records)).items():
        rejected.setdefault(i, (EXPECTATION, describe_failures(failed), tuple(name for name, _ in failed)))
    return rejected


def record_dead_letter(stream: str, record: dict, error_kind: str, reason: str, received_at_ms: int) -> dict:
    """The DeadLetter of a decoded record (archives hold records, not the wire bytes): raw is the
    record single-object encoded in its stream's schema, or its repr when it cannot be encoded."""
    from schemas import codec
    from transforms import intake

    try:
        raw = codec.encode(codec.STREAM_SCHEMAS[stream], record)
    except Exception:  # a record too broken for its own schema: keep what it is, in words
        raw = repr(record).encode("utf-8", "backslashreplace")
    return intake.dead_letter(stream, raw, intake.RejectedInput(error_kind, reason), received_at_ms)


def _frame(stream: str, records: list[dict]):
    import pandas as pd

    from transforms.expectations import flat_rows

    rows = flat_rows(stream, records)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    # object columns with None for a missing value (not NaN), as the batch evaluator sees them
    return frame.astype(object).where(frame.notna(), None)


class QualityContext:
    """A GE ephemeral context with a pandas data source, one dataframe asset and suite per stream,
    and (when docs_dir is given) a local Data Docs site."""

    def __init__(self, docs_dir: str | Path | None = None):
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        import schemas.expectations.gx_custom  # noqa: F401  registers the ISO 6346 expectation
        from schemas.expectations import STREAMS, load_suite

        self._gx = gx
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.docs_dir = Path(docs_dir).resolve() if docs_dir else None
        if self.docs_dir is not None:
            self.context.add_data_docs_site(site_name=SITE_NAME, site_config={
                "class_name": "SiteBuilder",
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(self.docs_dir)},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            })
        source = self.context.data_sources.add_pandas("borderflow")
        self._definitions = {}
        for stream in STREAMS:
            asset = source.add_dataframe_asset(stream)
            batch = asset.add_batch_definition_whole_dataframe(f"{stream}_batch")
            suite = self.context.suites.add(gx.ExpectationSuite(**load_suite(stream)))
            self._definitions[stream] = (batch, suite)
        self._checkpoints: dict[tuple[str, str], Any] = {}

    def _checkpoint(self, stream: str, batch_name: str):
        key = (stream, batch_name)
        if key not in self._checkpoints:
            gx = self._gx
            batch, suite = self._definitions[stream]
            vd = self.context.validation_definitions.add(
                gx.ValidationDefinition(name=f"{stream}:{batch_name}", data=batch, suite=suite))
            actions = []
            if self.docs_dir is not None:
                actions.append(gx.checkpoint.UpdateDataDocsAction(name="data_docs", site_names=[SITE_NAME]))
            self._checkpoints[key] = self.context.checkpoints.add(gx.Checkpoint(
                name=f"{stream}:{batch_name}", validation_definitions=[vd], actions=actions,
                result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["record_index"]}))
        return self._checkpoints[key]

    def validate(self, stream: str, records: list[dict], batch: str = "batch"):
        """GE-validate one batch; returns (failures as expectation_failures gives them, the GE
        ExpectationSuiteValidationResult)."""
        from great_expectations.core.run_identifier import RunIdentifier

        frame = _frame(stream, records)
        # the run name labels the result in Data Docs (Validations / <suite> / <run name>)
        run = self._checkpoint(stream, batch).run(batch_parameters={"dataframe": frame},
                                                  run_id=RunIdentifier(run_name=f"{stream} {batch}"))
        result = next(iter(run.run_results.values()))
        return failures_from_result(stream, result, frame), result

    def build_data_docs(self) -> Path | None:
        """Rebuild the Data Docs site; returns its index.html (None without a docs_dir)."""
        if self.docs_dir is None:
            return None
        self.context.build_data_docs(site_names=[SITE_NAME])
        return self.docs_dir / "index.html"


def failures_from_result(stream: str, result, frame) -> list[tuple[int, str, str]]:
    """[(record index, expectation name, detail)] from a GE validation result, each pair once."""
    seen, out = set(), []
    for r in result.results:
        if r.success:
            continue
        config = r.expectation_config
        name = (config.meta or {}).get("name") or config.type
        rule = config.description or config.type
        if r.exception_info and r.exception_info.get("raised_exception"):
            detail = f"{rule}: GE raised {r.exception_info.get('exception_message')}"
            indices = range(int(frame["record_index"].max()) + 1) if len(frame) else []
        else:
            entries = (r.result or {}).get("unexpected_index_list") or []
            indices = []
            for e in entries:
                indices.append(int(e["record_index"]) if isinstance(e, dict) else int(frame["record_index"].iloc[e]))
            detail = rule
        for i in indices:
            if (i, name) not in seen:
                seen.add((i, name))
                out.append((i, name, detail))
    out.sort(key=lambda f: f[0])
    return out


# --- drift --------------------------------------------------------------------------------------------

PSI_MODERATE, PSI_SIGNIFICANT = 0.1, 0.25  # the usual reading of the population stability index
_PSI_FLOOR = 1e-4  # share given to an empty bin, so that log(0) never happens
TOP_CATEGORIES = 15  # categorical PSI: the reference's top categories, the rest pooled as "other"
# Goods items a day needs, per metric, for its PSI to mean anything: with 10 bins, a handful of
# items gives PSI 8 on a day that is no different (one declaration read as "significant" drift).
MIN_DRIFT_SAMPLE = 100
REFERENCE_DAYS = 7


def psi_continuous(reference: list[float], current: list[float], bins: int = 10) -> float | None:
    """Population stability index of `current` against `reference`, on the reference's quantile bins."""
    import numpy as np

    ref, cur = np.asarray(reference, float), np.asarray(current, float)
    if len(ref) < bins or len(cur) == 0:
        return None
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))
    r = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=len(edges) + 1) / len(ref)
    c = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=len(edges) + 1) / len(cur)
    return _psi(r, c)


def psi_categorical(reference: list[str], current: list[str]) -> float | None:
    """PSI over the reference's top categories plus "other"."""
    import numpy as np
    from collections import Counter

    if not reference or not current:
        return None
    top = [k for k, _ in Counter(reference).most_common(TOP_CATEGORIES)]
    index = {k: n for n, k in enumerate(top)}

    def shares(values):
        counts = np.zeros(len(top) + 1)
        for v in values:
            counts[index.get(v, len(top))] += 1
        return counts / len(values)

    return _psi(shares(reference), shares(current))


def _psi(r, c) -> float:
    import numpy as np

    r, c = np.maximum(r, _PSI_FLOOR), np.maximum(c, _PSI_FLOOR)
    return float(np.sum((c - r) * np.log(c / r)))


def ks_statistic(reference: list[float], current: list[float]) -> tuple[float, float] | tuple[None, None]:
    """Two-sample Kolmogorov-Smirnov statistic and p-value (scipy)."""
    from scipy.stats import ks_2samp

    if not reference or not current:
        return None, None
    res = ks_2samp(reference, current)
    return float(res.statistic), float(res.pvalue)


#: The distributions watched for drift: name -> (kind, how to take it from a declaration's goods item).
DRIFT_METRICS = {
    "value": "continuous",  # declared value of a goods item (its own currency)
    "gross_mass_kg": "continuous",
    "hs_chapter": "categorical",  # first two digits of the HS code
    "origin_country": "categorical",
}


def goods_distributions(declarations: list[dict]) -> dict[str, list]:
    """The DRIFT_METRICS samples of a list of declarations (FILING and AMENDMENT goods items)."""
    out: dict[str, list] = {k: [] for k in DRIFT_METRICS}
    for d in declarations:
        if d.get("message_type") == "INVALIDATION":
            continue
        for g in d.get("goods") or []:
            out["value"].append(float(g["value"]))
            out["gross_mass_kg"].append(float(g["gross_mass_kg"]))
            out["hs_chapter"].append(str(g["hs_code"])[:2])
            out["origin_country"].append(g["origin_country"])
    return out


def drift(reference: dict[str, list], current: dict[str, list]) -> dict[str, dict]:
    """{metric: {"psi", "ks", "ks_pvalue", "n", "level"}} of current against reference."""
    out = {}
    for name, kind in DRIFT_METRICS.items():
        ref, cur = reference[name], current[name]
        if kind == "continuous":
            psi = psi_continuous(ref, cur)
            ks, p = ks_statistic(ref, cur)
        else:
            psi, (ks, p) = psi_categorical(ref, cur), (None, None)
        if psi is None:
            level = None
        elif min(len(ref), len(cur)) < MIN_DRIFT_SAMPLE:
            level = "too few"  # reported, never flagged
        else:
            level = "significant" if psi >= PSI_SIGNIFICANT else "moderate" if psi >= PSI_MODERATE else "stable"
        out[name] = {"psi": psi, "ks": ks, "ks_pvalue": p, "n": len(cur), "level": level}
    return out


# --- the report -----------------------------------------------------------------------------------------

def _read_day(archive_dir, stream: str, day: str, unreadable: dict | None = None) -> list[dict]:
    """The day's records of a stream; damaged stretches of its files are left out and described
    in `unreadable` ({description: bytes skipped})."""
    from borderflow.avro_files import read_records
    from pipelines import archive as arc

    out = []
    for f in arc.archive_files(archive_dir, day, day, [stream]):
        records, damage = read_records(f.path)
        out += records
        for u in damage:
            if unreadable is not None and u.describe() not in unreadable:
                log.warning("quality: %s", u.describe())
                unreadable[u.describe()] = len(u.raw)
    return out


def reference_and_compared_days(all_days: list[str], days: list[str], reference_week=None,
                                day_from=None) -> tuple[list[str], list[str]]:
    """(reference days, days whose drift is measured). The reference is the week from
    `reference_week`, else the week before `day_from`, else the archive's first week; drift is
    measured on the reported days outside the reference only (a day is never compared with itself)."""
    import datetime as dt

    from pipelines import archive as arc

    if reference_week is not None:
        start = arc.as_day(reference_week)
    elif day_from is not None:
        start = arc.as_day(day_from) - dt.timedelta(days=REFERENCE_DAYS)
    else:
        start = arc.as_day(all_days[0])  # the first day with declarations (the caller's all_days)
    reference = [(start + dt.timedelta(days=i)).isoformat() for i in range(REFERENCE_DAYS)]
    return reference, [d for d in days if d not in reference]


def quality_report(archive_dir, out_dir, reference_week=None, day_from=None, day_to=None,
                   data_docs: bool = True) -> dict:
    """Data quality per stream and day, and drift of the declarations' main distributions against a
    reference week before the days compared (reference_and_compared_days), for the days of an archive. Writes to out_dir: quality.md, quality.json,
    failures_per_day.png, drift_psi.png, distributions.png, and (data_docs) the GE Data Docs site
    data_docs/index.html with one validation per stream and day. Returns the quality.json dict."""
    import json
    import time

    from pipelines import archive as arc
    from schemas.expectations import STREAMS
    from transforms.expectations import expectation_failures, failures_by_record

    all_days = arc.archive_days(archive_dir)
    if not all_days:
        raise FileNotFoundError(f"no archive partitions in {archive_dir}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    days = [d.isoformat() for d in arc.days_between(day_from or all_days[0], day_to or all_days[-1])]
    ref_days, compared = reference_and_compared_days(arc.archive_days(archive_dir, ["declarations"]) or all_days,
                                                     days, reference_week, day_from)
    started = time.perf_counter()
    if data_docs:
        log.info("quality: starting Great Expectations (about 10 s; --no-data-docs skips it)")
    ge = QualityContext(docs_dir=out / "data_docs") if data_docs else None

    unreadable: dict[str, int] = {}
    quality: dict[str, dict[str, dict]] = {s: {} for s in STREAMS}
    for stream in STREAMS:
        log.info("quality: %s, %d day(s)%s", stream, len(days), " (with Great Expectations)" if ge else "")
        last_note = time.perf_counter()
        for n, day in enumerate(days, 1):
            if time.perf_counter() - last_note > 10:  # a line every 10 s or so: GE takes about 1 s a batch
                log.info("quality: %s, day %d of %d (%s)", stream, n, len(days), day)
                last_note = time.perf_counter()
            records = _read_day(archive_dir, stream, day, unreadable)
            if not records:
                continue
            failures = expectation_failures(stream, records)
            by_expectation: dict[str, int] = {}
            for _, name, _ in failures:
                by_expectation[name] = by_expectation.get(name, 0) + 1
            row = {"records": len(records), "failed_records": len(failures_by_record(failures)),
                   "failures_by_expectation": dict(sorted(by_expectation.items()))}
            if ge is not None:
                ge_failures, result = ge.validate(stream, records, batch=day)
                row["ge_success"] = bool(result.success)
                row["ge_agrees"] = {(i, n) for i, n, _ in ge_failures} == {(i, n) for i, n, _ in failures}
            quality[stream][day] = row

    reference_decls = [r for d in ref_days for r in _read_day(archive_dir, "declarations", d, unreadable)]
    reference = goods_distributions(reference_decls)
    log.info("quality: drift of %d day(s) against %s..%s (%d goods items)", len(compared), ref_days[0], ref_days[-1],
             len(reference["value"]))
    if len(reference["value"]) < MIN_DRIFT_SAMPLE:
        log.warning("quality: the reference week %s..%s holds %d goods items, fewer than %d: drift is not judged "
                    "(--reference-week picks another)", ref_days[0], ref_days[-1], len(reference["value"]),
                    MIN_DRIFT_SAMPLE)
    drift_by_day = {}
    for day in compared:
        current = goods_distributions(_read_day(archive_dir, "declarations", day, unreadable))
        if any(current.values()) and any(reference.values()):
            drift_by_day[day] = drift(reference, current)
    if ge is not None:
        log.info("quality: building the Data Docs")
    docs_index = ge.build_data_docs() if ge is not None else None

    report = {
        "archive": str(archive_dir), "days": days, "reference_week": [ref_days[0], ref_days[-1]],
        "reference_goods_items": len(reference["value"]), "min_drift_sample": MIN_DRIFT_SAMPLE,
        "unreadable": unreadable, "quality": quality, "drift": drift_by_day,
        "data_docs": str(docs_index) if docs_index else None, "seconds": round(time.perf_counter() - started, 1),
    }
    (out / "quality.json").write_text(json.dumps(report, indent=2) + "\n")
    charts = _charts(report, reference, archive_dir, out)
    (out / "quality.md").write_text(_markdown(report, charts))
    return report


def _charts(report: dict, reference: dict, archive_dir, out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    names = []
    days = report["days"]
    fig, ax = plt.subplots(figsize=(8, 3.5))
    for stream, by_day in report["quality"].items():
        xs = [d for d in days if d in by_day]
        ax.plot(xs, [100 * by_day[d]["failed_records"] / by_day[d]["records"] for d in xs], marker="o", label=stream)
    ax.set_ylabel("records failing an expectation (%)")
    ax.set_title("Data-contract failures per stream and day")
    ax.legend(fontsize=8)
    ax.tick_params(axis="x", rotation=45, labelsize=7)
    fig.tight_layout()
    fig.savefig(out / "failures_per_day.png", dpi=100)
    plt.close(fig)
    names.append("failures_per_day.png")

    fig, ax = plt.subplots(figsize=(8, 3.5))

    def measured(d, metric):  # a day with too few goods items has no meaningful PSI: a gap, not a spike
        v = report["drift"][d][metric]
        return v["psi"] if v["level"] not in (None, "too few") else float("nan")

    compared = [d for d in days if d in report["drift"]]
    xs = [d for d in compared if any(measured(d, m) == measured(d, m) for m in DRIFT_METRICS)]  # not all NaN
    for metric in DRIFT_METRICS:
        ax.plot(xs, [measured(d, metric) for d in xs], marker="o", label=metric)
    ax.axhline(PSI_MODERATE, color="orange", linestyle="--", linewidth=1)
    ax.axhline(PSI_SIGNIFICANT, color="red", linestyle="--", linewidth=1)
    ax.set_ylabel("PSI vs reference week")
    left_out = len(compared) - len(xs)
    ax.set_title(f"Drift of declared goods against {report['reference_week'][0]}..{report['reference_week'][1]}"
                 + (f"\n({left_out} day(s) with fewer than {report['min_drift_sample']} goods items not shown)"
                    if left_out else ""), fontsize=10)
    ax.legend(fontsize=8)
    ax.tick_params(axis="x", rotation=45, labelsize=7)
    fig.tight_layout()
    fig.savefig(out / "drift_psi.png", dpi=100)
    plt.close(fig)
    names.append("drift_psi.png")

    if xs:
        worst = max(xs, key=lambda d: max((v if v == v else 0) for v in (measured(d, m) for m in DRIFT_METRICS)))
        current = goods_distributions(_read_day(archive_dir, "declarations", worst))
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
        for ax, metric in zip(axes, ("value", "gross_mass_kg")):
            ref, cur = np.asarray(reference[metric]), np.asarray(current[metric])
            lo, hi = max(min(ref.min(), cur.min()), 1e-3), max(ref.max(), cur.max())
            bins = np.logspace(np.log10(lo), np.log10(hi), 40)
            ax.hist(ref, bins=bins, density=True, alpha=0.5, label="reference week")
            ax.hist(cur, bins=bins, density=True, alpha=0.5, label=worst)
            ax.set_xscale("log")
            ax.set_title(metric)
            ax.legend(fontsize=7)
        fig.suptitle(f"Distributions: reference week vs {worst} (the day of largest PSI)", fontsize=9)
        fig.tight_layout()
        fig.savefig(out / "distributions.png", dpi=100)
        plt.close(fig)
        names.append("distributions.png")
    return names


def _fmt(v, spec=".3f"):
    return "–" if v is None else format(v, spec)


def _markdown(report: dict, charts: list[str]) -> str:
    lines = [f"# Data quality of {report['archive']}", "",
             f"Days {report['days'][0]}..{report['days'][-1]}; reference week {report['reference_week'][0]}.."
             f"{report['reference_week'][1]} ({report['reference_goods_items']} goods items). "
             "Expectations: the data contracts in schemas/expectations/ (docs/quality.md).", ""]
    if report["unreadable"]:
        lines += ["Unreadable stretches of archive files (left out of every figure below):", ""]
        lines += [f"- {what} ({n} bytes)" for what, n in report["unreadable"].items()] + [""]
    if report["data_docs"]:
        lines += [f"Great Expectations Data Docs: `{report['data_docs']}`", ""]
    lines += ["## Quality per stream and day", "",
              "| stream | day | records | failing | % | GE agrees | top failed expectations |",
              "| --- | --- | ---: | ---: | ---: | --- | --- |"]
    for stream, by_day in report["quality"].items():
        for day, row in by_day.items():
            top = sorted(row["failures_by_expectation"].items(), key=lambda kv: -kv[1])[:3]
            agrees = {True: "yes", False: "**no**"}.get(row.get("ge_agrees"), "–")
            lines.append(f"| {stream} | {day} | {row['records']} | {row['failed_records']} | "
                         f"{100 * row['failed_records'] / row['records']:.2f} | {agrees} | "
                         + (", ".join(f"{n} ({c})" for n, c in top) or "–") + " |")
    lines += ["", "## Drift of declared goods against the reference week", "",
              f"PSI: below {PSI_MODERATE} stable, {PSI_MODERATE}–{PSI_SIGNIFICANT} moderate, above {PSI_SIGNIFICANT} "
              "significant. KS: two-sample Kolmogorov–Smirnov statistic (continuous metrics). "
              f"A day with fewer than {report['min_drift_sample']} goods items is not judged (\"too few\"): "
              "its PSI is shown but never flagged. The days of the reference week are not compared.", "",
              "| day | " + " | ".join(f"{m} PSI" for m in DRIFT_METRICS) + " | value KS | mass KS | flagged |",
              "| --- | " + " | ".join("---:" for _ in DRIFT_METRICS) + " | ---: | ---: | --- |"]
    for day, d in report["drift"].items():
        flagged = [m for m in DRIFT_METRICS if d[m]["level"] in ("moderate", "significant")]
        lines.append(f"| {day} | " + " | ".join(_fmt(d[m]["psi"]) + (f" (too few: {d[m]['n']})" if d[m]["level"] == "too few"
                                                                       else "") for m in DRIFT_METRICS)
                     + f" | {_fmt(d['value']['ks'])} | {_fmt(d['gross_mass_kg']['ks'])} | "
                     + (", ".join(f"{m} ({d[m]['level']})" for m in flagged) or "–") + " |")
    lines.append("")
    lines += [f"![{c}]({c})" for c in charts]
    return "\n".join(lines) + "\n"
