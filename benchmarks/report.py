"""One command for every number minigrad claims:

    python benchmarks/report.py                 # all families, 1 and 2 threads
    python benchmarks/report.py --quick         # small shapes, a few seconds (smoke test)
    python benchmarks/report.py --only pooling,gemm --threads 1 --plot report.png

For each case, minigrad, the NumPy expression of the same op and (when importable) torch CPU
run interleaved in one process after a warm-up; minigrad's result is checked against its
reference before any timing. Prints a Markdown table (median and min-max in ms, ratios,
GFLOP/s or GB/s against the machine's measured limits, and the goal a case is held to with
met / missed), then every goal of GOALS at t1 and t2, and writes the same as JSON.
"""
import argparse
import importlib
import json
import os
import pkgutil
import platform
import sys
import time
from dataclasses import dataclass
from fnmatch import fnmatchcase

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# benchmarks.common first: it bounds the OpenMP/OpenBLAS spin-waits, which only works before
# numpy (OpenBLAS) and the OpenMP runtime are loaded.
from benchmarks.common import run_case, set_threads, torch  # noqa: E402,I001
from benchmarks import cases as cases_pkg  # noqa: E402

import numpy as np  # noqa: E402

import minigrad  # noqa: E402

FAMILY_ORDER = ["gemm", "conv", "pooling", "activations", "overhead", "training", "epoch"]


@dataclass(frozen=True)
class Goal:
    """A target a case is held to (issue 14's table). `cases`: an fnmatch pattern on the case
    name (quick runs use other batch sizes); `kind`: "x torch" (torch's median over minigrad's,
    at least `value`) or "x copy" (minigrad's median over a plain copy of the same bytes timed
    alongside, the case's "copy" anchor, at most `value`); `threads`: where it applies."""
    family: str
    cases: str
    kind: str
    value: float
    threads: tuple = (1, 2)

    def text(self):
        return f"≥ {self.value:g}× torch" if self.kind == "x torch" else f"≤ {self.value:g}× copy"

    def measure(self, row):
        """The row's figure this goal reads, or None when it was not measured (no torch)."""
        if self.kind == "x torch":
            return row.get("vs_torch")
        return row["minigrad_ms"] / row["copy_ms"] if "copy_ms" in row else None

    def met(self, row):
        v = self.measure(row)
        if v is None:
            return None
        return v >= self.value if self.kind == "x torch" else v <= self.value


GOALS = [
    Goal("training", "LeNet-28 SGD step (batch *)", "x torch", 1.5),
    Goal("conv", "Conv2d *×1×28×28→16 5×5 p2 fwd", "x torch", 1.5),
    Goal("conv", "Conv2d *×1×28×28→16 5×5 p2 fwd+bwd", "x torch", 2.0),
    Goal("conv", "Conv2d *×16×14×14→32 5×5 p2 fwd", "x torch", 1.0),
    Goal("conv", "Conv2d *×16×14×14→32 5×5 p2 fwd+bwd", "x torch", 1.3),
    Goal("conv", "Conv2d *×32×16×16→64 3×3 p1 fwd", "x torch", 1.0),
    Goal("conv", "Conv2d *×32×16×16→64 3×3 p1 fwd+bwd", "x torch", 1.3),
    Goal("epoch", "digits epoch (*)", "x torch", 1.5),
    Goal("pooling", "MaxPool2d(2,2) fwd+bwd", "x torch", 8.0),
    Goal("pooling", "MaxPool2d(2,2) fwd", "x torch", 15.0),
    Goal("pooling", "MaxPool2d(2,2) fwd", "x copy", 1.25),
    Goal("pooling", "MaxPool2d(3,2,1) fwd", "x torch", 8.0),
    Goal("activations", "PReLU(1) fwd+bwd", "x torch", 5.0),
    Goal("activations", "LeakyReLU(0.01) fwd", "x torch", 1.0, threads=(2,)),
    Goal("activations", "Tanh fwd", "x torch", 5.0),
]


def goals_for(row):
    return [g for g in GOALS if g.family == row["family"] and fnmatchcase(row["case"], g.cases)
            and row["threads"] in g.threads]


def machine_info():
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    blas = []
    try:
        from threadpoolctl import threadpool_info
        blas = [f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')})"
                for i in threadpool_info() if i.get("user_api") == "blas"]
    except ImportError:
        blas = ["threadpoolctl not installed"]
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__,
            "numpy_blas": blas, "torch": getattr(torch, "__version__", None), "minigrad": minigrad.config()}


def machine_limits(threads, quick):
    """Measured copy bandwidth (GB/s, bytes read + written) and FMA peak (GFLOP/s) per thread count."""
    from minigrad._C import elementwise, probe
    n = (8 if quick else 64) * 2**20          # float32 elements: 32 MiB / 256 MiB per array
    x = np.ones(n, np.float32)
    y = np.zeros(n, np.float32)
    out = {}
    for t in threads:
        best = min(_timed(lambda: elementwise.axpy(1.0, x, y, t)) for _ in range(3 if quick else 5))
        iters = 2_000_000 if quick else 20_000_000
        probe.fma_loop(iters // 10, t)
        flops, isa, _ = probe.fma_loop(iters, t)
        dt = min(_timed(lambda: probe.fma_loop(iters, t)) for _ in range(3))
        out[t] = {"bandwidth_gbs": 3 * n * 4 / best / 1e9, "fma_peak_gflops": flops / dt / 1e9, "fma_isa": isa}
    return out


def _timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def load_families(only):
    names = [m.name for m in pkgutil.iter_modules(cases_pkg.__path__)]
    names = sorted(names, key=lambda n: (FAMILY_ORDER.index(n) if n in FAMILY_ORDER else 99, n))
    if only:
        unknown = set(only) - set(names)
        if unknown:
            raise SystemExit(f"--only: unknown families {sorted(unknown)}; have {names}")
        names = [n for n in names if n in only]
    return {n: importlib.import_module(f"benchmarks.cases.{n}") for n in names}


def run(args):
    threads = [int(t) for t in args.threads.split(",")]
    families = load_families([s for s in args.only.split(",") if s] if args.only else None)
    info = machine_info()
    limits = machine_limits(threads, args.quick)
    rows = []
    for fam, module in families.items():
        for t in threads:
            set_threads(t)
            for case in module.cases(quick=args.quick):
                if case.check is None:
                    raise RuntimeError(f"{fam}/{case.name}: a case must check minigrad against a reference")
                if (case.numpy is None) == (not case.no_numpy_twin):
                    raise RuntimeError(f"{fam}/{case.name}: a case needs a NumPy twin or, without one, a "
                                       f"no_numpy_twin reason (not both)")
                res = run_case(case, repeats=args.repeats, warmup=2)
                row = {"family": fam, "case": case.name, "threads": t, "checked": True,
                       **{f"{k}_ms": v[0] for k, v in res.items()},
                       **{f"{k}_range_ms": [v[1], v[2]] for k, v in res.items()}}
                mg = res["minigrad"][0]
                if "numpy" in res:
                    row["vs_numpy"] = res["numpy"][0] / mg
                if "torch" in res:
                    row["vs_torch"] = res["torch"][0] / mg
                if case.flops:
                    row["gflops"] = case.flops / (mg * 1e-3) / 1e9
                    row["frac_of_peak"] = row["gflops"] / limits[t]["fma_peak_gflops"]
                    if "numpy" in res:
                        row["numpy_gflops"] = case.flops / (res["numpy"][0] * 1e-3) / 1e9
                if case.bytes:
                    row["gbs"] = case.bytes / (mg * 1e-3) / 1e9
                    row["frac_of_bandwidth"] = row["gbs"] / limits[t]["bandwidth_gbs"]
                if case.no_numpy_twin:
                    row["no_numpy_twin"] = case.no_numpy_twin
                row.update(case.extra)
                row["goals"] = [{"goal": g.text(), "measured": g.measure(row), "met": g.met(row)}
                                for g in goals_for(row)]
                rows.append(row)
                if not args.json_only:
                    print(f"  {fam:12s} t{t} {case.name:44s} {mg:9.3f} ms", file=sys.stderr)
    return {"machine": info, "limits": limits, "rows": rows, "quick": args.quick}


def _fmt(v, spec=".2f"):
    return "–" if v is None else format(v, spec)


def markdown(report):
    m = report["machine"]
    out = [f"Machine: {m['cpu']}, {m['cores']} cores; Python {m['python']}; numpy {m['numpy']} "
           f"(BLAS: {', '.join(m['numpy_blas']) or 'unknown'}); torch {m['torch'] or 'not installed'}; "
           f"minigrad kernels: {m['minigrad'].get('kernels')}", ""]
    out.append("| threads | copy bandwidth GB/s | FMA peak GFLOP/s |")
    out.append("|---|---|---|")
    for t, lim in report["limits"].items():
        out.append(f"| {t} | {lim['bandwidth_gbs']:.1f} | {lim['fma_peak_gflops']:.0f} ({lim['fma_isa']}) |")
    out.append("")
    out.append("| family | case | t | minigrad ms (min–max) | numpy ms | torch ms | × numpy | × torch | "
               "throughput | of limit | goal | met |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in report["rows"]:
        lo, hi = r["minigrad_range_ms"]
        if "gflops" in r:
            thr, lim = f"{r['gflops']:.1f} GFLOP/s", f"{100 * r['frac_of_peak']:.0f}% peak"
        elif "gbs" in r:
            thr, lim = f"{r['gbs']:.1f} GB/s", f"{100 * r['frac_of_bandwidth']:.0f}% bw"
        else:
            thr, lim = "–", "–"
        numpy_ms = "no NumPy twin" if "no_numpy_twin" in r else _fmt(r.get("numpy_ms"), ".3f")
        goals = r.get("goals", [])
        out.append(f"| {r['family']} | {r['case']} | {r['threads']} | {r['minigrad_ms']:.3f} ({lo:.3f}–{hi:.3f}) | "
                   f"{numpy_ms} | {_fmt(r.get('torch_ms'), '.3f')} | "
                   f"{_fmt(r.get('vs_numpy'))} | {_fmt(r.get('vs_torch'))} | {thr} | {lim} | "
                   f"{'; '.join(g['goal'] for g in goals) or '–'} | "
                   f"{'; '.join(_met(g) for g in goals) or '–'} |")
    out.append("")
    out += goal_table(report["rows"])
    out.append("")
    out.append("× numpy / × torch: how many times faster minigrad is (their median time / minigrad's).")
    twinless = {r["case"]: r["no_numpy_twin"] for r in report["rows"] if "no_numpy_twin" in r}
    if twinless:
        out.append("No NumPy twin (torch only): " + "; ".join(f"{c}: {why}" for c, why in twinless.items()) + ".")
    return "\n".join(out)


_MET = {True: "met", False: "missed", None: "not measured"}


def _met(g):
    return _MET[g["met"]]


def goal_table(rows):
    """Every goal of GOALS with its measured figure and met/missed at t1 and t2 ("not run" when
    the report did not run that case at that thread count, e.g. with --only or --threads)."""
    out = ["Goals (issue 14): measured figure and met / missed per thread count.", "",
           "| goal | case | t1 | t2 |", "|---|---|---|---|"]
    for g in GOALS:
        cells = []
        for t in (1, 2):
            if t not in g.threads:
                cells.append("(no goal)")
                continue
            row = next((r for r in rows if r["family"] == g.family and r["threads"] == t
                        and fnmatchcase(r["case"], g.cases)), None)
            if row is None:
                cells.append("not run")
                continue
            v = g.measure(row)
            cells.append("not measured (no torch)" if v is None else f"{v:.2f}× {_MET[g.met(row)]}")
        out.append(f"| {g.text()} | {g.family}: {g.cases} | {cells[0]} | {cells[1]} |")
    return out


def plot(report, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no plot", file=sys.stderr)
        return
    rows = report["rows"]
    gemm = [r for r in rows if r["family"] == "gemm" and "size" in r]
    others = [r for r in rows if r["family"] != "gemm" and ("vs_torch" in r or "vs_numpy" in r)]
    fig, axes = plt.subplots(1, 2, figsize=(14, 5), gridspec_kw={"width_ratios": [1, 1.6]})
    for t in sorted({r["threads"] for r in gemm}):
        sel = sorted((r for r in gemm if r["threads"] == t), key=lambda r: r["size"])
        if not sel:
            continue
        sizes = [r["size"] for r in sel]
        axes[0].plot(sizes, [r["gflops"] for r in sel], "o-", label=f"minigrad t{t}")
        if all("numpy_gflops" in r for r in sel):
            axes[0].plot(sizes, [r["numpy_gflops"] for r in sel], "s--", label=f"numpy t{t}")
        if all("torch_ms" in r for r in sel):
            axes[0].plot(sizes, [r["gflops"] / r["vs_torch"] for r in sel], "^:", label=f"torch t{t}")   # same flops, torch time
    axes[0].set_xscale("log", base=2)
    axes[0].set_xlabel("n (n×n @ n×n, float32)")
    axes[0].set_ylabel("GFLOP/s")
    axes[0].set_title("GEMM throughput")
    axes[0].legend(fontsize=8)
    labels = [f"{r['case']} t{r['threads']}" for r in others]
    vals = [r.get("vs_torch", r.get("vs_numpy")) for r in others]
    axes[1].barh(range(len(vals)), vals, color=["tab:green" if v >= 1 else "tab:red" for v in vals])
    axes[1].set_yticks(range(len(vals)))
    axes[1].set_yticklabels(labels, fontsize=6)
    axes[1].axvline(1.0, color="k", lw=0.8)
    axes[1].set_xscale("log")
    axes[1].set_xlabel("speed-up of minigrad vs torch (vs NumPy where torch is absent)")
    axes[1].set_title("Kernels and layers")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"plot: {path}", file=sys.stderr)


def main(argv=None):
    ap = argparse.ArgumentParser(description="minigrad vs NumPy vs torch, side by side")
    ap.add_argument("--quick", action="store_true", help="small shapes and few repeats (seconds)")
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    ap.add_argument("--only", default="", help="comma-separated families, e.g. pooling,gemm")
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--json", default="benchmark_report.json", help="where to write the JSON report")
    ap.add_argument("--plot", default=None, help="write a PNG (needs matplotlib)")
    ap.add_argument("--json-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.repeats is None:
        args.repeats = 3 if args.quick else 15
    report = run(args)
    text = markdown(report)
    print(text)
    with open(args.json, "w") as f:
        json.dump(report, f, indent=1, default=str)
    if args.plot:
        plot(report, args.plot)
    return report


if __name__ == "__main__":
    main()
