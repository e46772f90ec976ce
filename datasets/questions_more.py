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
second (so last - first + 2 seconds), the range `$__range` stands for;
rates are asked only where that window is long enough (> 2,000 s) for a
second more or less to stay within their tolerance.

Two rules keep the answers unambiguous, and the script asserts both:
- no answer may depend on how duplicate lines are dropped: Loki 3.x drops an
  entry equal (same stream, stamp and line) to any entry it already holds, not
  only to the one just before, and Apache and Windows repeat many lines within
  a second; each sheet is built a second time with that rule and must not
  change (text answers are sets of distinct lines);
- no question repeats one of questions.jsonl.

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


def norm(question):
    return re.sub(r"[^a-z0-9]+", " ", question.lower()).strip()


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
        got = list(dict.fromkeys(l.raw for l in self.lines if pred(l)))  # a set of lines, in log order
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
        assert w > 2000, (self.name, w)  # the window read to the second must stay within the tolerance
        logql = "sum(rate(%s [$__range])) * %d" % (logql_filter, per)
        unit = {3600: "hour", 60: "minute"}[per]
        self.q(sheet, cls, question, "number", logql, c / w * per, how + " per %s: %d lines / %.3f s window (first stamp - 1 s to last + 1 s) * %d" % (unit, c, w, per), tol=1e-3)

    def write(self):
        m, h = self.recs["m"], self.recs["h"]
        assert 12 <= len(m) <= 14, (self.name, len(m))
        assert 6 <= len(h) <= 8, (self.name, len(h))
        qs = set()
        with open(os.path.join(ROOT, self.name, "questions.jsonl")) as f:
            old = {norm(json.loads(l)["question"]) for l in f}
        for r in m + h:
            assert norm(r["question"]) not in old, ("asked in questions.jsonl", r["question"])
            assert r["question"] not in qs, r["question"]
            qs.add(r["question"])
        for sheet, fname in (("m", "questions-more.jsonl"), ("h", "questions-holdout.jsonl")):
            with open(os.path.join(ROOT, self.name, fname), "w") as f:
                for r in self.recs[sheet]:
                    f.write(json.dumps(r, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- the systems


def hdfs(write=True):
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
    src = x.ext(r"Receiving block \S+ src: /([0-9.]+):")
    x.distinct("h", "distinct", "Number of different source datanodes that sent blocks (the src of 'Receiving block')?", "ip", s + ' |= "Receiving block" | regexp "%s"' % lq(r"src: /(?P<ip>[0-9.]+):"), src, "distinct IPs after 'src: /' in 'Receiving block' lines")
    bm = x.ext(r"blockMap updated: .* size (\d+)", has("addStoredBlock"), conv=float)
    x.agg("h", "value", "What's the smallest block size that showed up in the blockMap updates?", "min", s + ' |= "blockMap updated" | regexp "size (?P<size>[0-9]+)$"', "size", bm, "min N in 'blockMap updated: ... size N'")
    x.count("h", "constraint", "how many blocks did the namenode put in the invalid set of 10.251.106.37", s + ' |= "is added to invalidSet of 10.251.106.37:"', has("is added to invalidSet of 10.251.106.37:"), "lines with 'is added to invalidSet of 10.251.106.37:'")
    x.rate("h", "arithmetic", "What's the hourly rate of PacketResponder terminations?", s + ' |= "PacketResponder" |= "terminating"', has("PacketResponder", "terminating"), "lines with 'PacketResponder' and 'terminating'")
    x.lines_of("h", "lines", "Show where a datanode started a thread to copy a block to another node.", s + ' |= "Starting thread to transfer block"', has("Starting thread to transfer block"), "lines with 'Starting thread to transfer block'")
    x.count("h", "level", "any FATAL messages from hdfs? how many", x.sel(', level="FATAL"'), lab("level", "FATAL"), "lines whose Level is FATAL (none)")
    x.count("h", "paraphrase", "How many times did the namenode hand out a fresh block for a file being written?", s + ' |= "allocateBlock"', has("allocateBlock"), "lines with 'NameSystem.allocateBlock'")
    if write:
        x.write()
    return x


def openssh(write=True):
    x = Sheets("openssh")
    s = x.s
    fam = rx(r"Failed (password|none)")
    x.count("m", "family", "Total failed logins, counting both password and 'none' method failures?", s + ' |~ "Failed (password|none)"', fam, "lines with 'Failed password' or 'Failed none' (valid and invalid users, and the 'message repeated' lines that wrap a Failed password)")
    fu = x.ext(r"Failed password for (\S+) from", lambda l: "Failed password for" in l.raw and "invalid user" not in l.raw)
    x.labels("m", "grouping", "which real (existing) accounts had password failures", 'sum by (user) (count_over_time(%s |= "Failed password for" != "invalid user" | regexp "%s" [$__range]))' % (s, lq(r"Failed password for (?P<user>\S+) from")), fu, "distinct U in 'Failed password for U from' without 'invalid user'")
    iu = x.ext(r"Invalid user (\S+) from", has("Invalid user"))
    x.distinct("m", "distinct", "How many different usernames did the bogus-user login attempts try?", "user", s + ' |= "Invalid user" | regexp "%s" | user != ""' % lq(r"Invalid user (?P<user>\S+) from"), iu, "distinct U in 'Invalid user U from' (one line, 'Invalid user  0101 from', has two spaces and no name there: left out)")
    pm = x.ext(r"PAM (\d+) more authentication failure", conv=float)
    x.agg("m", "value", "What's the biggest 'N more authentication failures' number PAM reported in a single line?", "max", s + ' |= "more authentication failure" | regexp "%s"' % lq(r"PAM (?P<n>[0-9]+) more"), "n", pm, "max N in 'PAM N more authentication failure(s)'")
    x.count("m", "constraint", "how many failed password attempts came from 183.62.140.253", s + ' |= "Failed password" |= "from 183.62.140.253 port"', has("Failed password", "from 183.62.140.253 port"), "lines with 'Failed password' and 'from 183.62.140.253 port'")
    x.ratio("m", "arithmetic", "What percent of the failed password attempts were for usernames that don't exist?", s + ' |= "Failed password for invalid user"', has("Failed password for invalid user"), s + ' |= "Failed password"', has("Failed password"), "lines with 'Failed password for invalid user' / lines with 'Failed password' * 100")
    x.rate("m", "arithmetic", "Failed password attempts per minute, averaged over the whole log?", s + ' |= "Failed password"', has("Failed password"), "lines with 'Failed password'", per=60)
    x.lines_of("m", "lines", "Show me the PAM 'ignoring max retries' messages.", s + ' |= "ignoring max retries"', has("ignoring max retries"), "lines with 'ignoring max retries'")
    x.count("m", "paraphrase", "How many times did the reverse DNS of a connecting address not match it?", s + ' |= "reverse mapping checking getaddrinfo"', has("reverse mapping checking getaddrinfo"), "lines with 'reverse mapping checking getaddrinfo for ... failed - POSSIBLE BREAK-IN ATTEMPT!'")
    x.count("m", "paraphrase", "how many times did sshd run out of ways to authenticate a client?", s + ' |= "No more user authentication methods available"', has("No more user authentication methods available"), "lines with 'No more user authentication methods available'")
    x.top("m", "grouping", "Top 3 usernames tried by the invalid-user logins?", 3, "user", s + ' |= "Invalid user" | regexp "%s" | user != ""' % lq(r"Invalid user (?P<user>\S+) from"), Counter(iu), "the 3 most frequent U in 'Invalid user U from'")
    x.count("m", "constraint", "How many PAM authentication failures were there for user uucp?", s + ' |= "authentication failure" |= "user=uucp"', has("authentication failure", "user=uucp"), "lines with 'authentication failure' and 'user=uucp'")

    x.count("h", "family", "How many disconnect messages did sshd log, whatever the reason or wording?", s + ' |~ "Received disconnect|Disconnecting:"', rx(r"Received disconnect|Disconnecting:"), "lines with 'Received disconnect' (including the 'error: Received disconnect' ones) or 'Disconnecting:'")
    codes = x.ext(r"Received disconnect from [0-9.]+: (\d+):")
    x.labels("h", "grouping", "Break the received disconnects down by their numeric reason code.", 'sum by (code) (count_over_time(%s |= "Received disconnect" | regexp "%s" [$__range]))' % (s, lq(r"Received disconnect from [0-9.]+: (?P<code>[0-9]+):")), codes, "distinct N in 'Received disconnect from IP: N:'")
    cl = x.ext(r"Connection closed by ([0-9.]+)")
    x.distinct("h", "distinct", "Number of distinct client addresses that closed the connection before authenticating?", "ip", s + ' |= "Connection closed by" | regexp "%s"' % lq(r"Connection closed by (?P<ip>[0-9.]+)"), cl, "distinct IPs in 'Connection closed by IP [preauth]'")
    mr = x.ext(r"message repeated (\d+) times", conv=float)
    x.agg("h", "value", "When sshd folded repeats into 'message repeated N times', what was the biggest N?", "max", s + ' |= "message repeated" | regexp "%s"' % lq(r"repeated (?P<n>[0-9]+) times"), "n", mr, "max N in 'message repeated N times: [ ... ]'")
    x.count("h", "constraint", "how many bad passwords were entered for the non-existent user admin", s + ' |= "Failed password for invalid user admin from"', has("Failed password for invalid user admin from"), "lines with 'Failed password for invalid user admin from'")
    x.ratio("h", "arithmetic", "Which share of failed passwords targeted root? Give a percentage.", s + ' |= "Failed password for root"', has("Failed password for root"), s + ' |= "Failed password"', has("Failed password"), "lines with 'Failed password for root' (the 'message repeated' lines included) / lines with 'Failed password' * 100")
    x.lines_of("h", "lines", "What errors did sshd log?", s + ' |= "error:"', has("error:"), "lines with 'error:'")
    x.count("h", "paraphrase", "How many clients connected but never sent an SSH banner?", s + ' |= "Did not receive identification string"', has("Did not receive identification string"), "lines with 'Did not receive identification string'")
    if write:
        x.write()
    return x


def linux(write=True):
    x = Sheets("linux")
    s = x.s
    kfam = rx(r"Kerberos authentication failed|Authentication failed from")
    x.count("m", "family", "How many klogind authentication failures were logged, whichever message form they took?", s + ' |~ "Kerberos authentication failed|Authentication failed from"', kfam, "lines with 'Kerberos authentication failed' or 'Authentication failed from' (klogind)")
    su = x.ext(r"su\(pam_unix\)\[\d+\]: session opened for user (\S+)")
    x.labels("m", "grouping", "which accounts did people su into?", 'sum by (user) (count_over_time(%s |= "session opened for user" | regexp "%s" [$__range]))' % (x.sel(', component="su(pam_unix)"'), lq(r"session opened for user (?P<user>\S+)")), su, "distinct U in 'session opened for user U' of component su(pam_unix)")
    rh = x.ext(r"rhost=(\S+)", has("authentication failure"))
    x.distinct("m", "distinct", "How many unique remote hosts (rhost) had authentication failures?", "rhost", s + ' |= "authentication failure" | regexp "%s" | rhost != ""' % lq(r"rhost=(?P<rhost>\S+)"), rh, "distinct non-empty rhost= values in 'authentication failure' lines (the lines with an empty rhost= are left out)")
    mhz = x.ext(r"Detected ([0-9.]+) MHz processor", conv=float)
    x.agg("m", "value", "What CPU clock speed did the kernel detect at boot, in MHz?", "max", s + ' |= "MHz processor" | regexp "%s"' % lq(r"Detected (?P<mhz>[0-9.]+) MHz"), "mhz", mhz, "the M in 'Detected M MHz processor' (one line; max)")
    x.count("m", "constraint", "how many auth failures for the user test?", s + ' |= "authentication failure" |= "user=test"', has("authentication failure", "user=test"), "lines with 'authentication failure' and 'user=test'")
    x.ratio("m", "arithmetic", "What percentage of the authentication failures were against root?", s + ' |= "authentication failure" |= "user=root"', has("authentication failure", "user=root"), s + ' |= "authentication failure"', has("authentication failure"), "lines with 'authentication failure' and 'user=root' / lines with 'authentication failure' * 100")
    x.rate("m", "arithmetic", "On average how many ftp connections did we get per hour?", s + ' |= "connection from"', has("connection from"), "lines with 'connection from' (ftpd)")
    x.lines_of("m", "lines", "Were there any anonymous FTP logins? Show them.", s + ' |= "ANONYMOUS FTP LOGIN"', has("ANONYMOUS FTP LOGIN"), "lines with 'ANONYMOUS FTP LOGIN'")
    x.count("m", "paraphrase", "How many times was the printing service shut down?", s + ' |= "cupsd shutdown succeeded"', has("cupsd shutdown succeeded"), "lines with 'cupsd shutdown succeeded'")
    x.count("m", "paraphrase", "how many times did the log rotation job fail?", s + ' |= "ALERT exited abnormally"', has("ALERT exited abnormally"), "lines with 'ALERT exited abnormally' (logrotate)")
    x.labels("m", "grouping", "Which components reported authentication failures?", 'sum by (component) (count_over_time(%s |= "authentication failure" [$__range]))' % s, [k for k in x.group("component", has("authentication failure")) if k], "distinct components of lines with 'authentication failure'")
    x.count("m", "constraint", "How many ftp connections came from 207.30.238.8?", s + ' |= "connection from 207.30.238.8 "', has("connection from 207.30.238.8 "), "lines with 'connection from 207.30.238.8 '")

    x.count("h", "family", "How many udev device node changes were logged, creations and removals together?", s + ' |~ "creating device node|removing device node"', rx(r"creating device node|removing device node"), "lines with 'creating device node' or 'removing device node'")
    why = x.ext(r"Authentication failed from \S+ \(\S+\): (.*?) *$")
    x.labels("h", "grouping", "What reasons did klogind give when authentication failed?", 'sum by (reason) (count_over_time(%s |= "Authentication failed from" | regexp "%s" [$__range]))' % (s, lq(r"\): (?P<reason>.*?) *$")), why, "distinct texts after '): ' in 'Authentication failed from H (H): REASON' (trailing spaces dropped)")
    tu = x.ext(r"authentication failure;.* user=(\S+)")
    x.distinct("h", "distinct", "Number of different user accounts targeted by the sshd/pam authentication failures?", "user", s + ' |= "authentication failure" | regexp "%s" | user != ""' % lq(r" user=(?P<user>\S+)"), tu, "distinct U in ' user=U' of 'authentication failure' lines (lines without user= have none)")
    zp = x.ext(r"zone: (\d+) pages", conv=float)
    x.agg("h", "value", "Add up the pages in the kernel's memory zones at boot (DMA, Normal, HighMem): what's the total?", "sum", s + ' |= "zone:" |= "pages" | regexp "%s"' % lq(r"zone: (?P<pages>[0-9]+) pages"), "pages", zp, "sum of N in 'zone: N pages' (DMA, Normal and HighMem zone lines)")
    x.count("h", "constraint", "How many messages came from the named DNS daemon?", x.sel(', component="named"'), lab("component", "named"), "lines of component named")
    x.ratio("h", "arithmetic", "what share of the log did ftpd write, in percent?", x.sel(', component="ftpd"'), lab("component", "ftpd"), s, ALL, "lines of component ftpd / all lines * 100")
    x.lines_of("h", "lines", "Show me what xinetd warned about.", s + ' |= "xinetd" |= "warning"', has("xinetd", "warning"), "lines with 'xinetd' and 'warning'")
    x.count("h", "paraphrase", "How many times was the system logger restarted?", s + ' |= "syslogd 1.4.1: restart."', has("syslogd 1.4.1: restart."), "lines with 'syslogd 1.4.1: restart.'")
    if write:
        x.write()
    return x


def apache(write=True):
    x = Sheets("apache")
    s = x.s
    st = x.ext(r"error state (\d+)")
    sx = s + ' |= "error state" | regexp "%s"' % lq(r"error state (?P<state>[0-9]+)")
    x.labels("m", "grouping", "which workerEnv error state numbers showed up?", "sum by (state) (count_over_time(%s [$__range]))" % sx, st, "distinct N in 'error state N'")
    fc = x.ext(r"Found child (\d+)")
    x.distinct("m", "distinct", "How many unique child PIDs were found in the scoreboard?", "pid", s + ' |= "Found child" | regexp "%s"' % lq(r"Found child (?P<pid>[0-9]+)"), fc, "distinct N in 'Found child N'")
    x.agg("m", "value", "What was the highest child PID jk2_init found in the scoreboard?", "max", s + ' |= "Found child" | regexp "%s"' % lq(r"Found child (?P<pid>[0-9]+)"), "pid", [float(v) for v in fc], "max N in 'Found child N'")
    slots = x.ext(r"scoreboard slot (\d+)", conv=float)
    x.agg("m", "value", "What's the lowest scoreboard slot a child was found in?", "min", s + ' |= "scoreboard slot" | regexp "%s"' % lq(r"scoreboard slot (?P<slot>[0-9]+)"), "slot", slots, "min N in 'scoreboard slot N'")
    x.count("m", "constraint", "How many times was a child found in scoreboard slot 8?", s + ' |~ "scoreboard slot 8$"', rx(r"scoreboard slot 8$"), "lines ending with 'scoreboard slot 8'")
    found = has("Found child")
    x.ratio("m", "arithmetic", "What percentage of the children found in the scoreboard sat in slot 10 or higher?", s + ' |= "Found child" |~ "scoreboard slot 1[0-9]$"', both(found, rx(r"scoreboard slot 1[0-9]$")), s + ' |= "Found child"', found, "lines with 'Found child' ending with 'scoreboard slot 1N' / lines with 'Found child' * 100")
    x.rate("m", "arithmetic", "How many children per hour did jk2_init find in the scoreboard, on average?", s + ' |= "Found child"', found, "lines with 'Found child'")
    x.lines_of("m", "lines", "Show me the mod_jk child init failures.", s + ' |= "mod_jk child init"', has("mod_jk child init"), "lines with 'mod_jk child init'")
    x.count("m", "level", "How many warn-level lines are in the Apache log?", x.sel(', level="warn"'), lab("level", "warn"), "lines of level warn (none: the levels are notice and error)")
    x.count("m", "level", "Count the error-level lines that don't come from mod_jk.", x.sel(', level="error"') + ' != "mod_jk"', both(lab("level", "error"), lambda l: "mod_jk" not in l.raw), "lines of level error without 'mod_jk'")
    x.count("m", "paraphrase", "How many times did Apache refuse to list a directory's contents?", s + ' |= "Directory index forbidden"', has("Directory index forbidden"), "lines with 'Directory index forbidden by rule'")
    x.count("m", "paraphrase", "How many worker processes got matched to a scoreboard slot?", s + ' |= "Found child" |= "scoreboard slot"', has("Found child", "scoreboard slot"), "lines with 'Found child N in scoreboard slot M'")

    x.count("h", "family", "How many scoreboard lookups did jk2_init log, successful or not?", s + ' |= "in scoreboard"', has("in scoreboard"), "lines with 'in scoreboard' ('Found child N in scoreboard slot M' and \"Can't find child N in scoreboard\")")
    x.labels("h", "grouping", "At which levels were the jk2_init scoreboard messages logged?", 'sum by (level) (count_over_time(%s |= "jk2_init()" [$__range]))' % s, [k for k in x.group("level", has("jk2_init()")) if k], "distinct levels of lines with 'jk2_init()'")
    cf = x.ext(r"Can't find child (\d+)")
    x.distinct("h", "distinct", "How many distinct child processes went missing from the scoreboard?", "pid", s + " |= \"Can't find child\" | regexp \"%s\"" % lq(r"find child (?P<pid>[0-9]+)"), cf, "distinct N in \"Can't find child N in scoreboard\"")
    x.agg("h", "value", "On average, which scoreboard slot number do children land in?", "avg", s + ' |= "scoreboard slot" | regexp "%s"' % lq(r"scoreboard slot (?P<slot>[0-9]+)"), "slot", slots, "mean N in 'scoreboard slot N'")
    x.count("h", "constraint", "How many children were put in scoreboard slot 10?", s + ' |~ "scoreboard slot 10$"', rx(r"scoreboard slot 10$"), "lines ending with 'scoreboard slot 10'")
    sc = rx(r"Found child|Can't find child")
    x.ratio("h", "arithmetic", "What fraction of the scoreboard lookups failed to find the child? (percent)", s + " |= \"Can't find child\"", has("Can't find child"), s + ' |~ "Found child|Can\'t find child"', sc, "lines with \"Can't find child\" / lines with 'Found child' or \"Can't find child\" * 100")
    x.lines_of("h", "lines", "list the lines where workerEnv hit error state 10", s + ' |~ "error state 10$"', rx(r"error state 10$"), "lines ending with 'error state 10'")
    x.count("h", "level", "Any critical-level entries (crit, alert or emerg) in the Apache log? How many?", x.sel(', level=~"crit|alert|emerg"'), lambda l: l.labels.get("level") in ("crit", "alert", "emerg"), "lines of level crit, alert or emerg (none)")
    if write:
        x.write()
    return x


def zookeeper(write=True):
    x = Sheets("zookeeper")
    s = x.s
    x.count("m", "family", "How many client socket connections were closed, with or without an established session?", s + ' |= "Closed socket connection for client"', has("Closed socket connection for client"), "lines with 'Closed socket connection for client' (both 'which had sessionid' and 'no session established')")
    ea = x.ext(r"election address /([0-9.]+):")
    x.labels("m", "grouping", "Which election addresses could this server not open a channel to?", 'sum by (ip) (count_over_time(%s |= "Cannot open channel" | regexp "%s" [$__range]))' % (s, lq(r"election address /(?P<ip>[0-9.]+):")), ea, "distinct IPs in 'Cannot open channel to N at election address /IP:port'")
    ex = x.ext(r"Expiring session (0x[0-9a-f]+)")
    x.distinct("m", "distinct", "how many unique sessions expired?", "session", s + ' |= "Expiring session" | regexp "%s"' % lq(r"Expiring session (?P<session>0x[0-9a-f]+)"), ex, "distinct ids in 'Expiring session 0x...'")
    nt = x.ext(r"negotiated timeout (\d+)", conv=float)
    x.agg("m", "value", "What's the average negotiated session timeout, in ms?", "avg", s + ' |= "negotiated timeout" | regexp "%s"' % lq(r"negotiated timeout (?P<t>[0-9]+)"), "t", nt, "mean N in 'Established session ... with negotiated timeout N'")
    x.count("m", "constraint", "How many socket connections were accepted from 10.10.34.11?", s + ' |= "Accepted socket connection from /10.10.34.11:"', has("Accepted socket connection from /10.10.34.11:"), "lines with 'Accepted socket connection from /10.10.34.11:'")
    x.ratio("m", "arithmetic", "Expired sessions as a percentage of sessions established?", s + ' |= "Expiring session"', has("Expiring session"), s + ' |= "Established session"', has("Established session"), "lines with 'Expiring session' / lines with 'Established session' * 100")
    x.rate("m", "arithmetic", "how many quorum connection requests per hour, on average?", s + ' |= "Received connection request"', has("Received connection request"), "lines with 'Received connection request'")
    x.lines_of("m", "lines", "Show the lines where leader election finished and how long it took.", s + ' |= "LEADER ELECTION TOOK"', has("LEADER ELECTION TOOK"), "lines with 'LEADER ELECTION TOOK'")
    x.count("m", "level", "How many FATAL lines did ZooKeeper log?", x.sel(', level="FATAL"'), lab("level", "FATAL"), "lines of level FATAL (none: the levels are INFO, WARN and ERROR)")
    x.count("m", "level", "how many ERROR lines came from the LearnerHandler?", x.sel(', level="ERROR"') + ' |= "LearnerHandler@"', both(lab("level", "ERROR"), has("LearnerHandler@")), "lines of level ERROR with 'LearnerHandler@' in the bracket")
    x.count("m", "level", "Count the INFO messages from NIOServerCnxnFactory.", x.sel(', level="INFO"') + ' |= ":NIOServerCnxnFactory@"', both(lab("level", "INFO"), has(":NIOServerCnxnFactory@")), "lines of level INFO with ':NIOServerCnxnFactory@' in the bracket")
    x.count("m", "paraphrase", "How many times did a client show up with an outdated client library?", s + ' |= "Connection request from old client"', has("Connection request from old client"), "lines with 'Connection request from old client'")
    x.count("m", "paraphrase", "How many times did a follower sync by pulling a full snapshot from the leader?", s + ' |= "Getting a snapshot from leader"', has("Getting a snapshot from leader"), "lines with 'Getting a snapshot from leader'")
    cc = Counter(x.ext(r"for client /([0-9.]+):\d+ which had"))
    x.top("m", "grouping", "Top 2 client IPs by closed sessions (socket closed with a session id)?", 2, "ip", s + ' |= "which had sessionid" | regexp "%s"' % lq(r"for client /(?P<ip>[0-9.]+):"), cc, "the 2 most frequent IPs in 'Closed socket connection for client /IP:port which had sessionid'")

    x.count("h", "family", "How many times did a client try to set up a session, new or renewed?", s + ' |~ "Client attempting to (establish new|renew) session"', rx(r"Client attempting to (establish new|renew) session"), "lines with 'Client attempting to establish new session' or 'Client attempting to renew session'")
    gb = x.ext(r"GOODBYE /([0-9.]+):")
    x.labels("h", "grouping", "Which peers said GOODBYE?", 'sum by (ip) (count_over_time(%s |= "GOODBYE" | regexp "%s" [$__range]))' % (s, lq(r"GOODBYE /(?P<ip>[0-9.]+):")), gb, "distinct IPs in '******* GOODBYE /IP:port ********'")
    ac = x.ext(r"Accepted socket connection from /([0-9.]+):")
    x.distinct("h", "distinct", "Number of different client machines that opened socket connections to the server?", "ip", s + ' |= "Accepted socket connection" | regexp "%s"' % lq(r"from /(?P<ip>[0-9.]+):"), ac, "distinct IPs in 'Accepted socket connection from /IP:port'")
    le = x.ext(r"LEADER ELECTION TOOK - (\d+)", conv=float)
    x.agg("h", "value", "How long did leader election take in total, adding up every election (ms)?", "sum", s + ' |= "LEADER ELECTION TOOK" | regexp "%s"' % lq(r"TOOK - (?P<ms>[0-9]+)"), "ms", le, "sum of N in 'LEADER ELECTION TOOK - N'")
    x.count("h", "constraint", "how often did the connection to peer id 188978561024 break", s + ' |= "Connection broken for id 188978561024,"', has("Connection broken for id 188978561024,"), "lines with 'Connection broken for id 188978561024,'")
    x.ratio("h", "arithmetic", "What share of the quorum connection requests came from 10.10.34.13, in percent?", s + ' |= "Received connection request /10.10.34.13:"', has("Received connection request /10.10.34.13:"), s + ' |= "Received connection request"', has("Received connection request"), "lines with 'Received connection request /10.10.34.13:' / lines with 'Received connection request' * 100")
    x.lines_of("h", "lines", "Show me where sessions were closed because the server wasn't running.", s + ' |= "ZooKeeperServer not running"', has("ZooKeeperServer not running"), "lines with 'ZooKeeperServer not running'")
    x.count("h", "paraphrase", "How many times did a quorum send worker thread quit?", s + ' |= "Send worker leaving thread"', has("Send worker leaving thread"), "lines with 'Send worker leaving thread'")
    if write:
        x.write()
    return x


def openstack(write=True):
    x = Sheets("openstack")
    s = x.s
    x.count("m", "family", "How many VM lifecycle events (started, paused, resumed, stopped) were recorded?", s + ' |= "(Lifecycle Event)"', has("(Lifecycle Event)"), "lines with '(Lifecycle Event)' (VM Started, Paused, Resumed, Stopped)")
    meth = x.ext(r'"([A-Z]+) \S+ HTTP', has("status: "))
    mx = s + ' |= "status: " | regexp "%s"' % lq(r'"(?P<method>[A-Z]+) [^ ]+ HTTP')
    x.labels("m", "grouping", "which HTTP methods were used against the API?", "sum by (method) (count_over_time(%s [$__range]))" % mx, meth, "distinct M in '\"M /path HTTP/1.1\"' of request lines (with 'status: ')")
    ins = x.ext(r"\[instance: ([0-9a-f-]+)\]")
    x.distinct("m", "distinct", "How many distinct instances appear in the compute logs?", "instance", s + ' |= "[instance: " | regexp "%s"' % lq(r"\[instance: (?P<instance>[0-9a-f-]+)\]"), ins, "distinct ids in '[instance: ID]'")
    de = x.ext(r"Took ([0-9.]+) seconds to destroy", conv=float)
    x.agg("m", "value", "Average time to tear down an instance on the hypervisor, in seconds?", "avg", s + ' |= "seconds to destroy" | regexp "%s"' % lq(r"Took (?P<t>[0-9.]+) seconds"), "t", de, "mean T in 'Took T seconds to destroy the instance on the hypervisor'")
    x.count("m", "constraint", "How many POST requests came back with status 202?", s + ' |= "\\"POST " |= "status: 202"', has('"POST ', "status: 202"), "lines with '\"POST ' and 'status: 202'")
    x.ratio("m", "arithmetic", "What percentage of API requests returned 404?", s + ' |= "status: 404"', has("status: 404"), s + ' |= "status: "', has("status: "), "lines with 'status: 404' / lines with 'status: ' * 100")
    sp = x.ext(r"Took ([0-9.]+) seconds to spawn", conv=float)
    x.agg("m", "arithmetic", "How long did the hypervisor spend spawning instances, all together (seconds)?", "sum", s + ' |= "seconds to spawn" | regexp "%s"' % lq(r"Took (?P<t>[0-9.]+) seconds"), "t", sp, "sum of T in 'Took T seconds to spawn the instance on the hypervisor' (a duration, not the number of spawns)")
    x.count("m", "arithmetic", "How many times did the hypervisor spawn an instance?", s + ' |= "seconds to spawn"', has("seconds to spawn"), "lines with 'Took T seconds to spawn the instance on the hypervisor' (a count, not the time spent)")
    x.lines_of("m", "lines", "Show me the WARNING lines that aren't about unknown base files.", x.sel(', level="WARNING"') + ' != "Unknown base file"', both(lab("level", "WARNING"), lambda l: "Unknown base file" not in l.raw), "lines of level WARNING without 'Unknown base file'")
    x.count("m", "level", "How many ERROR entries did nova log?", x.sel(', level="ERROR"'), lab("level", "ERROR"), "lines of level ERROR (none: the levels are INFO and WARNING)")
    x.count("m", "paraphrase", "How many cached images were cleaned off the disk?", s + ' |= "Removing base or swap file"', has("Removing base or swap file"), "lines with 'Removing base or swap file'")
    paths = Counter(x.ext(r'"(?:GET|POST|DELETE|PUT) (\S+) HTTP'))
    x.top("m", "grouping", "Top 2 request paths by number of calls?", 2, "path", s + ' |= "status: " | regexp "%s"' % lq(r'"[A-Z]+ (?P<path>[^ ]+) HTTP'), paths, "the 2 most frequent paths in '\"M /path HTTP/1.1\"'")

    x.count("h", "family", "How many requests modified something, i.e. POSTs plus DELETEs?", s + ' |~ "\\"(POST|DELETE) "', rx(r'"(POST|DELETE) '), "lines with '\"POST ' or '\"DELETE '")
    x.labels("h", "grouping", "Which nova components logged warnings?", 'sum by (component) (count_over_time(%s [$__range]))' % x.sel(', level="WARNING"'), [k for k in x.group("component", lab("level", "WARNING")) if k], "distinct components of WARNING lines")
    rq = x.ext(r"\[(req-[0-9a-f-]+)", lab("component", "nova.osapi_compute.wsgi.server"))
    x.distinct("h", "distinct", "How many distinct request ids did the compute API's wsgi server log?", "req", x.sel(', component="nova.osapi_compute.wsgi.server"') + ' | regexp "%s"' % lq(r"\[(?P<req>req-[0-9a-f-]+)"), rq, "distinct req-... ids in the [...] field of component nova.osapi_compute.wsgi.server")
    dn = x.ext(r"Took ([0-9.]+) seconds to deallocate network", conv=float)
    x.agg("h", "value", "What was the quickest network deallocation for an instance, in seconds?", "min", s + ' |= "seconds to deallocate network" | regexp "%s"' % lq(r"Took (?P<t>[0-9.]+) seconds"), "t", dn, "min T in 'Took T seconds to deallocate network for instance'")
    x.count("h", "constraint", "how many log lines mention instance b562ef10-ba2d-48ae-bf4a-18666cba4a51", s + ' |= "b562ef10-ba2d-48ae-bf4a-18666cba4a51"', has("b562ef10-ba2d-48ae-bf4a-18666cba4a51"), "lines with 'b562ef10-ba2d-48ae-bf4a-18666cba4a51'")
    bt = x.ext(r"Took ([0-9.]+) seconds to build instance", conv=float)
    x.agg("h", "arithmetic", "In total, how many seconds were spent building instances?", "sum", s + ' |= "seconds to build instance" | regexp "%s"' % lq(r"Took (?P<t>[0-9.]+) seconds"), "t", bt, "sum of T in 'Took T seconds to build instance' (a duration, not a count)")
    x.lines_of("h", "lines", "Show me the requests that came back 404.", s + ' |= "status: 404"', has("status: 404"), "lines with 'status: 404'")
    x.count("h", "paraphrase", "How many times was the scheduler's view of a host's instances out of sync?", s + ' |= "did not match"', has("did not match"), "lines with 'The instance sync for host ... did not match'")
    if write:
        x.write()
    return x


def windows(write=True):
    x = Sheets("windows")
    s = x.s
    x.count("m", "family", "How many SQM upload failures were logged, counting every variant of the message?", s + ' |= "SQM:" |= "Failed to"', has("SQM:", "Failed to"), "lines with 'SQM:' and 'Failed to' (start upload with file pattern, start standard sample upload, upload all unsent reports)")
    hr = x.ext(r"HRESULT = 0x[0-9a-f]+ - (\w+)\]")
    x.labels("m", "grouping", "which HRESULT error names appear in the log?", 'sum by (err) (count_over_time(%s |= "HRESULT" | regexp "%s" [$__range]))' % (s, lq(r"HRESULT = 0x[0-9a-f]+ - (?P<err>[A-Za-z_]+)\]")), hr, "distinct NAME in '[HRESULT = 0x... - NAME]'")
    ss = x.ext(r"Session: (\S+) initialized by")
    x.distinct("m", "distinct", "How many unique CBS sessions got initialized?", "session", s + ' |= "initialized by client" | regexp "%s"' % lq(r"Session: (?P<session>[0-9_]+) initialized"), ss, "distinct ids in 'Session: ID initialized by client'")
    ap = x.ext(r"ApplicableState: (\d+)", conv=float)
    x.agg("m", "value", "What's the average ApplicableState in the cached applicability reads?", "avg", s + ' |= "ApplicableState: " | regexp "%s"' % lq(r"ApplicableState: (?P<state>[0-9]+)"), "state", ap, "mean N in 'ApplicableState: N'")
    x.count("m", "constraint", "How many cached applicability reads had ApplicableState 80?", s + ' |= "ApplicableState: 80,"', has("ApplicableState: 80,"), "lines with 'ApplicableState: 80,'")
    x.ratio("m", "arithmetic", "What percentage of the CBS sessions were opened by WindowsUpdateAgent?", s + ' |= "initialized by client WindowsUpdateAgent"', has("initialized by client WindowsUpdateAgent"), s + ' |= "initialized by client"', has("initialized by client"), "lines with 'initialized by client WindowsUpdateAgent' / lines with 'initialized by client' * 100")
    x.rate("m", "arithmetic", "How many WindowsUpdateAgent sessions were started per hour, on average?", s + ' |= "initialized by client WindowsUpdateAgent"', has("initialized by client WindowsUpdateAgent"), "lines with 'initialized by client WindowsUpdateAgent'")
    x.lines_of("m", "lines", "Show me the SQM failures.", s + ' |= "SQM:" |= "Failed"', has("SQM:", "Failed"), "lines with 'SQM:' and 'Failed'")
    x.count("m", "level", "How many Error-level lines are in the CBS log?", x.sel(', level="Error"'), lab("level", "Error"), "lines of level Error (none: every line is Info)")
    x.count("m", "level", "how many Info lines did CSI write?", x.sel(', level="Info", component="CSI"'), both(lab("level", "Info"), lab("component", "CSI")), "lines of level Info and component CSI")
    x.count("m", "paraphrase", "How many times was the servicing stack loaded?", s + ' |= "Loaded Servicing Stack"', has("Loaded Servicing Stack"), "lines with 'Loaded Servicing Stack'")
    x.count("m", "paraphrase", "How many times did CSI skip cleaning up its store because nothing had changed since the last cleanup?", s + ' |= "skipping scavenge"', has("skipping scavenge"), "lines with 'Store coherency cookie matches last scavenge cookie, skipping scavenge.'")
    hv = x.ext(r"Loading offline registry hive: ([^,]+),")
    x.labels("m", "grouping", "Which registry hives were loaded offline?", 'sum by (hive) (count_over_time(%s |= "Loading offline registry hive" | regexp "%s" [$__range]))' % (s, lq(r"hive: (?P<hive>[^,]+),")), hv, "distinct names in 'Loading offline registry hive: NAME,'")

    x.count("h", "family", "How many startup-processing checks (NonStart) were logged, the check and its outcome together?", s + ' |= "NonStart:"', has("NonStart:"), "lines with 'NonStart:' ('Checking to ensure startup processing was not required.' and 'Success, startup processing not required as expected.')")
    cli = x.ext(r"initialized by client (\w+)")
    x.labels("h", "grouping", "Which clients opened CBS sessions?", 'sum by (client) (count_over_time(%s |= "initialized by client" | regexp "%s" [$__range]))' % (s, lq(r"by client (?P<client>[A-Za-z]+)")), cli, "distinct C in 'initialized by client C.'")
    hc = x.ext(r"HRESULT = (0x[0-9a-f]+)")
    x.distinct("h", "distinct", "Number of distinct HRESULT codes reported?", "code", s + ' |= "HRESULT = " | regexp "%s"' % lq(r"HRESULT = (?P<code>0x[0-9a-f]+)"), hc, "distinct hex codes in '[HRESULT = 0x...'")
    cst = x.ext(r"CSI Store (\d+) \(", conv=float)
    x.agg("h", "value", "what is the largest CSI Store number that got initialized", "max", s + ' |= "CSI Store" |= "initialized" | regexp "%s"' % lq(r"CSI Store (?P<store>[0-9]+) \("), "store", cst, "max N in 'CSI Store N (0x...) initialized'")
    pk = "Package_for_KB2552343~31bf3856ad364e35~amd64~~6.1.1.0"
    x.count("h", "constraint", "How many times was the cached applicability of package %s read?" % pk, s + ' |= "package: %s,"' % pk, has("package: %s," % pk), "lines with 'package: %s,'" % pk)
    csi = lab("component", "CSI")
    x.ratio("h", "arithmetic", "What percentage of the CSI lines are WcpInitialize calls?", x.sel(', component="CSI"') + ' |= "WcpInitialize"', both(csi, has("WcpInitialize")), x.sel(', component="CSI"'), csi, "lines of component CSI with 'WcpInitialize' / lines of component CSI * 100")
    x.lines_of("h", "lines", "Show me where packages could not be opened.", s + ' |= "Failed to internally open package"', has("Failed to internally open package"), "lines with 'Failed to internally open package'")
    x.count("h", "paraphrase", "How many times did the installer service come up successfully?", s + ' |= "TrustedInstaller service starts successfully"', has("TrustedInstaller service starts successfully"), "lines with 'TrustedInstaller service starts successfully'")
    if write:
        x.write()
    return x


def android(write=True):
    x = Sheets("android")
    s = x.s
    ah = rx(r"(?i)autohide")
    x.count("m", "family", "How many status bar autohide changes were logged (suspended, resumed or cancelled)?", s + ' |~ "(?i)autohide"', ah, "lines with 'autohide' in any case (suspendAutohide, resumeSuspendedAutohide, cancelAutohide)")
    tags = x.ext(r'acquire lock=\d+, flags=\S+, tag="([^"]+)"')
    x.labels("m", "grouping", "which wake lock tags were acquired?", 'sum by (tag) (count_over_time(%s |= "acquire lock=" | regexp "%s" [$__range]))' % (s, lq(r'tag="(?P<tag>[^"]+)"')), tags, "distinct T in 'acquire lock=... tag=\"T\"'")
    cal = x.ext(r"caller (\d+) does not hold REAL_GET_TASKS")
    x.distinct("m", "distinct", "How many different caller uids were refused REAL_GET_TASKS?", "uid", s + ' |= "does not hold REAL_GET_TASKS" | regexp "%s"' % lq(r"caller (?P<uid>[0-9]+) does not hold"), cal, "distinct N in 'caller N does not hold REAL_GET_TASKS'")
    tr = x.ext(r"updateClipping .*Translation=(-?[0-9.]+)", conv=float)
    x.agg("m", "value", "What is the average Translation value in the updateClipping lines?", "avg", s + ' |= "updateClipping" | regexp "%s"' % lq(r"Translation=(?P<t>-?[0-9.]+)"), "t", tr, "mean T in 'updateClipping ... Translation=T' (negative decimals)")
    x.count("m", "constraint", "How many REAL_GET_TASKS denials were for caller 10111?", s + ' |= "caller 10111 does not hold REAL_GET_TASKS"', has("caller 10111 does not hold REAL_GET_TASKS"), "lines with 'caller 10111 does not hold REAL_GET_TASKS' (getRunningAppProcesses and getTasks)")
    am = lab("component", "ActivityManager")
    x.ratio("m", "arithmetic", "what percent of ActivityManager's lines are warnings (W)?", x.sel(', level="W", component="ActivityManager"'), both(lab("level", "W"), am), x.sel(', component="ActivityManager"'), am, "lines of level W and component ActivityManager / lines of component ActivityManager * 100")
    pms = lab("component", "PowerManagerService")
    x.ratio("m", "arithmetic", "What share of PowerManagerService's lines are wake lock acquisitions, in percent?", x.sel(', component="PowerManagerService"') + ' |= "acquire lock="', both(pms, has("acquire lock=")), x.sel(', component="PowerManagerService"'), pms, "lines of component PowerManagerService with 'acquire lock=' / lines of component PowerManagerService * 100")
    x.lines_of("m", "lines", "Show me the errors from ActivityManager.", x.sel(', level="E", component="ActivityManager"'), both(lab("level", "E"), lab("component", "ActivityManager")), "lines of level E and component ActivityManager")
    x.count("m", "level", "How many fatal (F) lines are there?", x.sel(', level="F"'), lab("level", "F"), "lines of level F (none: the levels are V, D, I, W and E)")
    x.count("m", "level", "how many info (I) lines did ActivityManager write", x.sel(', level="I", component="ActivityManager"'), both(lab("level", "I"), am), "lines of level I and component ActivityManager")
    x.count("m", "paraphrase", "How many window surfaces were torn down?", s + ' |= "Destroying surface"', has("Destroying surface"), "lines with 'Destroying surface'")
    x.count("m", "paraphrase", "How many times was the quick settings panel closed?", s + ' |= "closeQs"', has("closeQs"), "lines with 'closeQs'")
    vc = x.group("component", lab("level", "V"))
    x.top("m", "grouping", "Top 2 components by verbose lines?", 2, "component", x.sel(', level="V"'), vc, "the 2 components with most lines of level V")

    x.count("h", "family", "How many suspend blocker events were logged, acquisitions and releases together?", s + ' |= "suspend blocker"', has("suspend blocker"), "lines with 'suspend blocker' (Acquiring and Releasing)")
    x.labels("h", "grouping", "Which components logged warnings?", 'sum by (component) (count_over_time(%s [$__range]))' % x.sel(', level="W"'), [k for k in x.group("component", lab("level", "W")) if k], "distinct components of lines of level W")
    sf = x.ext(r"Destroying surface Surface\(name=([^)]+)\)")
    x.distinct("h", "distinct", "Number of distinct surfaces destroyed?", "name", s + ' |= "Destroying surface" | regexp "%s"' % lq(r"Surface\(name=(?P<name>[^)]+)\)"), sf, "distinct NAME in 'Destroying surface Surface(name=NAME)'")
    ov = x.ext(r"overlapAmount:(-?[0-9.]+)", conv=float)
    x.agg("h", "value", "what's the mean overlapAmount in the notification stack scroll lines", "avg", s + ' |= "overlapAmount:" | regexp "%s"' % lq(r"overlapAmount:(?P<o>-?[0-9.]+)"), "o", ov, "mean N in 'overlapAmount:N'")
    x.count("h", "constraint", "How many wake locks tagged RILJ_ACK_WL were acquired?", s + ' |= "acquire lock=" |= "tag=\\"RILJ_ACK_WL\\""', has("acquire lock=", 'tag="RILJ_ACK_WL"'), "lines with 'acquire lock=' and 'tag=\"RILJ_ACK_WL\"'")
    nm = lab("component", "NotificationManager")
    x.ratio("h", "arithmetic", "What percentage of NotificationManager's lines are cancellations by tag?", x.sel(', component="NotificationManager"') + ' |= "cancelNotificationWithTag"', both(nm, has("cancelNotificationWithTag")), x.sel(', component="NotificationManager"'), nm, "lines of component NotificationManager with 'cancelNotificationWithTag' / lines of component NotificationManager * 100")
    x.lines_of("h", "lines", "What errors did the keyguard log?", x.sel(', level="E", component="KeyguardUpdateMonitor"'), both(lab("level", "E"), lab("component", "KeyguardUpdateMonitor")), "lines of level E and component KeyguardUpdateMonitor")
    x.count("h", "paraphrase", "How many app processes did ActivityManager clean up after they died?", s + ' |= "cleanUpApplicationRecord -- "', has("cleanUpApplicationRecord -- "), "lines with 'cleanUpApplicationRecord -- PID' (one per cleaned-up process; the two cleanUpApplicationRecordLocked lines of each cleanup not counted)")
    if write:
        x.write()
    return x


def bgl(write=True):
    x = Sheets("bgl")
    s = x.s
    x.count("m", "family", "How many alignment exception reports were there, of any kind (floating point, double-hummer, integer)?", s + ' |= "alignment exceptions"', has("alignment exceptions"), "lines with 'alignment exceptions' (floating point, double-hummer and integer)")
    x.labels("m", "grouping", "which components logged FATAL lines?", 'sum by (component) (count_over_time(%s [$__range]))' % x.sel(', level="FATAL"'), [k for k in x.group("component", lab("level", "FATAL")) if k], "distinct components of FATAL lines")
    gc = x.ext(r"^\S+ \d+ \S+ (\S+) ", has("generating core"))
    x.distinct("m", "distinct", "How many different nodes generated core files?", "node", s + ' |= "generating core" | regexp "%s"' % lq(r"^[^ ]+ [0-9]+ [^ ]+ (?P<node>[^ ]+) "), gc, "distinct Node fields (the 4th) of 'generating core' lines")
    dh = x.ext(r"(\d+) double-hummer alignment exceptions", conv=float)
    x.agg("m", "value", "What's the largest double-hummer alignment exception count reported in one line?", "max", s + ' |= "double-hummer alignment exceptions" | regexp "%s"' % lq(r"(?P<n>[0-9]+) double-hummer"), "n", dh, "max N in 'N double-hummer alignment exceptions'")
    node = "R30-M0-N9-C:J16-U01"
    x.count("m", "constraint", "How many lines did node R30-M0-N9-C:J16-U01 write?", s + ' |= "%s"' % node, has(node), "lines with 'R30-M0-N9-C:J16-U01' (its Node field)")
    x.ratio("m", "arithmetic", "What fraction of the BGL lines are FATAL, as a percentage?", x.sel(', level="FATAL"'), lab("level", "FATAL"), s, ALL, "lines of level FATAL / all lines * 100")
    x.ratio("m", "arithmetic", "Of the ciod program load errors, what percent were 'Permission denied'?", s + ' |= "ciod: Error loading" |= "Permission denied"', has("ciod: Error loading", "Permission denied"), s + ' |= "ciod: Error loading"', has("ciod: Error loading"), "lines with 'ciod: Error loading' and 'Permission denied' / lines with 'ciod: Error loading' * 100")
    x.lines_of("m", "lines", "list the Lustre mount failures", s + ' |= "Lustre mount FAILED"', has("Lustre mount FAILED"), "lines with 'Lustre mount FAILED'")
    x.count("m", "level", "How many ERROR lines did MMCS log?", x.sel(', level="ERROR", component="MMCS"'), both(lab("level", "ERROR"), lab("component", "MMCS")), "lines of level ERROR and component MMCS")
    x.count("m", "level", "How many FAILURE-level lines are there?", x.sel(', level="FAILURE"'), lab("level", "FAILURE"), "lines of level FAILURE (none)")
    x.count("m", "paraphrase", "How many node cards said they weren't fully working?", s + ' |= "Node card is not fully functional"', has("Node card is not fully functional"), "lines with 'Node card is not fully functional'")
    x.count("m", "paraphrase", "how many times did a job's debugger die?", s + ' |= "Detected the debugger died"', has("Detected the debugger died"), "lines with 'Detected the debugger died'")
    al = x.group("alert", lambda l: l.labels.get("alert", "-") != "-")
    x.top("m", "grouping", "Top 3 alert categories by line count?", 3, "alert", x.sel(', alert!="-"'), al, "the 3 most frequent Label fields other than '-'")

    x.count("h", "family", "How many DDR memory error corrections were reported in total, whichever wording the message used?", s + ' |= "detected and corrected"', has("detected and corrected"), "lines with 'detected and corrected' ('ddr errors(s) detected and corrected on rank', 'ddr error(s) detected and corrected', 'total of N ddr error(s) detected and corrected')")
    x.labels("h", "grouping", "Which levels did the DISCOVERY component log at?", 'sum by (level) (count_over_time(%s [$__range]))' % x.sel(', component="DISCOVERY"'), [k for k in x.group("level", lab("component", "DISCOVERY")) if k], "distinct levels of component DISCOVERY")
    pr = x.ext(r"ciod: Error loading ([^:]+):")
    x.distinct("h", "distinct", "How many distinct program images failed to load?", "prog", s + ' |= "ciod: Error loading" | regexp "%s"' % lq(r"Error loading (?P<prog>[^:]+):"), pr, "distinct paths in 'ciod: Error loading PATH:'")
    fp = x.ext(r"(\d+) floating point alignment exceptions", conv=float)
    x.agg("h", "value", "On average, how many floating point alignment exceptions does one report carry?", "avg", s + ' |= "floating point alignment exceptions" | regexp "%s"' % lq(r"(?P<n>[0-9]+) floating point"), "n", fp, "mean N in 'N floating point alignment exceptions'")
    r62 = lambda l: re.match(r"^\S+ \d+ \S+ R62-", l.raw) is not None
    x.count("h", "constraint", "How many lines came from rack R62?", s + ' | regexp "%s" | node=~"R62-.*"' % lq(r"^[^ ]+ [0-9]+ [^ ]+ (?P<node>[^ ]+) "), r62, "lines whose Node field (the 4th) starts with 'R62-'")
    x.ratio("h", "arithmetic", "what percentage of the lines are flagged as alerts?", x.sel(', alert!="-"'), lambda l: l.labels.get("alert", "-") != "-", s, ALL, "lines whose Label is not '-' / all lines * 100")
    x.lines_of("h", "lines", "Anything logged at WARNING level? List those lines.", x.sel(', level="WARNING"'), lab("level", "WARNING"), "lines of level WARNING")
    x.count("h", "level", "How many SEVERE or FATAL lines did the APP component produce?", x.sel(', level=~"SEVERE|FATAL", component="APP"'), both(lambda l: l.labels.get("level") in ("SEVERE", "FATAL"), lab("component", "APP")), "lines of level SEVERE or FATAL and component APP")
    if write:
        x.write()
    return x


def hpc(write=True):
    x = Sheets("hpc")
    s = x.s
    x.count("m", "family", "How many link errors were reported, including the ones on the broadcast tree?", s + ' |= "Link error"', has("Link error"), "lines with 'Link error' ('Link error' and 'Link error on broadcast tree ...'; 'Linkerror event interval expired' has no space and is not one)")
    nif = x.ext(r"has detected an available network connection on network \S+ via interface (\w+)")
    x.labels("m", "grouping", "which network interfaces did NIFF see come up?", 'sum by (iface) (count_over_time(%s |= "has detected an available network connection" | regexp "%s" [$__range]))' % (s, lq(r"via interface (?P<iface>[a-z0-9]+)")), nif, "distinct I in 'has detected an available network connection on network N via interface I'")
    ns = x.ext(r"no longer served by node (\S+)")
    x.distinct("m", "distinct", "How many distinct nodes stopped serving a filesystem domain?", "node", s + ' |= "is no longer served by node" | regexp "%s"' % lq(r"served by node (?P<node>node-[0-9]+)"), ns, "distinct node-N in 'ServerFileSystem domain D is no longer served by node node-N'")
    pa = x.ext(r"psu failure\\ ambient=(\d+)", conv=float)
    x.agg("m", "value", "What's the highest ambient temperature logged with a psu failure?", "max", s + ' |= "psu failure" | regexp "%s"' % lq(r"ambient=(?P<t>[0-9]+)"), "t", pa, "max N in 'psu failure\\ ambient=N'")
    g7 = lambda l: re.match(r"^\d+ gige7 ", l.raw) is not None
    x.count("m", "constraint", "How many lines did the node gige7 write?", s + ' | regexp "%s" | node="gige7"' % lq(r"^[0-9]+ (?P<node>[^ ]+) "), g7, "lines whose Node field (the 2nd) is gige7")
    x.ratio("m", "arithmetic", "What percentage of the switch module lines are 'Linkerror event interval expired'?", x.sel(', component="switch_module"') + ' |= "Linkerror event interval expired"', both(lab("component", "switch_module"), has("Linkerror event interval expired")), x.sel(', component="switch_module"'), lab("component", "switch_module"), "lines of component switch_module with 'Linkerror event interval expired' / lines of component switch_module * 100")
    nf = has("NIFF:")
    x.ratio("m", "arithmetic", "What fraction of the NIFF network messages report a failed connection? percent please", s + ' |= "NIFF:" |= "detected a failed network connection"', has("NIFF:", "detected a failed network connection"), s + ' |= "NIFF:"', nf, "lines with 'NIFF:' and 'detected a failed network connection' / lines with 'NIFF:' * 100")
    x.lines_of("m", "lines", "Show me the lines where a filesystem domain filled up.", s + ' |= "ServerFileSystem domain" |= "is full"', has("ServerFileSystem domain", "is full"), "lines with 'ServerFileSystem domain' and 'is full'")
    x.count("m", "paraphrase", "How many times did a switch get too hot?", s + ' |= "exceeds warning threshold"', has("exceeds warning threshold"), "lines with 'Temperature (NC) exceeds warning threshold'")
    x.count("m", "paraphrase", "How many power supply failures were there?", s + ' |= "psu failure"', has("psu failure"), "lines with 'psu failure'")
    x.count("m", "paraphrase", "how many commands finished OK?", s + ' |= "Command has completed successfully"', has("Command has completed successfully"), "lines with 'Command has completed successfully'")
    nodes = Counter(x.ext(r"^\d+ (\S+) "))
    x.top("m", "grouping", "Top 3 nodes by number of lines?", 3, "node", s + ' | regexp "%s"' % lq(r"^[0-9]+ (?P<node>[^ ]+) "), nodes, "the 3 most frequent Node fields (the 2nd)")
    x.count("m", "constraint", "How many times did NIFF see a connection come up on interface alt0?", s + ' |= "has detected an available network connection" |= "via interface alt0"', has("has detected an available network connection", "via interface alt0"), "lines with 'has detected an available network connection' and 'via interface alt0'")

    nr = rx(r"not.responding")
    x.count("h", "family", "How many not-responding reports are there, however it is spelled?", s + ' |~ "not.responding"', nr, "lines with 'not responding' or 'not-responding'")
    fd = x.ext(r"ServerFileSystem domain (\S+) is full")
    x.labels("h", "grouping", "Which filesystem domains ran out of space?", 'sum by (domain) (count_over_time(%s |= "is full" | regexp "%s" [$__range]))' % (s, lq(r"ServerFileSystem domain (?P<domain>[^ ]+) is full")), fd, "distinct D in 'ServerFileSystem domain D is full'")
    pn = x.ext(r"^\d+ (\S+) ", has("psu failure"))
    x.distinct("h", "distinct", "Number of unique nodes that had a psu failure?", "node", s + ' |= "psu failure" | regexp "%s"' % lq(r"^[0-9]+ (?P<node>[^ ]+) "), pn, "distinct Node fields (the 2nd) of 'psu failure' lines")
    tt = x.ext(r"Temperature \((\d+)C\) exceeds", conv=float)
    x.agg("h", "value", "What temperature did the switch hit when it crossed the warning threshold (highest, in C)?", "max", s + ' |= "exceeds warning threshold" | regexp "%s"' % lq(r"Temperature \((?P<c>[0-9]+)C\)"), "c", tt, "max N in 'Temperature (NC) exceeds warning threshold'")
    x.count("h", "constraint", "how many times was node-96 reported as no longer serving a domain", s + ' |= "is no longer served by node node-96"', rx(r"is no longer served by node node-96$"), "lines ending with 'is no longer served by node node-96'")
    cfs = lab("component", "clusterfilesystem")
    x.ratio("h", "arithmetic", "Of the clusterfilesystem lines, what percentage say a domain has no server at all?", x.sel(', component="clusterfilesystem"') + ' |= "There is no server for ServerFileSystem domain"', both(cfs, has("There is no server for ServerFileSystem domain")), x.sel(', component="clusterfilesystem"'), cfs, "lines of component clusterfilesystem with 'There is no server for ServerFileSystem domain' / lines of component clusterfilesystem * 100")
    x.lines_of("h", "lines", "Show the filesystem domain panic.", s + ' |= "domain panic"', has("domain panic"), "lines with 'domain panic'")
    x.count("h", "paraphrase", "How many times did a hardware component become unavailable?", s + ' |= "is in the unavailable state"', has("is in the unavailable state"), "lines with 'is in the unavailable state'")
    if write:
        x.write()
    return x


def hadoop(write=True):
    x = Sheets("hadoop")
    s = x.s
    x.count("m", "family", "How many task attempt state transitions were logged?", s + ' |= "TaskAttempt Transitioned from"', has("TaskAttempt Transitioned from"), "lines with 'TaskAttempt Transitioned from' (every from/to pair)")
    rk = x.ext(r"Resolved (\S+) to /default-rack")
    x.labels("m", "grouping", "which hosts got resolved to the default rack?", 'sum by (host) (count_over_time(%s |= "to /default-rack" | regexp "%s" [$__range]))' % (s, lq(r"Resolved (?P<host>[^ ]+) to")), rk, "distinct H in 'Resolved H to /default-rack'")
    ac = x.ext(r"Assigned container (\S+) to")
    x.distinct("m", "distinct", "How many unique containers were assigned to attempts?", "container", s + ' |= "Assigned container" | regexp "%s"' % lq(r"Assigned container (?P<container>container_[0-9_]+)"), ac, "distinct ids in 'Assigned container ID to attempt_...'")
    pr = x.ext(r"Progress of TaskAttempt \S+ is : ([0-9.]+)", conv=float)
    x.agg("m", "value", "What's the average progress value across the TaskAttempt progress reports?", "avg", s + ' |= "Progress of TaskAttempt" | regexp "%s"' % lq(r"is : (?P<p>[0-9.]+)"), "p", pr, "mean P in 'Progress of TaskAttempt A is : P' (decimals)")
    at = "attempt_1445144423722_0020_m_000001_0"
    x.count("m", "constraint", "How many progress reports did attempt_1445144423722_0020_m_000001_0 send?", s + ' |= "Progress of TaskAttempt %s is"' % at, has("Progress of TaskAttempt %s is" % at), "lines with 'Progress of TaskAttempt %s is'" % at)
    x.ratio("m", "arithmetic", "What percent of the WARN lines came from the LeaseRenewer?", x.sel(', level="WARN", component="org.apache.hadoop.hdfs.LeaseRenewer"'), both(lab("level", "WARN"), lab("component", "org.apache.hadoop.hdfs.LeaseRenewer")), x.sel(', level="WARN"'), lab("level", "WARN"), "lines of level WARN and component org.apache.hadoop.hdfs.LeaseRenewer / lines of level WARN * 100")
    ipc = lab("component", "org.apache.hadoop.ipc.Client")
    x.ratio("m", "arithmetic", "What percentage of the ipc.Client lines are connection retries?", x.sel(', component="org.apache.hadoop.ipc.Client"') + ' |= "Retrying connect to server"', both(ipc, has("Retrying connect to server")), x.sel(', component="org.apache.hadoop.ipc.Client"'), ipc, "lines of component org.apache.hadoop.ipc.Client with 'Retrying connect to server' / lines of that component * 100")
    x.lines_of("m", "lines", "what were the FATAL errors? give me the lines", x.sel(', level="FATAL"'), lab("level", "FATAL"), "lines of level FATAL")
    x.count("m", "level", "How many ERROR lines came from the RMContainerAllocator?", x.sel(', level="ERROR", component="org.apache.hadoop.mapreduce.v2.app.rm.RMContainerAllocator"'), both(lab("level", "ERROR"), lab("component", "org.apache.hadoop.mapreduce.v2.app.rm.RMContainerAllocator")), "lines of level ERROR and component org.apache.hadoop.mapreduce.v2.app.rm.RMContainerAllocator")
    x.count("m", "level", "how many DEBUG lines are there?", x.sel(', level="DEBUG"'), lab("level", "DEBUG"), "lines of level DEBUG (none: the levels are INFO, WARN, ERROR and FATAL)")
    x.count("m", "paraphrase", "How many task attempts were killed?", s + ' |= "KILLING attempt_"', has("KILLING attempt_"), "lines with 'KILLING attempt_'")
    x.count("m", "paraphrase", "How many map tasks got put on the failed list?", s + ' |= "to list of failed maps"', has("to list of failed maps"), "lines with 'to list of failed maps'")
    pc = Counter(x.ext(r"Progress of TaskAttempt (\S+) is"))
    x.top("m", "grouping", "Top 3 task attempts by number of progress reports?", 3, "attempt", s + ' |= "Progress of TaskAttempt" | regexp "%s"' % lq(r"TaskAttempt (?P<attempt>attempt_[0-9a-z_]+) is"), pc, "the 3 most frequent attempt ids in 'Progress of TaskAttempt A is'")

    x.count("h", "family", "How many lines mention the No Route to Host problem, in whatever message?", s + ' |= "NoRouteToHostException"', has("NoRouteToHostException"), "lines with 'NoRouteToHostException' (diagnostics reports, task exits, FATAL lines)")
    x.labels("h", "grouping", "Which components logged ERROR lines?", 'sum by (component) (count_over_time(%s [$__range]))' % x.sel(', level="ERROR"'), [k for k in x.group("component", lab("level", "ERROR")) if k], "distinct components of lines of level ERROR")
    jv = x.ext(r"JVM with ID : (\S+) asked for a task")
    x.distinct("h", "distinct", "Number of distinct JVMs that asked for a task?", "jvm", s + ' |= "asked for a task" | regexp "%s"' % lq(r"JVM with ID : (?P<jvm>jvm_[0-9a-z_]+) asked"), jv, "distinct ids in 'JVM with ID : ID asked for a task'")
    lr = x.ext(r"Failed to renew lease for \[\S+\] for (\d+) seconds", conv=float)
    x.agg("h", "value", "What is the longest a lease renewal had been failing for, in seconds?", "max", s + ' |= "Failed to renew lease" | regexp "%s"' % lq(r"for (?P<secs>[0-9]+) seconds"), "secs", lr, "max N in 'Failed to renew lease for [...] for N seconds'")
    x.count("h", "constraint", "how many lines did the thread 'IPC Server handler 14 on 62270' write", s + ' |= "[IPC Server handler 14 on 62270]"', has("[IPC Server handler 14 on 62270]"), "lines with '[IPC Server handler 14 on 62270]'")
    x.ratio("h", "arithmetic", "What percent of the ERROR lines are about failing to contact the RM?", x.sel(', level="ERROR"') + ' |= "ERROR IN CONTACTING RM"', both(lab("level", "ERROR"), has("ERROR IN CONTACTING RM")), x.sel(', level="ERROR"'), lab("level", "ERROR"), "lines of level ERROR with 'ERROR IN CONTACTING RM' / lines of level ERROR * 100")
    x.lines_of("h", "lines", "List the task cleanup failures.", s + ' |= "Task cleanup failed"', has("Task cleanup failed"), "lines with 'Task cleanup failed'")
    x.count("h", "paraphrase", "How many times was a JVM handed a task to run?", s + ' |= "given task"', has("given task"), "lines with 'JVM with ID: ... given task'")
    if write:
        x.write()
    return x


def healthapp(write=True):
    x = Sheets("healthapp")
    s = x.s
    fl = rx(r"(?i)fail")
    x.count("m", "family", "How many failure messages of any sort did the app write (anything that says fail or failed)?", s + ' |~ "(?i)fail"', fl, "lines with 'fail' in any case (saveOneDetailData fail, bulkSaveDetailHiHealthData fail, uploadStaticsToDB failed, sendSyncFailedBroadcast)")
    hih = lambda l: l.labels.get("component", "").startswith("HiH_")
    hc = x.group("component", hih)
    x.labels("m", "grouping", "Which HiH_ components logged anything?", 'sum by (component) (count_over_time(%s [$__range]))' % x.sel(', component=~"HiH_.*"'), [k for k in hc if k], "distinct components starting with HiH_")
    ty = x.ext(r"new date =\d+, type=(\d+),")
    x.distinct("m", "distinct", "How many different data types show up in the 'new date' stat updates?", "type", s + ' |= "new date =" | regexp "%s"' % lq(r"type=(?P<type>[0-9]+),"), ty, "distinct N in 'new date =D, type=N,'")
    old = x.ext(r"new date =.*old=([0-9.]+)", conv=float)
    x.agg("m", "value", "In the 'new date' stat updates, what is the highest old value?", "max", s + ' |= "new date =" | regexp "%s"' % lq(r"old=(?P<old>[0-9.]+)"), "old", old, "max V in 'new date =..., old=V' (decimals read whole)")
    x.count("m", "constraint", "How many lines did the HiH_HiSyncControl component write?", x.sel(', component="HiH_HiSyncControl"'), lab("component", "HiH_HiSyncControl"), "lines of component HiH_HiSyncControl")
    x.ratio("m", "arithmetic", "What percentage of the lines came from Step_LSC?", x.sel(', component="Step_LSC"'), lab("component", "Step_LSC"), s, ALL, "lines of component Step_LSC / all lines * 100")
    x.lines_of("m", "lines", "Show me where saving health data failed.", s + ' |~ "saveOneDetailData fail|bulkSaveDetailHiHealthData fail"', rx(r"saveOneDetailData fail|bulkSaveDetailHiHealthData fail"), "lines with 'saveOneDetailData fail' or 'bulkSaveDetailHiHealthData fail'")
    x.count("m", "paraphrase", "How many per-minute step records were pushed to the engine?", s + ' |= "upLoadOneMinuteDataToEngine"', has("upLoadOneMinuteDataToEngine"), "lines with 'upLoadOneMinuteDataToEngine'")
    x.count("m", "paraphrase", "how many times did the app notice its clock went backwards?", s + ' |= "timeStamp back"', has("timeStamp back"), "lines with 'timeStamp back'")
    x.top("m", "grouping", "Which 2 HiH_ components logged the most lines?", 2, "component", x.sel(', component=~"HiH_.*"'), hc, "the 2 components starting with HiH_ with most lines")
    st = x.ext(r"onStandStepChanged (\d+)", conv=float)
    x.agg("m", "value", "What's the average step count in the onStandStepChanged lines?", "avg", s + ' |= "onStandStepChanged" | regexp "%s"' % lq(r"onStandStepChanged (?P<steps>[0-9]+)"), "steps", st, "mean N in 'onStandStepChanged N'")
    x.count("m", "constraint", "How many 'new date' updates were for type 40002?", s + ' |= "new date =" |= "type=40002,"', has("new date =", "type=40002,"), "lines with 'new date =' and 'type=40002,'")

    x.count("h", "family", "How many privacy checks did the app log, for user data and health data together?", s + ' |= "Privacy"', has("Privacy"), "lines with 'Privacy' (initDataPrivacy and initUserPrivacy, both messages of each)")
    fc = x.group("component", fl)
    x.labels("h", "grouping", "which components reported failures?", 'sum by (component) (count_over_time(%s |~ "(?i)fail" [$__range]))' % s, [k for k in fc if k], "distinct components of lines with 'fail' in any case")
    ba = x.ext(r"processHandleBroadcastAction action:(\S+)")
    x.distinct("h", "distinct", "Number of distinct broadcast actions processHandleBroadcastAction handled?", "action", s + ' |= "processHandleBroadcastAction" | regexp "%s"' % lq(r"action:(?P<action>[A-Za-z_.]+)"), ba, "distinct A in 'processHandleBroadcastAction action:A'")
    alt = x.ext(r"totalAltitude=(\d+)", conv=float)
    x.agg("h", "value", "What was the lowest totalAltitude reported?", "min", s + ' |= "totalAltitude=" | regexp "%s"' % lq(r"totalAltitude=(?P<a>[0-9]+)"), "a", alt, "min N in 'totalAltitude=N'")
    x.count("h", "constraint", "how many lines from Step_ExtSDM", x.sel(', component="Step_ExtSDM"'), lab("component", "Step_ExtSDM"), "lines of component Step_ExtSDM")
    x.ratio("h", "arithmetic", "What fraction of the whole log is getTodayTotalDetailSteps reads, in percent?", s + ' |= "getTodayTotalDetailSteps"', has("getTodayTotalDetailSteps"), s, ALL, "lines with 'getTodayTotalDetailSteps' / all lines * 100")
    x.lines_of("h", "lines", "Show me the sync failure broadcasts.", s + ' |= "sendSyncFailedBroadcast"', has("sendSyncFailedBroadcast"), "lines with 'sendSyncFailedBroadcast'")
    x.count("h", "paraphrase", "How many times did the screen go dark?", s + ' |= "SCREEN_OFF"', has("SCREEN_OFF"), "lines with 'SCREEN_OFF' (onReceive action: android.intent.action.SCREEN_OFF)")
    if write:
        x.write()
    return x


# ---------------------------------------------------------------- checks


def full_dedup_load(app):
    """The lines as Loki 3.x keeps them: an entry equal (same stream, same time stamp,
    same line) to any earlier one is dropped, not only to the one just before."""
    out, seen = [], set()
    for l in _load(app):
        k = (tuple(sorted(l.labels.items())), l.raw)
        if k not in seen:
            seen.add(k)
            out.append(l)
    return out


_load = Q.load


def robust(name, built):
    """Every answer must be the same whether only consecutive duplicates are dropped
    (questions.py, the embedded engine's metric queries) or all duplicates with the
    same stamp (Loki 3.x's head block); the samples' stamps are in the lines, so equal
    lines have equal stamps. Apache and Windows have many such duplicates."""
    Q.load = full_dedup_load
    try:
        other = globals()[name](write=False)
    finally:
        Q.load = _load
    diff = []
    for a, b in zip(built.recs["m"] + built.recs["h"], other.recs["m"] + other.recs["h"]):
        x, y = a["answer"], b["answer"]
        if a["kind"] == "text":
            x, y = sorted(set(x)), sorted(set(y))
        if x != y:
            diff.append("%s: %s vs %s" % (a["id"], str(x)[:60], str(y)[:60]))
    assert not diff, "answers that depend on how duplicate lines are dropped:\n" + "\n".join(diff)


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
    per_class = {"m": Counter(), "h": Counter()}
    for name in todo:
        x = globals()[name]()
        robust(name, x)
        for sheet in "mh":
            for r in x.recs[sheet]:
                per_class[sheet][r["class"]] += 1
        msg = "%s written: %d more, %d holdout" % (name, len(x.recs["m"]), len(x.recs["h"]))
        if do_check:
            b = check(x)
            total_bad += b
            msg += ", %d differ from the engine" % b
        print(msg)
    for sheet, fname in (("m", "questions-more"), ("h", "questions-holdout")):
        print("%s by class: %s" % (fname, ", ".join("%s %d" % (c, per_class[sheet][c]) for c in CLASSES)))
    if do_check and total_bad:
        sys.exit(1)
