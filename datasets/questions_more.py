#!/usr/bin/env python3
"""Builds two more Q&A sheets per system, next to questions.jsonl:

- datasets/<app>/questions-more.jsonl (ids <app>-m01...): for tuning;
- datasets/<app>/questions-holdout.jsonl (ids <app>-h01...): kept out of
  tuning, other subjects and other wording, to test generalisation.

The records have the layout of questions.jsonl (see questions.py and
datasets/README.md) plus a "class" field naming what the question tests:

  family      one event that several templates (or a wrapper) express
  grouping    which X / per X / top N X: a list of label or capture values
  distinct    how many unique X (users, IPs, blocks, nodes...)
  value       min / max / mean / sum of a numeric slot the question names
  constraint  a value named in the question filters the count
  arithmetic  ratios and percentages of two counts, rates per hour or
              minute, "how long" (a sum of durations) against "how many"
  lines       show / list: the matching lines (at most 100)
  level       counts by the level label, some of levels that do not occur (0)
  paraphrase  the event named in other words than the log's

Every answer is computed here from the raw sample with plain Python, reusing
the reader of questions.py (same line handling: line endings removed, empty
lines skipped, a line equal to the one before dropped). Rates divide by the
sample window, which is the first stamp minus a second to the last plus a
second (so last - first + 2 seconds), the range `$__range` stands for.

Run from the repository root:
  python3 datasets/questions_more.py [app ...]          writes the sheets
  python3 datasets/questions_more.py --check [app ...]  also runs every gold
      query on the embedded engine (target/release/logcopilot query) and
      reports any answer that differs
"""

import datetime as dt
import json
import os
import re
import subprocess
import sys
import tomllib
import zoneinfo
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import questions as Q  # noqa: E402
from questions import ALL, both, has, lab, num, sel, top  # noqa: E402

ROOT = Q.ROOT
APPS = ["android", "apache", "bgl", "hadoop", "hdfs", "healthapp", "hpc", "linux", "openssh", "openstack", "windows", "zookeeper"]
CLASSES = ["family", "grouping", "distinct", "value", "constraint", "arithmetic", "lines", "level", "paraphrase"]


def rx(pattern):
    """A predicate: the regular expression finds a match in the line."""
    r = re.compile(pattern)
    return lambda l: r.search(l.raw) is not None


def lq(s):
    """A Python string as the inside of a LogQL double-quoted string."""
    return s.replace("\\", "\\\\").replace('"', '\\"')


# ---------------------------------------------------------------- time stamps


def _stamp_parser(app):
    """line -> unix seconds (float) as dataset.toml's [timestamp] reads it, or None."""
    spec = tomllib.load(open(os.path.join(ROOT, app, "dataset.toml"), "rb"))
    hrx = Q.header_regex(spec["format"])
    ts = spec["timestamp"]
    zone = ts.get("zone", "UTC")
    if re.fullmatch(r"[+-]\d\d:\d\d", zone):
        sign = 1 if zone[0] == "+" else -1
        tz = dt.timezone(sign * dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    elif zone == "UTC":
        tz = dt.timezone.utc
    else:
        tz = zoneinfo.ZoneInfo(zone)
    fmt = ts["format"]
    year = ts.get("year")
    # chrono -> Python; fractions are handled by hand below
    frac = None
    for chrono, kind in (("%.3f", "dot"), ("%.6f", "dot"), (",%3f", "comma"), (":%f", "ns")):
        if chrono in fmt:
            frac = kind
            fmt = fmt.replace(chrono, "")
    if fmt == "%s":
        frac = "epoch"

    def parse(line):
        m = hrx.match(line.raw.strip())
        if not m:
            return None
        text = ts["fields"]
        for name in re.findall(r"<([^<>]+)>", ts["fields"]):
            text = text.replace("<%s>" % name, m.group(name))
        if frac == "epoch":
            return float(text)
        sub = 0.0
        if frac == "dot":
            text, f = text.rsplit(".", 1)
            sub = int(f) / 10 ** len(f)
        elif frac == "comma":
            text, f = text.rsplit(",", 1)
            sub = int(f) / 10 ** len(f)
        elif frac == "ns":  # chrono's %f: the digits are nanoseconds
            text, f = text.rsplit(":", 1)
            sub = int(f) / 1e9
        f2 = fmt
        if year is not None:
            text, f2 = "%d %s" % (year, text), "%Y " + fmt
        t = dt.datetime.strptime(text, f2).replace(tzinfo=tz)
        return t.timestamp() + sub

    return parse


def window(app, lines):
    """(start, end) of the sample window in unix seconds: first stamp - 1 s, last + 1 s."""
    p = _stamp_parser(app)
    st = [t for t in (p(l) for l in lines) if t is not None]
    return min(st) - 1, max(st) + 1


# ---------------------------------------------------------------- sheets


class Sheets:
    """One app's two sheets: `m` (questions-more) and `h` (questions-holdout)."""

    def __init__(self, name):
        self.name = name
        self.a = Q.App(name)
        self.lines = self.a.lines
        self.s = sel(name)
        self.recs = {"m": [], "h": []}
        self._win = None

    def sel(self, extra):
        return sel(self.name, extra)

    # the data
    def n(self, pred):
        return self.a.n(pred)

    def ext(self, pattern, pred=ALL, conv=str):
        return self.a.ext(pattern, pred, conv)

    def group(self, label, pred=ALL):
        return self.a.group(label, pred)

    def window_seconds(self):
        if self._win is None:
            self._win = window(self.name, self.lines)
        return self._win[1] - self._win[0]

    # the records
    def q(self, sheet, cls, question, kind, logql, answer, how, tol=None):
        assert cls in CLASSES, cls
        lst = self.recs[sheet]
        rec = {"id": "%s-%s%02d" % (self.name, sheet, len(lst) + 1), "question": question, "kind": kind, "answer": answer, "logql": logql, "how": how}
        if tol is not None:
            rec["tolerance"] = tol
        rec["class"] = cls
        if kind == "list":
            assert answer and "" not in answer, (question, answer)
        lst.append(rec)

    def count(self, sheet, cls, question, logql_filter, pred, how):
        self.q(sheet, cls, question, "number", "sum(count_over_time(%s [$__range]))" % logql_filter, self.n(pred), how)

    def lines_of(self, sheet, cls, question, logql, pred, how):
        got = [l.raw for l in self.lines if pred(l)]
        assert 0 < len(got) <= 100, (question, len(got))
        self.q(sheet, cls, question, "text", logql, got, how + "; the answer is the set of those lines")

    def labels(self, sheet, cls, question, logql, values, how):
        self.q(sheet, cls, question, "list", logql, sorted(set(values)), how)

    def top(self, sheet, cls, question, k, by, inner, counter, how):
        logql = "topk(%d, sum by (%s) (count_over_time(%s [$__range])))" % (k, by, inner)
        self.q(sheet, cls, question, "list", logql, top(counter, k), how)

    def distinct(self, sheet, cls, question, by, inner, values, how):
        logql = "count(sum by (%s) (count_over_time(%s [$__range])))" % (by, inner)
        self.q(sheet, cls, question, "number", logql, len(set(values)), how)

    def agg(self, sheet, cls, question, op, inner, field, values, how, tol=None):
        """min / max / sum / avg of an unwrapped field; `inner` is the log query with the capture."""
        if op == "avg":
            logql = "sum(sum_over_time(%s | unwrap %s [$__range])) / sum(count_over_time(%s [$__range]))" % (inner, field, inner)
            ans = sum(values) / len(values)
        elif op == "sum":
            logql = "sum(sum_over_time(%s | unwrap %s [$__range]))" % (inner, field)
            ans = sum(values)
        else:
            logql = "%s(%s_over_time(%s | unwrap %s [$__range]))" % (op, op, inner, field)
            ans = {"min": min, "max": max}[op](values)
        if isinstance(ans, float):
            ans = num(round(ans, 9)) if op != "avg" else ans
        self.q(sheet, cls, question, "number", logql, ans, how, tol if tol is not None else (1e-6 if isinstance(ans, float) else None))

    def ratio(self, sheet, cls, question, num_filter, num_pred, den_filter, den_pred, how, scale=100):
        a, b = self.n(num_pred), self.n(den_pred)
        assert b > 0
        logql = "sum(count_over_time(%s [$__range])) / sum(count_over_time(%s [$__range]))" % (num_filter, den_filter)
        if scale != 1:
            logql += " * %d" % scale
        self.q(sheet, cls, question, "number", logql, a / b * scale, how + " (%d / %d%s)" % (a, b, " * %d" % scale if scale != 1 else ""), tol=1e-6)

    def rate(self, sheet, cls, question, logql_filter, pred, how, per=3600):
        c = self.n(pred)
        w = self.window_seconds()
        logql = "sum(rate(%s [$__range])) * %d" % (logql_filter, per)
        unit = {3600: "hour", 60: "minute"}[per]
        self.q(sheet, cls, question, "number", logql, c / w * per, how + " per %s: %d lines / %.3f s window (first stamp - 1 s to last + 1 s) * %d" % (unit, c, w, per), tol=1e-3)

    def write(self):
        m, h = self.recs["m"], self.recs["h"]
        assert 12 <= len(m) <= 14, (self.name, len(m))
        assert 6 <= len(h) <= 8, (self.name, len(h))
        qs = set()
        for r in m + h:
            assert r["question"] not in qs, r["question"]
            qs.add(r["question"])
        for sheet, fname in (("m", "questions-more.jsonl"), ("h", "questions-holdout.jsonl")):
            with open(os.path.join(ROOT, self.name, fname), "w") as f:
                for r in self.recs[sheet]:
                    f.write(json.dumps(r, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- the systems


def hdfs():
    x = Sheets("hdfs")
    s = x.s
    serve = s + ' |~ "Served block|Got exception while serving"'
    serve_p = rx(r"Served block|Got exception while serving")
    x.count("m", "family", "How many times did a datanode try to send a block to a client, whether it worked or hit an exception?", serve, serve_p, "lines with 'Served block' or 'Got exception while serving' (the success and the failure of serving a block)")
    dn = x.ext(r"ask ([0-9.]+):\d+ to delete", has("BLOCK* ask", "to delete"))
    x.labels("m", "grouping", "which datanodes did the namenode tell to delete blocks?", 'sum by (ip) (count_over_time(%s |= "BLOCK* ask" |= "to delete" | regexp "ask (?P<ip>[0-9.]+):[0-9]+ to delete" [$__range]))' % s, dn, "distinct IPs in 'BLOCK* ask IP:port to delete' lines")
    x.distinct("m", "distinct", "how many unique blocks got deleted from disk", "blk", s + ' |= "Deleting block" | regexp "Deleting block (?P<blk>blk_-?[0-9]+)"', x.ext(r"Deleting block (blk_-?\d+)"), "distinct block ids in 'Deleting block blk_N' lines")
    rs = x.ext(r"Received block .*of size (\d+)", has("Received block"), conv=float)
    x.agg("m", "value", "total bytes received across all the received blocks?", "sum", s + ' |= "Received block" | regexp "of size (?P<size>[0-9]+)"', "size", rs, "sum of N in 'of size N' over the 'Received block' lines (both forms)")
    x.count("m", "constraint", "How many of the PacketResponder terminations came from PacketResponder 2?", s + ' |= "PacketResponder 2 for block" |= "terminating"', has("PacketResponder 2 for block", "terminating"), "lines with 'PacketResponder 2 for block' and 'terminating'")
    x.ratio("m", "arithmetic", "what % of block serve attempts ended in an exception?", s + ' |= "Got exception while serving"', has("Got exception while serving"), serve, serve_p, "lines with 'Got exception while serving' / lines with 'Served block' or 'Got exception while serving' * 100")
    x.rate("m", "arithmetic", "On average, how many blocks were deleted per hour over the sample?", s + ' |= "Deleting block"', has("Deleting block"), "lines with 'Deleting block'")
    x.lines_of("m", "lines", "list the namenode's requests asking datanodes to delete blocks", s + ' |= "BLOCK* ask" |= "to delete"', has("BLOCK* ask", "to delete"), "lines with 'BLOCK* ask' and 'to delete'")
    x.count("m", "level", "How many ERROR-level entries are in the HDFS log?", x.sel(', level="ERROR"'), lab("level", "ERROR"), "lines whose Level is ERROR (none: the levels are INFO and WARN)")
    x.count("m", "level", "count the warnings that DataXceiver logged", x.sel(', level="WARN", component="dfs.DataNode$DataXceiver"'), both(lab("level", "WARN"), lab("component", "dfs.DataNode$DataXceiver")), "lines whose Level is WARN and Component dfs.DataNode$DataXceiver")
    x.count("m", "paraphrase", "how many blocks were thrown away?", s + ' |= "Deleting block"', has("Deleting block"), "lines with 'Deleting block' (a datanode deleting a block file)")
    x.count("m", "paraphrase", "How many times did a block pass its integrity scan?", s + ' |= "Verification succeeded"', has("Verification succeeded"), "lines with 'Verification succeeded' (DataBlockScanner)")
    exc = Counter(x.ext(r"([0-9.]+):\d+:Got exception while serving"))
    x.top("m", "grouping", "Top 2 datanodes by number of exceptions while serving blocks?", 2, "ip", s + ' |= "Got exception while serving" | regexp "(?P<ip>[0-9.]+):[0-9]+:Got exception"', exc, "the 2 most frequent IPs before ':port:Got exception while serving'")

    x.count("h", "family", "How many commands did the namenode send to datanodes, to delete or to replicate blocks?", s + ' |= "BLOCK* ask"', has("BLOCK* ask"), "lines with 'BLOCK* ask' (ask IP to delete ... and ask IP to replicate ...)")
    x.distinct("h", "distinct", "Number of different datanodes that had trouble serving a block?", "ip", s + ' |= "Got exception while serving" | regexp "(?P<ip>[0-9.]+):[0-9]+:Got exception"', list(exc), "distinct IPs in 'Got exception while serving' lines")
    bm = x.ext(r"blockMap updated: .* size (\d+)", has("addStoredBlock"), conv=float)
    x.agg("h", "value", "What's the smallest block size that showed up in the blockMap updates?", "min", s + ' |= "blockMap updated" | regexp "size (?P<size>[0-9]+)$"', "size", bm, "min N in 'blockMap updated: ... size N'")
    x.count("h", "constraint", "how often did 10.251.126.255 fail to serve a block", s + ' |= "10.251.126.255:50010:Got exception while serving"', has("10.251.126.255:50010:Got exception while serving"), "lines with '10.251.126.255:50010:Got exception while serving'")
    x.ratio("h", "arithmetic", "Warnings as a percentage of all HDFS lines?", x.sel(', level="WARN"'), lab("level", "WARN"), s, ALL, "lines whose Level is WARN / all lines * 100")
    x.lines_of("h", "lines", "Show where a datanode started a thread to copy a block to another node.", s + ' |= "Starting thread to transfer block"', has("Starting thread to transfer block"), "lines with 'Starting thread to transfer block'")
    x.count("h", "level", "any FATAL messages from hdfs? how many", x.sel(', level="FATAL"'), lab("level", "FATAL"), "lines whose Level is FATAL (none)")
    x.count("h", "paraphrase", "How many times did the namenode hand out a fresh block for a file being written?", s + ' |= "allocateBlock"', has("allocateBlock"), "lines with 'NameSystem.allocateBlock'")
    x.write()
    return x


# ---------------------------------------------------------------- checking on the engine

BIN = os.path.join(os.path.dirname(ROOT), "target", "release", "logcopilot")


def engine(app, logql, start, end):
    """Runs a gold query on the embedded engine over the window; returns ('number', x) or ('items', [...])."""
    secs = end - start
    ms = round(secs * 1000)
    q = logql.replace("$__range", "%ds" % (ms // 1000) if ms % 1000 == 0 else "%dms" % ms)
    metric = q.lstrip().startswith(("sum", "count", "topk", "bottomk", "max", "min", "avg", "rate", "("))
    cmd = [BIN, "query", "-q", "--app", app, "-o", "json"]
    if metric:
        cmd += ["--instant", "--time", "%.3f" % end]
    else:
        cmd += ["--start", "%.3f" % start, "--end", "%.3f" % end, "--limit", "100"]
    out = subprocess.run(cmd + [q], capture_output=True, text=True, cwd=os.path.dirname(ROOT))
    if out.returncode != 0:
        return ("error", out.stderr.strip()[:500]), q
    body = json.loads(out.stdout)["data"]
    res = body["result"]
    if body["resultType"] == "streams":
        return ("items", sorted(v[1] for r in res for v in r["values"])), q
    if body["resultType"] == "scalar":
        return ("number", float(res[1])), q
    if len(res) == 1 and not res[0]["metric"]:
        return ("number", float(res[0]["value"][1])), q
    if not res:
        return ("number", 0.0), q
    items = []
    for r in res:
        vals = list(r["metric"].values())
        items.append(vals[0] if len(vals) == 1 else json.dumps(r["metric"], sort_keys=True))
    if len(res) == 1 and len(res[0]["metric"]) == 0:
        return ("number", float(res[0]["value"][1])), q
    return ("items", sorted(items), [float(r["value"][1]) for r in res]), q


def check(x):
    start, end = window(x.name, x.lines)
    bad = 0
    for r in x.recs["m"] + x.recs["h"]:
        got, q = engine(x.name, r["logql"], start, end)
        ok = False
        if got[0] == "number" and r["kind"] == "number":
            w = float(r["answer"])
            tol = r.get("tolerance", 1e-6)
            ok = abs(got[1] - w) <= tol * max(abs(w), 1e-9) or (w == 0 and got[1] == 0)
        elif got[0] == "items" and r["kind"] in ("list", "text"):
            ok = got[1] == sorted(r["answer"])
        if not ok:
            bad += 1
            g = got[1] if got[0] != "items" else (got[1][:8], len(got[1]))
            a = r["answer"] if r["kind"] != "text" else (r["answer"][:2], len(r["answer"]))
            print("DIFF %s [%s] %s\n    query: %s\n    python: %s\n    engine: %s %s" % (r["id"], r["class"], r["question"], q, a, got[0], g))
    return bad


if __name__ == "__main__":
    args = sys.argv[1:]
    do_check = "--check" in args
    todo = [a for a in args if a != "--check"] or APPS
    total_bad = 0
    for name in todo:
        x = globals()[name]()
        msg = "%s written: %d more, %d holdout" % (name, len(x.recs["m"]), len(x.recs["h"]))
        if do_check:
            b = check(x)
            total_bad += b
            msg += ", %d differ from the engine" % b
        print(msg)
    if do_check and total_bad:
        sys.exit(1)
