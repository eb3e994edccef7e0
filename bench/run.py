#!/usr/bin/env python
"""Benchmark tasklets against greenlet, gevent and PyPy's stackless.

    python bench/run.py            # full run, writes bench/results/results.*
    python bench/run.py --quick    # smaller sizes, bench/results/quick/

Runs every workload (bench/workloads.py) for every implementation that
imports in this interpreter (bench/impls.py), the implementations
interleaved in one child process per workload; then memory per blocked
tasklet (bench/memory.py, one fresh process per measurement) and, on
CPython with valgrind installed, instructions per operation
(bench/icount.py).  Writes results.json, results.md and PNG charts
(matplotlib, if it imports) and prints the tables.  It installs nothing:
see bench/requirements.txt.
"""
import argparse
import concurrent.futures
import datetime
import json
import os
import platform
import shlex
import signal
import subprocess
import sys
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
sys.path.insert(0, BENCH)

import icount  # noqa: E402
import impls  # noqa: E402
import workloads  # noqa: E402

WORKLOADS_PY = os.path.join(BENCH, "workloads.py")
MEMORY_PY = os.path.join(BENCH, "memory.py")
DEFAULT_OUT = os.path.join(BENCH, "results")
GIB = 1 << 30

IMPL_LABEL = {
    "tasklets": "tasklets",
    "greenlet": "greenlet",
    "greenlet-chan": "greenlet-chan",
    "gevent": "gevent",
    "pypy-stackless": "pypy-stackless",
}

# Targets of issue 6.  "interp" says on which interpreter a target applies;
# the CPython ones are stated for 3.11.
def _x_greenlet(id_, workload, ratio, what, greenlet_rate):
    """A CPython target: tasklets' rate >= ratio x greenlet's."""
    return {"id": id_, "workload": workload, "ref": "greenlet",
            "min_ratio": float(ratio), "interp": "CPython",
            "text": "%s >= %dx greenlet's %s rate" % (what, ratio,
                                                      greenlet_rate)}


TARGETS = [
    _x_greenlet("pingpong_x_greenlet", "channel_pingpong", 2,
                "channel ping-pong", "switch-pair"),
    _x_greenlet("rr2_x_greenlet", "schedule_rr_2", 2,
                "schedule() round robin, 2 tasklets,", "switch"),
    _x_greenlet("rr100_x_greenlet", "schedule_rr_100", 2,
                "schedule() round robin, 100 tasklets,", "switch"),
    _x_greenlet("rr10000_x_greenlet", "schedule_rr_10000", 2,
                "schedule() round robin, 10^4 tasklets,", "switch"),
    _x_greenlet("crf_x_greenlet", "create_run_finish", 4,
                "create-run-finish", "create-switch-finish"),
    {"id": "mem_1e5", "memory_n": 100000, "max_bytes_per_tasklet": 2048,
     "interp": "CPython",
     "text": "<= 2 KiB RSS per tasklet blocked on receive (10^5)"},
    {"id": "mem_1e6", "memory_n": 1000000, "max_total_hwm": 2 * GIB,
     "interp": "CPython",
     "text": "10^6 blocked tasklets within 2 GiB total (peak RSS of the "
             "process)"},
    {"id": "pypy_pingpong_x_stackless", "workload": "channel_pingpong",
     "ref": "pypy-stackless", "min_ratio": 1.5, "interp": "PyPy",
     "text": "PyPy: channel ping-pong >= 1.5x PyPy's own stackless"},
]


# {======================================================================
# Machine facts
# ======================================================================

def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def _cpuinfo():
    model = None
    ncpu = 0
    flags = ""
    for line in _read("/proc/cpuinfo").splitlines():
        if line.startswith("model name") and model is None:
            model = line.split(":", 1)[1].strip()
        elif line.startswith("processor"):
            ncpu += 1
        elif line.startswith("flags") and not flags:
            flags = line
    return model, ncpu, " hypervisor" in flags


def _meminfo(key):
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    return None


def _os_release():
    for line in _read("/etc/os-release").splitlines():
        if line.startswith("PRETTY_NAME="):
            return line.split("=", 1)[1].strip('"')
    return None


def _git(*args):
    try:
        return subprocess.run(["git", "-C", impls.TASKLETS_PATH] + list(args),
                              stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL,
                              universal_newlines=True).stdout.rstrip()
    except OSError:
        return None


def _pkg_version(dist):
    try:
        from importlib import metadata
        return metadata.version(dist)
    except Exception:
        return None


def machine_info(descs):
    model, ncpu, hyper = _cpuinfo()
    product = _read("/sys/class/dmi/id/product_name").strip() or None
    dirty = _git("status", "--porcelain", "--", "core", "cpython_ext",
                 "arch", "tasklets", "cffi_build", "pypy", "setup.py")
    build = impls.tasklets_build_id()
    ext = build[0] if build else None
    info = {
        "date_utc": datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"),
        "cpu_model": model,
        "cpus": ncpu,
        "virtualized": hyper,
        "dmi_product": product,
        "kernel": platform.release(),
        "os": _os_release(),
        "mem_total": _meminfo("MemTotal"),
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "python_full": sys.version.replace("\n", " "),
        "python_executable": sys.executable,
        "pypy_version": ".".join(map(str, sys.pypy_version_info[:3]))
        if hasattr(sys, "pypy_version_info") else None,
        "versions": {name: d["version"] for name, d in descs.items()},
        "matplotlib": _pkg_version("matplotlib"),
        "cffi": _pkg_version("cffi"),
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        "git_dirty_sources": dirty.splitlines() if dirty else [],
        "tasklets_path": impls.TASKLETS_PATH,
        "tasklets_build": build,
        "tasklets_extension": ext,
        "tasklets_extension_mtime": time.strftime(
            "%Y-%m-%d %H:%M:%S", time.localtime(os.path.getmtime(ext)))
        if ext and os.path.exists(ext) else None,
        "loadavg_start": _read("/proc/loadavg").split()[:3],
        "command": " ".join(shlex.quote(a) for a in
                            [sys.executable] + sys.argv),
    }
    return info


# {======================================================================
# Child processes
# ======================================================================

def _run(cmd, timeout):
    """(returncode or 'timeout', stdout, stderr)."""
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        out = e.stdout or ""
        err = e.stderr or ""
        if isinstance(out, bytes):
            out = out.decode("utf-8", "replace")
        if isinstance(err, bytes):
            err = err.decode("utf-8", "replace")
        return "timeout", out, err


def _last_json(text):
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                return None
    return None


def _describe_exit(rc):
    if rc == "timeout":
        return "timed out"
    if isinstance(rc, int) and rc < 0:
        try:
            return "killed by %s" % signal.Signals(-rc).name
        except ValueError:
            return "killed by signal %d" % -rc
    return "exit status %s" % rc


def _relcmd(cmd):
    out = []
    for a in cmd:
        if a.startswith(REPO + os.sep):
            a = os.path.relpath(a, REPO)
        out.append(shlex.quote(a))
    return " ".join(out)


def time_workload(w, names, n, repeats, timeout):
    """Run one workload in a child; isolate the culprit if it crashes."""
    def cmd_for(ns, reps):
        return [sys.executable, WORKLOADS_PY, "time", w.name, "--n", str(n),
                "--repeats", str(reps), "--impls", ",".join(ns)]

    cmd = cmd_for(names, repeats)
    rc, out, err = _run(cmd, timeout)
    data = _last_json(out) if rc == 0 else None
    if data is not None:
        return data["results"], data.get("tasklets_build")
    # The child crashed or hung: find which implementation does it.
    sys.stderr.write("  child %s; running each implementation alone\n"
                     % _describe_exit(rc))
    results = {}
    build = None
    good = []
    for name in names:
        c = cmd_for([name], 1)
        rc1, out1, err1 = _run(c, timeout)
        d = _last_json(out1) if rc1 == 0 else None
        if d is None:
            results[name] = {
                "error": "child %s" % _describe_exit(rc1),
                "reproducer": "cd %s && %s" % (REPO, _relcmd(c)),
                "stderr_tail": err1[-3000:],
            }
            sys.stderr.write("  %s: %s\n" % (name, results[name]["error"]))
        else:
            good.append(name)
    if good:
        rc2, out2, err2 = _run(cmd_for(good, repeats), timeout)
        d = _last_json(out2) if rc2 == 0 else None
        if d is not None:
            results.update(d["results"])
            build = d.get("tasklets_build")
        else:
            for name in good:
                results[name] = {
                    "error": "child %s when run with the others"
                             % _describe_exit(rc2),
                    "reproducer": "cd %s && %s" % (REPO,
                                                   _relcmd(cmd_for(good, 1))),
                    "stderr_tail": err2[-3000:]}
    if not any(r.get("error") for r in results.values()):
        # everything passes alone: the crash needs the combination
        for name in names:
            results.setdefault(name, {})["notes"] = (
                results.get(name, {}).get("notes", []) +
                ["the combined run crashed (%s); alone it passes"
                 % _describe_exit(rc)])
    return results, build


def summarize(raw):
    out = {}
    for name, r in raw.items():
        s = {"error": r.get("error"), "notes": r.get("notes") or []}
        for k in ("reproducer", "stderr_tail"):
            if r.get(k):
                s[k] = r[k]
        times = r.get("times_s") or []
        if times and r.get("ops") and not r.get("error"):
            ops = r["ops"]
            st = sorted(times)
            med = st[len(st) // 2] if len(st) % 2 else \
                (st[len(st) // 2 - 1] + st[len(st) // 2]) / 2
            s.update({"ops": ops, "times_s": times, "best_s": st[0],
                      "ops_per_s": ops / st[0],
                      "median_ops_per_s": ops / med,
                      "spread": st[-1] / st[0]})
            cpu = r.get("cpu_s") or []
            if cpu and min(cpu) > 0:
                s.update({"cpu_s": cpu, "best_cpu_s": min(cpu),
                          "cpu_ops_per_s": ops / min(cpu)})
        elif times and r.get("error"):
            s["times_s"] = times
        out[name] = s
    return out


# {======================================================================
# Memory
# ======================================================================

def run_memory(impl, n, timeout):
    avail = _meminfo("MemAvailable") or 0
    cap = int(avail * 0.7)
    cmd = [sys.executable, MEMORY_PY, impl, str(n), "--cap", str(cap)]
    rc, out, err = _run(cmd, timeout)
    d = _last_json(out) if rc == 0 else None
    if d is None:
        return {"impl": impl, "n": n,
                "error": "child %s" % _describe_exit(rc),
                "reproducer": "cd %s && %s" % (REPO, _relcmd(cmd)),
                "stderr_tail": err[-3000:]}
    d["cap"] = cap
    return d


# {======================================================================
# Formatting
# ======================================================================

def fmt_rate(x):
    if x is None:
        return ""
    for div, suf in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if x >= div:
            return "%.3g %s" % (x / div, suf)
    return "%.3g" % x


def fmt_ratio(x):
    return "" if x is None else "%.2fx" % x


def fmt_bytes(x):
    if x is None:
        return ""
    for div, suf in ((GIB, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if abs(x) >= div:
            return "%.2f %s" % (x / float(div), suf)
    return "%d B" % x


def _cell(r, fmt):
    """A table cell for result r: empty, an error mark, or fmt(r)."""
    if r is None:
        return ""
    if r.get("error"):
        return "**error**"
    return fmt(r)


def md_table(header, rows, align=None):
    align = align or ["l"] + ["r"] * (len(header) - 1)
    sep = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(sep) + " |"]
    for r in rows:
        lines.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(lines)


# {======================================================================
# Evaluation
# ======================================================================

def interp_name():
    return "PyPy" if impls.IS_PYPY else "CPython"


def _median(xs):
    xs = sorted(xs)
    k = len(xs) // 2
    return xs[k] if len(xs) % 2 else (xs[k - 1] + xs[k]) / 2.0


def compute_ratios(wres, w):
    """({ref: best tasklets ops/s / best ref ops/s},
        {ref: median over the repeats of the ratio within each repeat},
        {ref: the first, on CPU time instead of the wall clock})."""
    ratios = {}
    paired = {}
    cpu = {}
    t = wres.get("tasklets", {})
    for ref in w.ratio_to:
        r = wres.get(ref, {})
        if t.get("ops_per_s") and r.get("ops_per_s"):
            ratios[ref] = t["ops_per_s"] / r["ops_per_s"]
            pairs = list(zip(t["times_s"], r["times_s"]))
            paired[ref] = _median([(t["ops"] / a) / (r["ops"] / b)
                                   for a, b in pairs])
        if t.get("cpu_ops_per_s") and r.get("cpu_ops_per_s"):
            cpu[ref] = t["cpu_ops_per_s"] / r["cpu_ops_per_s"]
    return ratios, paired, cpu


def evaluate_targets(results):
    rows = []
    by_w = {w["name"]: w for w in results["workloads"]}
    mem = {(m["impl"], m["n"]): m for m in results["memory"]}
    ic = {c["workload"]: c for c in results.get("icount") or []}
    for tg in TARGETS:
        row = {"id": tg["id"], "text": tg["text"], "interp": tg["interp"],
               "applies": tg["interp"] == interp_name(), "measured": None,
               "result": "n/a"}
        if not row["applies"]:
            row["result"] = "n/a (%s only)" % tg["interp"]
        elif "workload" in tg:
            w = by_w.get(tg["workload"])
            ratio = w and w["ratios"].get(tg["ref"])
            if ratio is not None:
                row["measured"] = ratio
                row["measured_text"] = "%.2fx %s" % (ratio, tg["ref"])
                row["result"] = "hit" if ratio >= tg["min_ratio"] else "miss"
                row["paired_median"] = w["ratios_paired"].get(tg["ref"])
                row["cpu_ratio"] = w["ratios_cpu"].get(tg["ref"])
            else:
                row["result"] = "not measured"
            ir = ic.get(tg["workload"], {}).get("ratios", {}).get(tg["ref"])
            if ir is not None:
                row["ir_ratio"] = ir
        elif "max_bytes_per_tasklet" in tg:
            m = mem.get(("tasklets", tg["memory_n"]))
            if m and not m.get("error") and not m.get("aborted"):
                row["measured"] = m["bytes_per_tasklet"]
                row["measured_text"] = "%.0f B/tasklet" % m["bytes_per_tasklet"]
                row["result"] = ("hit" if m["bytes_per_tasklet"]
                                 <= tg["max_bytes_per_tasklet"] else "miss")
            else:
                row["result"] = "not measured" if not m else "error"
        elif "max_total_hwm" in tg:
            m = mem.get(("tasklets", tg["memory_n"]))
            if m and not m.get("error") and not m.get("aborted"):
                row["measured"] = m["hwm"]
                row["measured_text"] = "%s peak RSS" % fmt_bytes(m["hwm"])
                row["result"] = ("hit" if m["hwm"] <= tg["max_total_hwm"]
                                 else "miss")
            elif m and m.get("aborted"):
                row["measured_text"] = m["aborted"]
                row["result"] = "miss (aborted at the memory cap)"
            else:
                row["result"] = "not measured" if not m else "error"
        rows.append(row)
    return rows


# {======================================================================
# Reports
# ======================================================================

def _available(results, name):
    """Whether an implementation was measured: one that --impls left out
    has no entry at all."""
    return results["impls"].get(name, {}).get("available", False)


def report_md(results):
    meta = results["meta"]
    names = [n for n in impls.ORDER if _available(results, n)]
    lines = []
    lines.append("Machine: %s, %d CPUs%s, %s RAM; %s; Linux %s.  "
                 % (meta["cpu_model"], meta["cpus"],
                    " (virtual machine%s)" % (
                        ", " + meta["dmi_product"]
                        if meta["dmi_product"] else "")
                    if meta["virtualized"] else "",
                    fmt_bytes(meta["mem_total"]), meta["os"], meta["kernel"]))
    py = "%s %s" % (meta["python_implementation"], meta["python"])
    if meta["pypy_version"]:
        py += " (PyPy %s)" % meta["pypy_version"]
    vers = ", ".join("%s %s" % (n, results["impls"][n]["version"])
                     for n in names if n not in ("greenlet-chan",))
    lines.append("%s; %s.  " % (py, vers))
    lines.append("tasklets at git %s%s; %s mode, best of %s, %s UTC; load "
                 "average %s at the start, %s at the end."
                 % (meta["git_commit"],
                    " with uncommitted changes in %s" % ", ".join(
                        sorted({l[3:] for l in meta["git_dirty_sources"]}))
                    if meta["git_dirty_sources"] else "",
                    results["mode"], results["repeats_text"],
                    meta["date_utc"], " ".join(meta["loadavg_start"]),
                    " ".join(meta.get("loadavg_end") or [])))
    skipped = [(n, d["note"]) for n, d in results["impls"].items()
               if not d["available"]]
    if skipped:
        lines.append("")
        lines.append("Not available here (skipped): " + "; ".join(
            "%s (%s)" % (n, note) for n, note in skipped) + ".")
    lines.append("")
    lines.append("### Throughput (best of the repeats; higher is better)")
    lines.append("")
    ratio_refs = [n for n in ("greenlet", "greenlet-chan", "gevent",
                              "pypy-stackless") if n in names] \
        if "tasklets" in names else []
    header = ["workload", "unit"] + names + \
        ["tasklets / %s" % r for r in ratio_refs] + ["target", "result"]
    rows = []
    tg_by_w = {}
    for tg in TARGETS:
        if "workload" in tg and tg["interp"] == interp_name():
            tg_by_w.setdefault(tg["workload"], []).append(tg)
    for w in results["workloads"]:
        row = [w["title"], w["unit"]]
        for n in names:
            row.append(_cell(w["results"].get(n),
                             lambda r: fmt_rate(r.get("ops_per_s"))))
        for ref in ratio_refs:
            row.append(fmt_ratio(w["ratios"].get(ref)))
        tgs = tg_by_w.get(w["name"], [])
        row.append("; ".join(">= %gx %s" % (t["min_ratio"], t["ref"])
                             for t in tgs))
        res = []
        for t in tgs:
            ratio = w["ratios"].get(t["ref"])
            res.append("not measured" if ratio is None else
                       ("**hit**" if ratio >= t["min_ratio"] else "**miss**"))
        row.append("; ".join(res))
        rows.append(row)
    lines.append(md_table(header, rows))
    spreads = ["%s %.2f" % (w["name"], w["results"]["tasklets"]["spread"])
               for w in results["workloads"]
               if w["results"].get("tasklets", {}).get("spread")]
    if spreads:
        lines.append("")
        lines.append("Run-to-run spread of tasklets (slowest / fastest "
                     "repeat): " + ", ".join(spreads) + ".")
    # memory
    if results["memory"]:
        lines.append("")
        lines.append("### Memory per tasklet blocked on receive (fresh "
                     "process each)")
        lines.append("")
        rows = []
        for m in results["memory"]:
            if m.get("error"):
                rows.append([m["impl"], "{:,}".format(m["n"]), "**error**",
                             "", "",
                             "", m["error"]])
                continue
            rows.append([
                m["impl"], "{:,}".format(m["n"]),
                "%.0f" % m["bytes_per_tasklet"],
                fmt_bytes(m["rss"] - m["baseline_rss"]),
                fmt_bytes(m["hwm"]),
                "%.1f" % m["seconds_to_create"],
                (m.get("aborted") or "") + (m.get("note") or "") +
                ("" if m.get("blocked_ok") else
                 " blocked count %s, expected %s" % (m["blocked"],
                                                     m["made"] + 1))])
        lines.append(md_table(
            ["implementation", "tasklets", "bytes/tasklet (RSS)",
             "RSS growth", "peak RSS (VmHWM)", "seconds to create", "note"],
            rows, ["l", "r", "r", "r", "r", "r", "l"]))
    # instruction counts
    if results.get("icount"):
        lines.append("")
        lines.append("### Instructions per operation (valgrind, user space "
                     "only; lower is better)")
        lines.append("")
        inames = [n for n in icount.IMPLS if n in names]
        refs = [n for n in inames if n != "tasklets"]
        header = ["workload", "unit"] + inames + \
            ["%s / tasklets" % r for r in refs]
        rows = []
        for ic in results["icount"]:
            row = [ic["title"], "Ir per " + ic["per"]]
            for n in inames:
                row.append(_cell(ic["counts"].get(n),
                                 lambda c: "%.0f" % c["ir_per_op"]))
            for r in refs:
                x = ic["ratios"].get(r)
                row.append(fmt_ratio(x))
            rows.append(row)
        lines.append(md_table(header, rows))
        lines.append("")
        lines.append("A ratio above 1 means tasklets runs fewer instructions "
                     "per operation (for channel ping-pong: a tasklets round "
                     "trip against a greenlet switch pair, as in the "
                     "target).")
    # targets
    lines.append("")
    lines.append("### Targets")
    lines.append("")
    rows = []
    for t in results["targets"]:
        rows.append([t["text"], t.get("measured_text", ""),
                     fmt_ratio(t.get("paired_median")),
                     fmt_ratio(t.get("cpu_ratio")),
                     fmt_ratio(t.get("ir_ratio")),
                     "**%s**" % t["result"]
                     if t["result"] in ("hit", "miss") else t["result"]])
    lines.append(md_table(["target", "measured (best of the repeats)",
                           "median of the per-repeat ratios",
                           "on CPU time", "on instructions", "result"],
                          rows, ["l", "r", "r", "r", "r", "l"]))
    lines.append("")
    lines.append("The result is judged on the first column, as the targets "
                 "ask. The other columns check it: the per-repeat ratios "
                 "pair the runs of one repeat, which ran next to each "
                 "other; \"on CPU time\" takes the best repeats by the "
                 "process's CPU time (time.process_time), which leaves out "
                 "the time spent waiting for a CPU on a loaded machine; "
                 "\"on instructions\" is the other implementation's "
                 "instructions per op over tasklets', from the table above, "
                 "and does not depend on machine load at all.")
    # notes
    notes = results.get("notes") or []
    if notes:
        lines.append("")
        lines.append("### Notes from this run")
        lines.append("")
        for n in notes:
            lines.append("* " + n)
    return "\n".join(lines) + "\n"


def collect_notes(results):
    notes = []
    for w in results["workloads"]:
        for name, r in w["results"].items():
            if r.get("error"):
                err = r["error"].strip().splitlines()
                msg = "%s / %s: %s" % (w["name"], name, err[-1] if err else "")
                if r.get("reproducer"):
                    msg += " (reproducer: `%s`)" % r["reproducer"]
                notes.append(msg)
            for n in r.get("notes") or []:
                notes.append("%s / %s: %s" % (w["name"], name, n))
    for m in results["memory"]:
        if m.get("error"):
            notes.append("memory %s n=%d: %s (reproducer: `%s`)"
                         % (m["impl"], m["n"], m["error"], m["reproducer"]))
        elif m.get("aborted") or m.get("note"):
            notes.append("memory %s n=%d: %s" % (
                m["impl"], m["n"], m.get("aborted") or m.get("note")))
    for ic in results.get("icount") or []:
        for name, c in ic["counts"].items():
            if c.get("error"):
                notes.append("icount %s / %s: %s" % (
                    ic["workload"], name, c["error"].strip()[-300:]))
    for s in results.get("skipped_memory") or []:
        notes.append(s)
    return notes


def charts(results, out, suffix):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception as e:
        print("note: no charts (matplotlib does not import: %s)" % e)
        return []
    made = []
    meta = results["meta"]
    subtitle = "%s %s, %s; %s mode" % (meta["python_implementation"],
                                       meta["python"], meta["cpu_model"],
                                       results["mode"])
    # 1. ratios
    refs = [r for r in ("greenlet", "greenlet-chan", "pypy-stackless")
            if _available(results, r)]
    ws = [w for w in results["workloads"]
          if any(w["ratios"].get(r) for r in refs)]
    if ws:
        fig, ax = plt.subplots(figsize=(10, 0.55 * len(ws) * max(1, len(refs))
                                        / 1.6 + 1.8))
        height = 0.8 / len(refs)
        colors = {"greenlet": "#4c72b0", "greenlet-chan": "#55a868",
                  "pypy-stackless": "#c44e52"}
        ys = list(range(len(ws)))[::-1]
        for k, ref in enumerate(refs):
            vals = [w["ratios"].get(ref) or 0 for w in ws]
            pos = [y + 0.4 - height * (k + 0.5) for y in ys]
            bars = ax.barh(pos, vals, height=height * 0.95,
                           color=colors[ref], label="tasklets / %s" % ref)
            for b, v in zip(bars, vals):
                if v:
                    ax.text(v, b.get_y() + b.get_height() / 2,
                            " %.2f" % v, va="center", fontsize=8)
        for y, w in zip(ys, ws):
            for tg in TARGETS:
                if tg.get("workload") == w["name"] and \
                        tg["interp"] == interp_name() and tg["ref"] in refs:
                    ax.plot([tg["min_ratio"]] * 2, [y - 0.45, y + 0.45],
                            color="black", linestyle="--", linewidth=1.2)
        ax.axvline(1.0, color="gray", linewidth=0.8)
        ax.set_yticks(ys)
        ax.set_yticklabels([w["title"] for w in ws], fontsize=9)
        ax.set_xlabel("throughput ratio, tasklets / other "
                      "(> 1: tasklets faster; dashed: target)")
        ax.set_title("tasklets against greenlet\n" + subtitle, fontsize=10)
        ax.legend(loc="lower right", fontsize=8)
        xmax = max([w["ratios"].get(r) or 0 for w in ws for r in refs] +
                   [4.5])
        ax.set_xlim(0, xmax * 1.15)
        fig.tight_layout()
        p = os.path.join(out, "ratios%s.png" % suffix)
        fig.savefig(p, dpi=110)
        plt.close(fig)
        made.append(p)
    # 2. memory
    mem = [m for m in results["memory"]
           if not m.get("error") and not m.get("aborted")]
    if mem:
        ns = sorted({m["n"] for m in mem})
        names = [n for n in impls.ORDER if any(m["impl"] == n for m in mem)]
        fig, ax = plt.subplots(figsize=(8, 4.5))
        width = 0.8 / len(ns)
        for k, n in enumerate(ns):
            vals = []
            for name in names:
                m = [x for x in mem if x["impl"] == name and x["n"] == n]
                vals.append(m[0]["bytes_per_tasklet"] if m else 0)
            xs = [i - 0.4 + width * (k + 0.5) for i in range(len(names))]
            bars = ax.bar(xs, vals, width=width * 0.95,
                          label="%s blocked" % ("10^%d" % len(str(n)[1:])
                                                if str(n).strip("0") == "1"
                                                else n))
            for b, v in zip(bars, vals):
                if v:
                    ax.text(b.get_x() + b.get_width() / 2, v, "%.0f" % v,
                            ha="center", va="bottom", fontsize=8)
        ax.axhline(2048, color="black", linestyle="--", linewidth=1.2,
                   label="target: 2 KiB")
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names)
        ax.set_ylabel("bytes of RSS per blocked tasklet")
        ax.set_title("Memory per tasklet blocked on receive\n" + subtitle,
                     fontsize=10)
        ax.legend(fontsize=8)
        fig.tight_layout()
        p = os.path.join(out, "memory%s.png" % suffix)
        fig.savefig(p, dpi=110)
        plt.close(fig)
        made.append(p)
    # 3. throughput per implementation (log scale)
    names = [n for n in impls.ORDER if _available(results, n)]
    ws = results["workloads"]
    if ws:
        fig, ax = plt.subplots(figsize=(10, 0.45 * len(ws) * len(names) / 2.2
                                        + 1.8))
        height = 0.8 / len(names)
        ys = list(range(len(ws)))[::-1]
        for k, name in enumerate(names):
            vals = [w["results"].get(name, {}).get("ops_per_s") or 0
                    for w in ws]
            pos = [y + 0.4 - height * (k + 0.5) for y in ys]
            ax.barh(pos, vals, height=height * 0.95, label=name)
        ax.set_xscale("log")
        ax.set_yticks(ys)
        ax.set_yticklabels(["%s (%s)" % (w["title"], w["unit"]) for w in ws],
                           fontsize=8)
        ax.set_xlabel("operations per second (log scale; higher is better)")
        ax.set_title("Throughput\n" + subtitle, fontsize=10)
        ax.legend(fontsize=8, loc="lower right")
        fig.tight_layout()
        p = os.path.join(out, "throughput%s.png" % suffix)
        fig.savefig(p, dpi=110)
        plt.close(fig)
        made.append(p)
    return made


README_START = "<!-- results:start (written by bench/run.py) -->"
README_END = "<!-- results:end -->"


def update_readme(md, chart_names):
    path = os.path.join(BENCH, "README.md")
    text = _read(path)
    if README_START not in text or README_END not in text:
        return False
    imgs = "\n".join("![%s](results/%s)" % (os.path.splitext(c)[0], c)
                     for c in chart_names)
    block = "%s\n%s\n\n%s%s" % (README_START, imgs, md, README_END)
    head, rest = text.split(README_START, 1)
    tail = rest.split(README_END, 1)[1]
    with open(path, "w") as f:
        f.write(head + block + tail)
    return True


# {======================================================================
# Main
# ======================================================================

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="smaller sizes and fewer repeats (< 5 minutes)")
    p.add_argument("--out", help="output folder (default bench/results, or "
                   "bench/results/quick with --quick)")
    p.add_argument("--workloads", help="comma-separated subset")
    p.add_argument("--impls", help="comma-separated subset of %s"
                   % ",".join(impls.ORDER))
    p.add_argument("--repeats", type=int, help="override repeats")
    p.add_argument("--tasklets-path", help="measure the tasklets package "
                   "of this folder (a built checkout) instead of this "
                   "repository's in-place build")
    p.add_argument("--no-memory", action="store_true")
    p.add_argument("--no-icount", action="store_true")
    p.add_argument("--no-charts", action="store_true")
    p.add_argument("--no-readme", action="store_true",
                   help="do not rewrite the results block of "
                   "bench/README.md (only a full run into the default "
                   "folder does)")
    args = p.parse_args(argv)
    if args.tasklets_path:
        impls.TASKLETS_PATH = os.path.abspath(args.tasklets_path)
        os.environ["BENCH_TASKLETS_PATH"] = impls.TASKLETS_PATH
    t_start = time.time()
    mode = "quick" if args.quick else "full"
    out = args.out or (os.path.join(DEFAULT_OUT, "quick") if args.quick
                       else DEFAULT_OUT)
    os.makedirs(out, exist_ok=True)

    wanted = args.impls.split(",") if args.impls else impls.ORDER
    for name in wanted:
        if name not in impls.ORDER:
            p.error("unknown implementation %r" % name)
    names, descs = impls.available(wanted)
    for name in wanted:
        d = descs[name]
        if d["available"]:
            print("%-15s %s %s" % (name, d["version"], d["note"]))
        else:
            print("%-15s skipped: %s" % (name, d["note"]))
    if "tasklets" not in names:
        print("note: tasklets is not importable here: only the other "
              "implementations are measured, no ratio can be computed")
    meta = machine_info(descs)
    print("%s, %d CPUs; %s %s" % (meta["cpu_model"], meta["cpus"],
                                  meta["python_implementation"],
                                  meta["python"]))

    ws = workloads.WORKLOADS
    if args.workloads:
        sel = args.workloads.split(",")
        for s in sel:
            if s not in workloads.BY_NAME:
                p.error("unknown workload %r" % s)
        ws = [w for w in ws if w.name in sel]
    default_repeats = {"full": 7, "quick": 3}[mode]
    timeout = {"full": 1800, "quick": 150}[mode]
    results = {"mode": mode, "meta": meta, "impls": descs, "workloads": [],
               "memory": [], "icount": [], "targets": []}
    reps_used = set()

    # 1. timed workloads
    for w in ws:
        n = w.sizes[mode]
        reps = args.repeats or (w.repeats or {}).get(mode) or default_repeats
        reps_used.add(reps)
        wn = [i for i in names if i in w.fns]
        if not wn:
            continue
        t0 = time.time()
        sys.stdout.write("%-24s n=%-8d x%d  %s " % (w.name, n, reps,
                                                     ",".join(wn)))
        sys.stdout.flush()
        raw, build = time_workload(w, wn, n, reps, timeout)
        res = summarize(raw)
        if build and meta["tasklets_build"] and build != meta["tasklets_build"]:
            msg = ("the tasklets build changed before this workload ran (%s "
                   "modified %s): someone rebuilt it during the run"
                   % (build[0], time.strftime("%H:%M:%S",
                                              time.localtime(build[1]))))
            print("WARNING: " + msg)
            res.setdefault("tasklets", {}).setdefault("notes", []).append(msg)
        entry = {"name": w.name, "title": w.title, "unit": w.unit, "n": n,
                 "tasklets_build": build,
                 "repeats": reps, "what": {k: v for k, v in w.what.items()
                                           if k in wn},
                 "results": res, "seconds": time.time() - t0}
        entry["ratios"], entry["ratios_paired"], entry["ratios_cpu"] = \
            compute_ratios(res, w)
        results["workloads"].append(entry)
        print("%.1fs  %s" % (
            entry["seconds"],
            "  ".join("%s=%s" % (k, fmt_rate(v.get("ops_per_s")) or "ERR")
                      for k, v in res.items())))
    results["repeats_text"] = "/".join(str(r) for r in sorted(reps_used))

    # 2. memory
    if not args.no_memory:
        mem_plan = []
        for n in (100000, 1000000):
            for name in names:
                if name == "greenlet":
                    continue  # its blocked form is greenlet-chan's
                if mode == "quick" and n == 1000000 and name != "tasklets":
                    continue
                mem_plan.append((name, n))
        skipped = []
        for name, n in mem_plan:
            t0 = time.time()
            sys.stdout.write("memory %-15s n=%-8d " % (name, n))
            sys.stdout.flush()
            m = run_memory(name, n, timeout)
            m["seconds"] = time.time() - t0
            b = m.get("tasklets_build")
            if b and meta["tasklets_build"] and b != meta["tasklets_build"]:
                m["note"] = ("the tasklets build changed during the run "
                             "(someone rebuilt it)")
                print("WARNING: the tasklets build changed during the run")
            results["memory"].append(m)
            if m.get("error"):
                print("ERROR %s" % m["error"])
            else:
                print("%.1fs  %.0f B/tasklet, peak %s%s" % (
                    m["seconds"], m["bytes_per_tasklet"], fmt_bytes(m["hwm"]),
                    "  (%s)" % m["aborted"] if m.get("aborted") else ""))
        if mode == "quick":
            skipped.append("quick mode: 10^6 blocked tasklets measured for "
                           "tasklets only")
        results["skipped_memory"] = skipped

    # 3. instruction counts
    if not args.no_icount:
        if impls.IS_PYPY:
            print("note: no instruction counts under PyPy (the JIT)")
        elif not icount.valgrind():
            print("note: no instruction counts (valgrind not installed)")
        else:
            plan = []
            for wname, (n1, n2) in icount.SIZES[mode].items():
                if args.workloads and wname not in args.workloads.split(","):
                    continue
                w = workloads.BY_NAME[wname]
                for name in icount.IMPLS:
                    if name in names and name in w.fns:
                        plan.append((wname, name, n1, n2))
            t0 = time.time()
            sys.stdout.write("instruction counts: %d pairs of valgrind runs "
                             % len(plan))
            sys.stdout.flush()
            counts = {}

            def job(item):
                wname, name, n1, n2 = item
                try:
                    return item, icount.per_op(wname, name, n1, n2)
                except Exception as e:
                    return item, {"error": "%s: %s" % (type(e).__name__, e)}

            # counts do not depend on load: use both cores
            with concurrent.futures.ThreadPoolExecutor(2) as ex:
                for item, c in ex.map(job, plan):
                    counts.setdefault(item[0], {})[item[1]] = c
            for wname in icount.SIZES[mode]:
                if wname not in counts:
                    continue
                w = workloads.BY_NAME[wname]
                cs = counts[wname]
                t = cs.get("tasklets", {}).get("ir_per_op")
                ratios = {}
                for ref, c in cs.items():
                    if ref != "tasklets" and t and c.get("ir_per_op"):
                        ratios[ref] = c["ir_per_op"] / t
                per = {"switch pairs/s": "switch pair",
                       "round trips/s": "round trip (greenlet: switch pair)",
                       "switches/s": "switch",
                       "tasklets/s": "tasklet",
                       "messages/s": "message"}[w.unit]
                results["icount"].append({
                    "workload": wname, "title": w.title, "per": per,
                    "counts": cs, "ratios": ratios})
            print("%.1fs" % (time.time() - t0))

    # 4. evaluate, write
    meta["loadavg_end"] = _read("/proc/loadavg").split()[:3]
    results["targets"] = evaluate_targets(results)
    results["notes"] = collect_notes(results)
    wall = time.time() - t_start
    meta["wall_seconds"] = wall
    md_body = report_md(results)
    suffix = ""
    chart_paths = [] if args.no_charts else charts(results, out, suffix)
    results["charts"] = [os.path.basename(c) for c in chart_paths]
    title = "# tasklets benchmark results (%s mode)\n\n" % mode
    imgs = "".join("![%s](%s)\n" % (os.path.splitext(c)[0], c)
                   for c in results["charts"])
    md = title + md_body + "\nWall time of the run: %.0f s.\n" % wall
    if imgs:
        md += "\n" + imgs
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(md)
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
        f.write("\n")
    if (mode == "full" and not args.no_readme and
            os.path.realpath(out) == os.path.realpath(DEFAULT_OUT) and
            not args.workloads and not args.impls):
        if update_readme(md_body + "\nWall time of the run: %.0f s.\n"
                         % wall, results["charts"]):
            print("updated the results block of bench/README.md")
    print()
    print(md_body)
    print("wrote %s (results.md, results.json%s); wall time %.0f s"
          % (os.path.relpath(out), "".join(", " + c for c in
                                           results["charts"]), wall))
    return 0


if __name__ == "__main__":
    sys.exit(main())
