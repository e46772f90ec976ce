#!/usr/bin/env python3
"""Builds datasets/<app>/questions.jsonl, the Q&A sheets of `logcopilot eval`.

Every answer is computed here, from the raw sample log, with plain Python
(regular expressions over the lines), independently of logcopilot. Each
question also carries a gold LogQL query; `cargo test` runs every gold query
on the embedded engine and checks that it gives the same answer
(tests/it/pipeline/questions.rs), so the two computations check each other.

The lines are read as Loki stores them: without the line ending, empty lines
skipped, a line equal to the line before it dropped (Loki's ingester drops an
entry equal to its stream's last); labels come from the header fields named in
dataset.toml's [labels] (a line the header format does not read has only `app`).

Run from the repository root: python3 datasets/questions.py
"""

import json
import os
import re
import sys
import tomllib
from collections import Counter

ROOT = os.path.dirname(os.path.abspath(__file__))


class Line:
    def __init__(self, raw, labels):
        self.raw = raw
        self.labels = labels


def header_regex(fmt):
    """Loghub's header semantics: <Field> lazy, runs of spaces \\s+, the rest a regex, anchored."""
    out = "^"
    for part in re.split(r"(<[^<>]+>)", fmt):
        if part.startswith("<") and part.endswith(">"):
            out += "(?P<%s>.*?)" % part[1:-1]
        else:
            out += re.sub(r" +", r"\\s+", part)
    return re.compile(out + "$")


def load(app):
    spec = tomllib.load(open(os.path.join(ROOT, app, "dataset.toml"), "rb"))
    rx = header_regex(spec["format"])
    labels = spec.get("labels", {})
    data = open(os.path.join(ROOT, app, spec["log"]), "rb").read().decode("utf-8", "replace")
    out = []
    prev = None
    for raw in data.split("\n"):
        raw = raw[:-1] if raw.endswith("\r") else raw
        if raw.strip() == "":
            prev = raw
            continue
        if raw == prev:
            continue
        prev = raw
        m = rx.match(raw.strip())
        lab = {}
        if m:
            for name, field in labels.items():
                v = m.group(field)
                if v:
                    lab[name] = v
        out.append(Line(raw, lab))
    return out


def has(*subs):
    return lambda l: all(s in l.raw for s in subs)


def lab(name, value):
    return lambda l: l.labels.get(name) == value


def both(p, q):
    return lambda l: p(l) and q(l)


ALL = lambda l: True


class App:
    def __init__(self, name):
        self.name = name
        self.lines = load(name)
        self.qs = []

    def n(self, pred):
        return sum(1 for l in self.lines if pred(l))

    def group(self, label, pred=ALL):
        return Counter(l.labels.get(label, "") for l in self.lines if pred(l))

    def ext(self, rx, pred=ALL, conv=str):
        r = re.compile(rx)
        out = []
        for l in self.lines:
            if pred(l):
                m = r.search(l.raw)
                if m:
                    out.append(conv(m.group(1)))
        return out

    def q(self, question, kind, logql, answer, how, tol=None):
        rec = {"id": "%s-%02d" % (self.name, len(self.qs) + 1), "question": question, "kind": kind, "answer": answer, "logql": logql, "how": how}
        if tol is not None:
            rec["tolerance"] = tol
        self.qs.append(rec)

    def count(self, question, logql_filter, pred, how):
        """A count of lines: `logql_filter` is the log query inside count_over_time."""
        self.q(question, "number", "sum(count_over_time(%s [$__range]))" % logql_filter, self.n(pred), how)

    def newest(self, question, logql, pred, how):
        """Lines: the answer is every matching line (at most 100, one log query's worth)."""
        lines = [l.raw for l in self.lines if pred(l)]
        assert 0 < len(lines) <= 100, (question, len(lines))
        self.q(question, "text", logql, lines, how + "; the answer is the set of those lines")

    def write(self):
        assert len(self.qs) >= 20, (self.name, len(self.qs))
        with open(os.path.join(ROOT, self.name, "questions.jsonl"), "w") as f:
            for r in self.qs:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")


def top(counter, k):
    """The k largest keys; no tie across the cut, no empty key."""
    items = sorted(counter.items(), key=lambda kv: -kv[1])
    assert len(items) >= k, counter
    if len(items) > k:
        assert items[k - 1][1] > items[k][1], ("tie at the cut", items[: k + 1])
    names = [kv[0] for kv in items[:k]]
    assert "" not in names, counter
    return names


def num(v):
    return int(v) if float(v).is_integer() else v


def sel(app, extra=""):
    return '{app="%s"%s}' % (app, extra)


def hdfs():
    a = App("hdfs")
    s = sel("hdfs")
    a.count("How many blocks were deleted?", s + ' |= "Deleting block"', has("Deleting block"), "lines containing 'Deleting block'")
    a.count("How many WARN lines are there?", sel("hdfs", ', level="WARN"'), lab("level", "WARN"), "lines whose Level is WARN")
    a.q("Which log levels appear in the logs?", "list", 'sum by (level) (count_over_time(%s [$__range]))' % s, sorted(k for k in a.group("level") if k), "distinct Level fields")
    a.q("Which component wrote the most lines?", "list", "topk(1, sum by (component) (count_over_time(%s [$__range])))" % s, top(a.group("component"), 1), "most frequent Component")
    a.count("How many times did a PacketResponder terminate?", s + ' |= "PacketResponder" |= "terminating"', has("PacketResponder", "terminating"), "lines with PacketResponder ... terminating")
    a.count("How many exceptions happened while serving blocks?", s + ' |= "Got exception while serving"', has("Got exception while serving"), "lines with 'Got exception while serving'")
    a.q("Which components logged exceptions while serving blocks?", "list", 'sum by (component) (count_over_time(%s |= "Got exception while serving" [$__range]))' % s, sorted(k for k in a.group("component", has("Got exception while serving")) if k), "Components of those lines")
    a.count("How many blocks were received, with their size?", s + ' |= "Received block" |= "of size"', has("Received block", "of size"), "lines with 'Received block' and 'of size'")
    sizes = a.ext(r"of size (\d+)", has("Received block", "of size"), conv=float)
    x = s + ' |= "Received block" |= "of size" | regexp "of size (?P<size>[0-9]+)"'
    a.q("What is the average size of the received blocks, in bytes?", "number", 'sum(sum_over_time(%s | unwrap size [$__range])) / sum(count_over_time(%s [$__range]))' % (x, x), sum(sizes) / len(sizes), "mean of N in 'of size N' in lines with 'Received block'")
    a.q("What is the largest received block size?", "number", "max(max_over_time(%s | unwrap size [$__range]))" % x, num(max(sizes)), "max of those sizes")
    a.q("What is the smallest received block size?", "number", "min(min_over_time(%s | unwrap size [$__range]))" % x, num(min(sizes)), "min of those sizes")
    a.count("How many blocks were allocated?", s + ' |= "allocateBlock"', has("allocateBlock"), "lines with allocateBlock")
    a.count("How many addStoredBlock updates of the block map were logged?", s + ' |= "addStoredBlock"', has("addStoredBlock"), "lines with addStoredBlock")
    a.q("How many different components wrote lines?", "number", "count(sum by (component) (count_over_time(%s [$__range])))" % s, len([k for k in a.group("component") if k]), "distinct Components")
    a.count("How many blocks were added to the invalid set?", s + ' |= "invalidSet"', has("invalidSet"), "lines with invalidSet")
    a.count("How many block verifications succeeded?", s + ' |= "Verification succeeded"', has("Verification succeeded"), "lines with 'Verification succeeded'")
    a.q("Which 3 components wrote the most INFO lines?", "list", 'topk(3, sum by (component) (count_over_time(%s [$__range])))' % sel("hdfs", ', level="INFO"'), top(a.group("component", lab("level", "INFO")), 3), "top 3 Components of INFO lines")
    a.count("How many lines did dfs.FSNamesystem write?", sel("hdfs", ', component="dfs.FSNamesystem"'), lab("component", "dfs.FSNamesystem"), "lines whose Component is dfs.FSNamesystem")
    a.count("How many times was a block served?", s + ' |= "Served block"', has("Served block"), "lines with 'Served block'")
    ips = a.ext(r"dest: /([0-9.]+):", has("Receiving block"))
    a.q("How many distinct DataNode addresses received blocks (the dest of 'Receiving block')?", "number", 'count(sum by (ip) (count_over_time(%s |= "Receiving block" | regexp "dest: /(?P<ip>[0-9.]+):" [$__range])))' % s, len(set(ips)), "distinct IPs after 'dest: /' in Receiving block lines")
    a.newest("Show me the WARN lines.", sel("hdfs", ', level="WARN"'), lab("level", "WARN"), "WARN lines")
    a.newest("Show the requests to replicate a block.", s + ' |= "to replicate"', has("to replicate"), "lines with 'to replicate'")
    a.write()


def openssh():
    a = App("openssh")
    s = sel("openssh")
    a.count("How many failed password attempts were there?", s + ' |= "Failed password"', has("Failed password"), "lines with 'Failed password'")
    a.count("How many failed password attempts were for invalid users?", s + ' |= "Failed password for invalid user"', has("Failed password for invalid user"), "lines with 'Failed password for invalid user'")
    a.count("How many failed password attempts were for root?", s + ' |= "Failed password for root"', has("Failed password for root"), "lines with 'Failed password for root'")
    fp = s + ' |= "Failed password" | regexp "from (?P<ip>[0-9.]+) port"'
    ips = Counter(a.ext(r"from ([0-9.]+) port", has("Failed password")))
    a.q("Which IP address had the most failed password attempts?", "list", "topk(1, sum by (ip) (count_over_time(%s [$__range])))" % fp, top(ips, 1), "most frequent IP in Failed password lines")
    a.q("Which 3 IP addresses had the most failed password attempts?", "list", "topk(3, sum by (ip) (count_over_time(%s [$__range])))" % fp, top(ips, 3), "top 3 IPs in Failed password lines")
    a.q("How many distinct IP addresses failed a password?", "number", "count(sum by (ip) (count_over_time(%s [$__range])))" % fp, len(ips), "distinct IPs in Failed password lines")
    a.count("How many times did an invalid user try to log in?", s + ' |= "Invalid user"', has("Invalid user"), "lines with 'Invalid user'")
    users = Counter(a.ext(r"Invalid user (\S+) from", has("Invalid user")))
    a.q("Which invalid user name was tried most often?", "list", 'topk(1, sum by (user) (count_over_time(%s |= "Invalid user" | regexp "Invalid user (?P<user>\\\\S+) from" [$__range])))' % s, top(users, 1), "most frequent name in 'Invalid user NAME from'")
    a.count("How many possible break-in attempts were reported?", s + ' |= "POSSIBLE BREAK-IN ATTEMPT"', has("POSSIBLE BREAK-IN ATTEMPT"), "lines with 'POSSIBLE BREAK-IN ATTEMPT'")
    a.count("How many logins succeeded with a password?", s + ' |= "Accepted password"', has("Accepted password"), "lines with 'Accepted password'")
    a.q("Which user logged in successfully?", "list", 'sum by (user) (count_over_time(%s |= "Accepted password" | regexp "Accepted password for (?P<user>\\\\S+)" [$__range]))' % s, sorted(set(a.ext(r"Accepted password for (\S+)"))), "names in 'Accepted password for NAME'")
    a.count("How many connections were closed by the client before authentication?", s + ' |= "Connection closed by"', has("Connection closed by"), "lines with 'Connection closed by'")
    a.count("How many 'Received disconnect' messages were logged?", s + ' |= "Received disconnect"', has("Received disconnect"), "lines with 'Received disconnect'")
    a.count("How many times did sshd disconnect a client for too many authentication failures?", s + ' |= "Too many authentication failures"', has("Too many authentication failures"), "lines with 'Too many authentication failures'")
    a.count("How many authentication failures did pam_unix report?", s + ' |= "pam_unix" |= "authentication failure"', has("pam_unix", "authentication failure"), "lines with pam_unix and 'authentication failure'")
    rh = Counter(a.ext(r"rhost=(\S+)", has("authentication failure")))
    a.q("Which remote host caused the most authentication failures?", "list", 'topk(1, sum by (rhost) (count_over_time(%s |= "authentication failure" | regexp "rhost=(?P<rhost>\\\\S+)" [$__range])))' % s, top(rh, 1), "most frequent rhost= in authentication failure lines")
    a.count("How many times was a password checked for an unknown user?", s + ' |= "user unknown"', has("user unknown"), "lines with 'user unknown'")
    a.count("How many clients did not send an identification string?", s + ' |= "Did not receive identification string"', has("Did not receive identification string"), "lines with 'Did not receive identification string'")
    a.count("How many log lines are there in total?", s, ALL, "all lines")
    pids = a.ext(r"sshd\[(\d+)\]")
    a.q("How many different sshd processes wrote lines?", "number", 'count(sum by (pid) (count_over_time(%s | regexp "sshd\\\\[(?P<pid>[0-9]+)\\\\]" [$__range])))' % s, len(set(pids)), "distinct N in sshd[N]")
    a.newest("Show the successful logins.", s + ' |= "Accepted password"', has("Accepted password"), "lines with 'Accepted password'")
    a.newest("Show the fatal errors.", s + ' |= "fatal:"', has("fatal:"), "lines with 'fatal:'")
    a.write()


def apache():
    a = App("apache")
    s = sel("apache")
    a.count("How many error lines are there?", sel("apache", ', level="error"'), lab("level", "error"), "lines of level error")
    a.count("How many notice lines are there?", sel("apache", ', level="notice"'), lab("level", "notice"), "lines of level notice")
    a.q("Which log levels appear?", "list", "sum by (level) (count_over_time(%s [$__range]))" % s, sorted(k for k in a.group("level") if k), "distinct levels")
    a.q("Which log level is the most frequent?", "list", "topk(1, sum by (level) (count_over_time(%s [$__range])))" % s, top(a.group("level"), 1), "most frequent level")
    a.count("How many times was a child found in the scoreboard?", s + ' |= "Found child"', has("Found child"), "lines with 'Found child'")
    a.count("How many times could a child not be found in the scoreboard?", s + " |= \"Can't find child\"", has("Can't find child"), "lines with \"Can't find child\"")
    a.count("How many times did workerEnv.init() succeed?", s + ' |= "workerEnv.init() ok"', has("workerEnv.init() ok"), "lines with 'workerEnv.init() ok'")
    a.count("How many times was the mod_jk child workerEnv in an error state?", s + ' |= "workerEnv in error state"', has("workerEnv in error state"), "lines with 'workerEnv in error state'")
    st = Counter(a.ext(r"error state (\d+)"))
    a.q("Which workerEnv error state number occurs most often?", "list", 'topk(1, sum by (state) (count_over_time(%s |= "error state" | regexp "error state (?P<state>[0-9]+)" [$__range])))' % s, top(st, 1), "most frequent N in 'error state N'")
    a.count("How many 'Directory index forbidden' errors were there?", s + ' |= "Directory index forbidden"', has("Directory index forbidden"), "lines with 'Directory index forbidden'")
    cl = Counter(a.ext(r"\[client ([0-9.]+)\]", has("Directory index forbidden")))
    fx = s + ' |= "Directory index forbidden" | regexp "\\\\[client (?P<ip>[0-9.]+)\\\\]"'
    a.q("Which clients were refused a directory index?", "list", "sum by (ip) (count_over_time(%s [$__range]))" % fx, sorted(cl), "distinct client IPs in those lines")
    a.q("How many distinct clients were refused a directory index?", "number", "count(sum by (ip) (count_over_time(%s [$__range])))" % fx, len(cl), "distinct client IPs in those lines")
    slots = a.ext(r"scoreboard slot (\d+)", conv=float)
    sx = s + ' |= "scoreboard slot" | regexp "scoreboard slot (?P<slot>[0-9]+)"'
    a.q("What is the highest scoreboard slot number used?", "number", "max(max_over_time(%s | unwrap slot [$__range]))" % sx, num(max(slots)), "max N in 'scoreboard slot N'")
    a.q("How many distinct scoreboard slots were used?", "number", "count(sum by (slot) (count_over_time(%s [$__range])))" % sx, len(set(slots)), "distinct N in 'scoreboard slot N'")
    kids = a.ext(r"Found child (\d+)", conv=float)
    a.q("What is the lowest child process id found in the scoreboard?", "number", 'min(min_over_time(%s |= "Found child" | regexp "Found child (?P<pid>[0-9]+)" | unwrap pid [$__range]))' % s, num(min(kids)), "min N in 'Found child N'")
    a.count("How many 'mod_jk child init' errors were logged?", s + ' |= "mod_jk child init"', has("mod_jk child init"), "lines with 'mod_jk child init'")
    a.count("How many lines are there in total?", s, ALL, "all lines")
    a.count("How many error lines mention mod_jk?", sel("apache", ', level="error"') + ' |= "mod_jk"', both(lab("level", "error"), has("mod_jk")), "error lines with mod_jk")
    a.count("How many jk2_init() lines were logged?", s + ' |= "jk2_init()"', has("jk2_init()"), "lines with 'jk2_init()'")
    a.newest("Show the lines where a child could not be found in the scoreboard.", s + " |= \"Can't find child\"", has("Can't find child"), "lines with \"Can't find child\"")
    a.newest("Show the directory index forbidden errors.", s + ' |= "Directory index forbidden"', has("Directory index forbidden"), "lines with 'Directory index forbidden'")
    a.write()


def zookeeper():
    a = App("zookeeper")
    s = sel("zookeeper")
    a.count("How many WARN lines are there?", sel("zookeeper", ', level="WARN"'), lab("level", "WARN"), "lines of level WARN")
    a.count("How many ERROR lines are there?", sel("zookeeper", ', level="ERROR"'), lab("level", "ERROR"), "lines of level ERROR")
    a.q("Which log levels appear?", "list", "sum by (level) (count_over_time(%s [$__range]))" % s, sorted(k for k in a.group("level") if k), "distinct levels")
    a.count("How many connection requests were received?", s + ' |= "Received connection request"', has("Received connection request"), "lines with 'Received connection request'")
    a.count("How many times was a connection broken?", s + ' |= "Connection broken for id"', has("Connection broken for id"), "lines with 'Connection broken for id'")
    a.count("How many client sessions were established?", s + ' |= "Established session"', has("Established session"), "lines with 'Established session'")
    a.count("How many sessions expired?", s + ' |= "Expiring session"', has("Expiring session"), "lines with 'Expiring session'")
    to = a.ext(r"negotiated timeout (\d+)", conv=float)
    a.q("What is the largest negotiated session timeout?", "number", 'max(max_over_time(%s |= "negotiated timeout" | regexp "negotiated timeout (?P<t>[0-9]+)" | unwrap t [$__range]))' % s, num(max(to)), "max N in 'negotiated timeout N'")
    a.count("How many socket connections were accepted?", s + ' |= "Accepted socket connection"', has("Accepted socket connection"), "lines with 'Accepted socket connection'")
    acc = Counter(a.ext(r"Accepted socket connection from /([0-9.]+):"))
    a.q("Which client address opened the most socket connections?", "list", 'topk(1, sum by (ip) (count_over_time(%s |= "Accepted socket connection" | regexp "from /(?P<ip>[0-9.]+):" [$__range])))' % s, top(acc, 1), "most frequent IP in Accepted socket connection lines")
    rq = a.ext(r"Received connection request /([0-9.]+):")
    a.q("How many distinct addresses sent connection requests?", "number", 'count(sum by (ip) (count_over_time(%s |= "Received connection request" | regexp "request /(?P<ip>[0-9.]+):" [$__range])))' % s, len(set(rq)), "distinct IPs in Received connection request lines")
    a.count("How many notification timeouts were logged?", s + ' |= "Notification time out"', has("Notification time out"), "lines with 'Notification time out'")
    nt = a.ext(r"Notification time out: (\d+)", conv=float)
    a.q("What is the longest notification time out?", "number", 'max(max_over_time(%s |= "Notification time out" | regexp "time out: (?P<t>[0-9]+)" | unwrap t [$__range]))' % s, num(max(nt)), "max N in 'Notification time out: N'")
    a.count("How many times was a thread interrupted while waiting for a message on its queue?", s + ' |= "Interrupted while waiting for message on queue"', has("Interrupted while waiting for message on queue"), "lines with that text")
    a.count("How many times could a channel to an election address not be opened?", s + ' |= "Cannot open channel"', has("Cannot open channel"), "lines with 'Cannot open channel'")
    a.count("How many GOODBYE lines were logged?", s + ' |= "GOODBYE"', has("GOODBYE"), "lines with GOODBYE")
    a.count("How many unexpected exceptions caused a shutdown?", s + ' |= "Unexpected exception causing shutdown"', has("Unexpected exception causing shutdown"), "lines with that text")
    a.count("How many session terminations were processed?", s + ' |= "Processed session termination"', has("Processed session termination"), "lines with 'Processed session termination'")
    a.count("How many lines are there in total?", s, ALL, "all lines")
    a.count("How many end of stream exceptions were caught?", s + ' |= "caught end of stream exception"', has("caught end of stream exception"), "lines with that text")
    a.newest("Show the ERROR lines.", sel("zookeeper", ', level="ERROR"'), lab("level", "ERROR"), "lines of level ERROR")
    a.write()


def android():
    a = App("android")
    s = sel("android")
    a.count("How many error (E) lines are there?", sel("android", ', level="E"'), lab("level", "E"), "lines of level E")
    a.count("How many warning (W) lines are there?", sel("android", ', level="W"'), lab("level", "W"), "lines of level W")
    a.count("How many verbose (V) lines are there?", sel("android", ', level="V"'), lab("level", "V"), "lines of level V")
    a.q("Which log levels appear?", "list", "sum by (level) (count_over_time(%s [$__range]))" % s, sorted(k for k in a.group("level") if k), "distinct levels")
    a.q("Which component wrote the most lines?", "list", "topk(1, sum by (component) (count_over_time(%s [$__range])))" % s, top(a.group("component"), 1), "most frequent component")
    a.q("Which 3 components wrote the most lines?", "list", "topk(3, sum by (component) (count_over_time(%s [$__range])))" % s, top(a.group("component"), 3), "top 3 components")
    a.q("How many different components wrote lines?", "number", "count(sum by (component) (count_over_time(%s [$__range])))" % s, len([k for k in a.group("component") if k]), "distinct components")
    a.count("How many times was setLightsOn(true) called?", s + ' |= "setLightsOn(true)"', has("setLightsOn(true)"), "lines with 'setLightsOn(true)'")
    a.count("How many brightness animations were started?", s + ' |= "Animating brightness"', has("Animating brightness"), "lines with 'Animating brightness'")
    tg = a.ext(r"Animating brightness: target=(\d+)", conv=float)
    a.q("What is the highest brightness target of an animation?", "number", 'max(max_over_time(%s |= "Animating brightness" | regexp "target=(?P<target>[0-9]+)" | unwrap target [$__range]))' % s, num(max(tg)), "max N in 'Animating brightness: target=N'")
    a.count("How many wake locks were acquired?", s + ' |= "acquire lock="', has("acquire lock="), "lines with 'acquire lock='")
    a.count("How many wake locks were released?", s + ' |= "release:lock="', has("release:lock="), "lines with 'release:lock='")
    a.count("How many lines did the PowerManagerService write?", sel("android", ', component="PowerManagerService"'), lab("component", "PowerManagerService"), "lines of component PowerManagerService")
    a.count("How many getRunningAppProcesses calls were limited?", s + ' |= "getRunningAppProcesses"', has("getRunningAppProcesses"), "lines with getRunningAppProcesses")
    a.q("Which component logged the most warnings?", "list", "topk(1, sum by (component) (count_over_time(%s [$__range])))" % sel("android", ', level="W"'), top(a.group("component", lab("level", "W")), 1), "most frequent component of W lines")
    a.count("How many lines mention REAL_GET_TASKS?", s + ' |= "REAL_GET_TASKS"', has("REAL_GET_TASKS"), "lines with REAL_GET_TASKS")
    a.count("How many times was the suspend blocker acquired?", s + ' |= "Acquiring suspend blocker"', has("Acquiring suspend blocker"), "lines with 'Acquiring suspend blocker'")
    hb = a.ext(r"HBM brightnessOut =(\d+)", conv=float)
    a.q("What is the highest HBM brightnessOut value?", "number", 'max(max_over_time(%s |= "HBM brightnessOut" | regexp "brightnessOut =(?P<b>[0-9]+)" | unwrap b [$__range]))' % s, num(max(hb)), "max N in 'HBM brightnessOut =N'")
    a.count("How many userActivityNoUpdateLocked events were logged?", s + ' |= "userActivityNoUpdateLocked"', has("userActivityNoUpdateLocked"), "lines with userActivityNoUpdateLocked")
    a.count("How many lines are there in total?", s, ALL, "all lines")
    a.newest("Show the error lines.", sel("android", ', level="E"'), lab("level", "E"), "lines of level E")
    a.write()


def bgl():
    a = App("bgl")
    s = sel("bgl")
    a.count("How many FATAL lines are there?", sel("bgl", ', level="FATAL"'), lab("level", "FATAL"), "lines of level FATAL")
    a.count("How many ERROR lines are there?", sel("bgl", ', level="ERROR"'), lab("level", "ERROR"), "lines of level ERROR")
    a.q("Which log levels appear?", "list", "sum by (level) (count_over_time(%s [$__range]))" % s, sorted(k for k in a.group("level") if k), "distinct levels")
    alerts = a.group("alert", lambda l: l.labels.get("alert", "-") != "-")
    a.q("Which alert categories appear?", "list", 'sum by (alert) (count_over_time(%s [$__range]))' % sel("bgl", ', alert!="-"'), sorted(k for k in alerts if k), "distinct Label fields other than '-'")
    a.count("How many lines are flagged as alerts?", sel("bgl", ', alert!="-"'), lambda l: l.labels.get("alert", "-") != "-", "lines whose Label is not '-'")
    a.q("Which alert category has the most lines?", "list", 'topk(1, sum by (alert) (count_over_time(%s [$__range])))' % sel("bgl", ', alert!="-"'), top(alerts, 1), "most frequent alert Label")
    a.count("How many core files were generated?", s + ' |= "generating core"', has("generating core"), "lines with 'generating core'")
    a.count("How many data TLB error interrupts were there?", s + ' |= "data TLB error interrupt"', has("data TLB error interrupt"), "lines with 'data TLB error interrupt'")
    a.count("How many instruction cache parity errors were corrected?", s + ' |= "instruction cache parity error corrected"', has("instruction cache parity error corrected"), "lines with that text")
    a.count("How many lines report floating point alignment exceptions?", s + ' |= "floating point alignment exceptions"', has("floating point alignment exceptions"), "lines with that text")
    fx = a.ext(r"(\d+) floating point alignment exceptions", conv=float)
    a.q("What is the largest number of floating point alignment exceptions reported in one line?", "number", 'max(max_over_time(%s |= "floating point alignment exceptions" | regexp "(?P<n>[0-9]+) floating point alignment exceptions" | unwrap n [$__range]))' % s, num(max(fx)), "max N in 'N floating point alignment exceptions'")
    a.q("Which component wrote the most lines?", "list", "topk(1, sum by (component) (count_over_time(%s [$__range])))" % s, top(a.group("component"), 1), "most frequent component")
    a.q("How many different components wrote lines?", "number", "count(sum by (component) (count_over_time(%s [$__range])))" % s, len([k for k in a.group("component") if k]), "distinct components")
    a.count("How many data storage interrupts were there?", s + ' |= "data storage interrupt"', has("data storage interrupt"), "lines with 'data storage interrupt'")
    a.count("How many times did ciod fail to load a program image?", s + ' |= "ciod: Error loading"', has("ciod: Error loading"), "lines with 'ciod: Error loading'")
    a.count("How many lines did the KERNEL component write?", sel("bgl", ', component="KERNEL"'), lab("component", "KERNEL"), "lines of component KERNEL")
    a.count("How many ASSERT conditions were hit?", s + ' |= "hit ASSERT condition"', has("hit ASSERT condition"), "lines with 'hit ASSERT condition'")
    a.count("How many lines are there in total?", s, ALL, "all lines")
    a.count("How many ddr error corrections were reported?", s + ' |= "ddr errors(s) detected and corrected"', has("ddr errors(s) detected and corrected"), "lines with that text")
    a.count("How many lines mention an error, in any case?", s + ' |~ "(?i)error"', lambda l: "error" in l.raw.lower(), "lines containing 'error' in any case")
    a.newest("Show the SEVERE lines.", sel("bgl", ', level="SEVERE"'), lab("level", "SEVERE"), "lines of level SEVERE")
    a.write()


def hadoop():
    a = App("hadoop")
    s = sel("hadoop")
    a.count("How many WARN lines are there?", sel("hadoop", ', level="WARN"'), lab("level", "WARN"), "lines of level WARN")
    a.count("How many ERROR lines are there?", sel("hadoop", ', level="ERROR"'), lab("level", "ERROR"), "lines of level ERROR")
    a.q("Which log levels appear?", "list", "sum by (level) (count_over_time(%s [$__range]))" % s, sorted(k for k in a.group("level") if k), "distinct levels")
    a.q("Which component wrote the most lines?", "list", "topk(1, sum by (component) (count_over_time(%s [$__range])))" % s, top(a.group("component"), 1), "most frequent component")
    a.q("Which component wrote the most WARN lines?", "list", "topk(1, sum by (component) (count_over_time(%s [$__range])))" % sel("hadoop", ', level="WARN"'), top(a.group("component", lab("level", "WARN")), 1), "most frequent component of WARN lines")
    a.q("How many different components wrote lines?", "number", "count(sum by (component) (count_over_time(%s [$__range])))" % s, len([k for k in a.group("component") if k]), "distinct components")
    a.count("How many address changes were detected?", s + ' |= "Address change detected"', has("Address change detected"), "lines with 'Address change detected'")
    a.count("How many lease renewals failed?", s + ' |= "Failed to renew lease"', has("Failed to renew lease"), "lines with 'Failed to renew lease'")
    a.count("How many times was there an error contacting the resource manager?", s + ' |= "ERROR IN CONTACTING RM"', has("ERROR IN CONTACTING RM"), "lines with 'ERROR IN CONTACTING RM'")
    a.count("How many times did a client retry connecting to a server?", s + ' |= "Retrying connect to server"', has("Retrying connect to server"), "lines with 'Retrying connect to server'")
    tr = a.ext(r"Already tried (\d+) time", conv=float)
    a.q("What is the highest number of connection tries reported?", "number", 'max(max_over_time(%s |= "Already tried" | regexp "Already tried (?P<n>[0-9]+) time" | unwrap n [$__range]))' % s, num(max(tr)), "max N in 'Already tried N time(s)'")
    a.count("How many task attempt progress reports were logged?", s + ' |= "Progress of TaskAttempt"', has("Progress of TaskAttempt"), "lines with 'Progress of TaskAttempt'")
    pr = a.ext(r"Progress of TaskAttempt \S+ is : ([0-9.]+)", conv=float)
    a.q("What is the highest task attempt progress reported?", "number", 'max(max_over_time(%s |= "Progress of TaskAttempt" | regexp "is : (?P<p>[0-9.]+)" | unwrap p [$__range]))' % s, num(max(pr)), "max P in 'Progress of TaskAttempt X is : P'")
    att = a.ext(r"Progress of TaskAttempt (\S+) is")
    a.q("How many different task attempts reported progress?", "number", 'count(sum by (attempt) (count_over_time(%s |= "Progress of TaskAttempt" | regexp "TaskAttempt (?P<attempt>attempt_[0-9_a-z]+) is" [$__range])))' % s, len(set(att)), "distinct attempt ids in those lines")
    a.count("How many containers were assigned?", s + ' |= "Assigned container"', has("Assigned container"), "lines with 'Assigned container'")
    a.count("How many times was the schedule recalculated?", s + ' |= "Recalculating schedule"', has("Recalculating schedule"), "lines with 'Recalculating schedule'")
    a.count("How many times was the reduce slow start threshold not met?", s + ' |= "Reduce slow start threshold not met"', has("Reduce slow start threshold not met"), "lines with that text")
    a.count("How many hosts were resolved to the default rack?", s + ' |= "to /default-rack"', has("to /default-rack"), "lines with 'to /default-rack'")
    a.count("How many task attempts went from NEW to UNASSIGNED?", s + ' |= "TaskAttempt Transitioned from NEW to UNASSIGNED"', has("TaskAttempt Transitioned from NEW to UNASSIGNED"), "lines with that text")
    a.count("How many lines are there in total?", s, ALL, "all lines")
    a.newest("Show the container assignments.", s + ' |= "Assigned container"', has("Assigned container"), "lines with 'Assigned container'")
    a.write()


def healthapp():
    a = App("healthapp")
    s = sel("healthapp")
    a.q("Which component wrote the most lines?", "list", "topk(1, sum by (component) (count_over_time(%s [$__range])))" % s, top(a.group("component"), 1), "most frequent component")
    a.q("Which 3 components wrote the most lines?", "list", "topk(3, sum by (component) (count_over_time(%s [$__range])))" % s, top(a.group("component"), 3), "top 3 components")
    a.q("How many different components wrote lines?", "number", "count(sum by (component) (count_over_time(%s [$__range])))" % s, len([k for k in a.group("component") if k]), "distinct components")
    a.count("How many stand step changes were logged?", s + ' |= "onStandStepChanged"', has("onStandStepChanged"), "lines with onStandStepChanged")
    st = a.ext(r"onStandStepChanged (\d+)", conv=float)
    sx = s + ' |= "onStandStepChanged" | regexp "onStandStepChanged (?P<steps>[0-9]+)"'
    a.q("What is the highest step count reported by onStandStepChanged?", "number", "max(max_over_time(%s | unwrap steps [$__range]))" % sx, num(max(st)), "max N in 'onStandStepChanged N'")
    a.q("What is the lowest step count reported by onStandStepChanged?", "number", "min(min_over_time(%s | unwrap steps [$__range]))" % sx, num(min(st)), "min N in 'onStandStepChanged N'")
    a.count("How many onExtend lines were logged?", s + ' |= "onExtend"', has("onExtend"), "lines with onExtend")
    a.count("How many REPORT lines were logged?", s + ' |= "REPORT :"', has("REPORT :"), "lines with 'REPORT :'")
    a.count("How many times was the screen turned on (onReceive SCREEN_ON)?", s + ' |= "onReceive action: android.intent.action.SCREEN_ON"', has("onReceive action: android.intent.action.SCREEN_ON"), "lines with that text")
    a.count("How many times was the screen turned off (onReceive SCREEN_OFF)?", s + ' |= "onReceive action: android.intent.action.SCREEN_OFF"', has("onReceive action: android.intent.action.SCREEN_OFF"), "lines with that text")
    a.count("How many TIME_TICK broadcasts were processed?", s + ' |= "processHandleBroadcastAction action:android.intent.action.TIME_TICK"', has("processHandleBroadcastAction action:android.intent.action.TIME_TICK"), "lines with that text")
    cal = a.ext(r"totalCalories=(\d+)", conv=float)
    a.q("What is the highest totalCalories value?", "number", 'max(max_over_time(%s |= "totalCalories=" | regexp "totalCalories=(?P<c>[0-9]+)" | unwrap c [$__range]))' % s, num(max(cal)), "max N in 'totalCalories=N'")
    alt = a.ext(r"totalAltitude=(\d+)", conv=float)
    a.q("What is the highest totalAltitude value?", "number", 'max(max_over_time(%s |= "totalAltitude=" | regexp "totalAltitude=(?P<a>[0-9]+)" | unwrap a [$__range]))' % s, num(max(alt)), "max N in 'totalAltitude=N'")
    a.count("How many times was sensor data flushed?", s + ' |= "flush sensor data"', has("flush sensor data"), "lines with 'flush sensor data'")
    a.count("How many lines did the Step_LSC component write?", sel("healthapp", ', component="Step_LSC"'), lab("component", "Step_LSC"), "lines of component Step_LSC")
    a.count("How many times were today's total detail steps set?", s + ' |= "setTodayTotalDetailSteps="', has("setTodayTotalDetailSteps="), "lines with 'setTodayTotalDetailSteps='")
    td = a.ext(r"setTodayTotalDetailSteps=(\d+)", conv=float)
    a.q("What is the largest value set by setTodayTotalDetailSteps?", "number", 'max(max_over_time(%s |= "setTodayTotalDetailSteps=" | regexp "setTodayTotalDetailSteps=(?P<v>[0-9]+)" | unwrap v [$__range]))' % s, num(max(td)), "max first number after 'setTodayTotalDetailSteps='")
    a.count("How many lines are there in total?", s, ALL, "all lines")
    a.count("How many times could the app not sync because there was no cloud version?", s + ' |= "no cloud version"', has("no cloud version"), "lines with 'no cloud version'")
    a.count("How many lines did the Step_StandReportReceiver component write?", sel("healthapp", ', component="Step_StandReportReceiver"'), lab("component", "Step_StandReportReceiver"), "lines of that component")
    a.newest("Show the getBinderPackageName lines.", s + ' |= "getBinderPackageName"', has("getBinderPackageName"), "lines with getBinderPackageName")
    a.write()


def hpc():
    a = App("hpc")
    s = sel("hpc")
    a.q("Which component wrote the most lines?", "list", "topk(1, sum by (component) (count_over_time(%s [$__range])))" % s, top(a.group("component"), 1), "most frequent component")
    a.q("Which 3 components wrote the most lines?", "list", "topk(3, sum by (component) (count_over_time(%s [$__range])))" % s, top(a.group("component"), 3), "top 3 components")
    a.q("How many different components wrote lines?", "number", "count(sum by (component) (count_over_time(%s [$__range])))" % s, len([k for k in a.group("component") if k]), "distinct components")
    a.count("How many times did a link error event interval expire?", s + ' |= "Linkerror event interval expired"', has("Linkerror event interval expired"), "lines with that text")
    a.count("How many ambient temperature readings were logged?", s + ' |= "ambient="', has("ambient="), "lines with 'ambient='")
    amb = a.ext(r"ambient=(\d+)", conv=float)
    ax = s + ' |= "ambient=" | regexp "ambient=(?P<t>[0-9]+)"'
    a.q("What is the highest ambient temperature reading?", "number", "max(max_over_time(%s | unwrap t [$__range]))" % ax, num(max(amb)), "max N in 'ambient=N'")
    a.q("What is the lowest ambient temperature reading?", "number", "min(min_over_time(%s | unwrap t [$__range]))" % ax, num(min(amb)), "min N in 'ambient=N'")
    a.q("What is the average ambient temperature reading?", "number", "sum(sum_over_time(%s | unwrap t [$__range])) / sum(count_over_time(%s [$__range]))" % (ax, ax), sum(amb) / len(amb), "mean N in 'ambient=N'")
    a.count("How many 'not responding' lines are there?", s + ' |= "not responding"', has("not responding"), "lines with 'not responding'")
    a.count("How many times was something configured out?", s + ' |= "configured out"', has("configured out"), "lines with 'configured out'")
    a.count("How many NIFF network connection messages were logged?", s + ' |= "NIFF:"', has("NIFF:"), "lines with 'NIFF:'")
    a.count("How many fan speed readings were logged?", s + ' |= "Fan speeds"', has("Fan speeds"), "lines with 'Fan speeds'")
    a.count("How many lines mention ClusterFileSystem?", s + ' |= "ClusterFileSystem"', has("ClusterFileSystem"), "lines with ClusterFileSystem")
    a.count("How many lines are there in total?", s, ALL, "all lines")
    a.count("How many lines did the unix.hw component write?", sel("hpc", ', component="unix.hw"'), lab("component", "unix.hw"), "lines of component unix.hw")
    nodes = Counter(a.ext(r"^\d+ (node-\d+) "))
    a.q("Which node wrote the most lines?", "list", 'topk(1, sum by (node) (count_over_time(%s | regexp "^[0-9]+ (?P<node>node-[0-9]+) " | node != "" [$__range])))' % s, top(nodes, 1), "most frequent node-N in the second field")
    nr = a.ext(r"^\d+ (node-\d+) ", has("not responding"))
    a.q("How many different nodes were reported as not responding?", "number", 'count(sum by (node) (count_over_time(%s |= "not responding" | regexp "^[0-9]+ (?P<node>node-[0-9]+) " | node != "" [$__range])))' % s, len(set(nr)), "distinct node-N of 'not responding' lines")
    a.count("How many times did link errors remain current?", s + ' |= "link errors remain current"', has("link errors remain current"), "lines with that text")
    a.count("How many lines report a 'critical' state?", s + ' |~ " critical$"', lambda l: re.search(r" critical$", l.raw) is not None, "lines ending with ' critical'")
    a.count("How many lines report a 'warning' state?", s + ' |~ " warning$"', lambda l: re.search(r" warning$", l.raw) is not None, "lines ending with ' warning'")
    a.newest("Show the lines that report a 'critical' state.", s + ' |~ " critical$"', lambda l: re.search(r" critical$", l.raw) is not None, "lines ending with ' critical'")
    a.write()


def linux():
    a = App("linux")
    s = sel("linux")
    a.count("How many authentication failures were there?", s + ' |= "authentication failure"', has("authentication failure"), "lines with 'authentication failure'")
    a.count("How many authentication failures were for root?", s + ' |= "authentication failure" |= "user=root"', has("authentication failure", "user=root"), "those lines with user=root")
    rh = Counter(a.ext(r"rhost=(\S+)", has("authentication failure")))
    a.q("Which remote host caused the most authentication failures?", "list", 'topk(1, sum by (rhost) (count_over_time(%s |= "authentication failure" | regexp "rhost=(?P<rhost>\\\\S+)" [$__range])))' % s, top(rh, 1), "most frequent rhost= in those lines")
    a.count("How many sessions were opened?", s + ' |= "session opened"', has("session opened"), "lines with 'session opened'")
    a.count("How many sessions were closed?", s + ' |= "session closed"', has("session closed"), "lines with 'session closed'")
    su = Counter(a.ext(r"session opened for user (\S+)"))
    a.q("For which users were sessions opened?", "list", 'sum by (user) (count_over_time(%s |= "session opened" | regexp "session opened for user (?P<user>\\\\S+)" [$__range]))' % s, sorted(su), "distinct users in 'session opened for user U'")
    a.count("How many incoming connections were logged ('connection from')?", s + ' |= "connection from"', has("connection from"), "lines with 'connection from'")
    cf = Counter(a.ext(r"connection from ([0-9.]+)"))
    cx = s + ' |= "connection from" | regexp "connection from (?P<ip>[0-9.]+)"'
    a.q("Which 2 addresses made the most connections?", "list", "topk(2, sum by (ip) (count_over_time(%s [$__range])))" % cx, top(cf, 2), "the 2 most frequent IPs after 'connection from'")
    a.q("How many distinct addresses made connections?", "number", "count(sum by (ip) (count_over_time(%s [$__range])))" % cx, len(cf), "distinct IPs after 'connection from'")
    a.q("Which component wrote the most lines?", "list", "topk(1, sum by (component) (count_over_time(%s [$__range])))" % s, top(a.group("component"), 1), "most frequent component")
    a.q("Which 3 components wrote the most lines?", "list", "topk(3, sum by (component) (count_over_time(%s [$__range])))" % s, top(a.group("component"), 3), "top 3 components")
    a.q("How many different components wrote lines?", "number", "count(sum by (component) (count_over_time(%s [$__range])))" % s, len([k for k in a.group("component") if k]), "distinct components")
    a.count("How many times did ALERT exit abnormally?", s + ' |= "ALERT exited abnormally"', has("ALERT exited abnormally"), "lines with that text")
    a.count("How many Kerberos authentication failures were there?", s + ' |= "Kerberos authentication failed"', has("Kerberos authentication failed"), "lines with that text")
    a.count("How many password checks were for unknown users?", s + ' |= "check pass; user unknown"', has("check pass; user unknown"), "lines with that text")
    a.count("How many times did cupsd start up?", s + ' |= "cupsd startup succeeded"', has("cupsd startup succeeded"), "lines with that text")
    a.count("How many lines are there in total?", s, ALL, "all lines")
    a.count("How many lines did sshd(pam_unix) write?", sel("linux", ', component="sshd(pam_unix)"'), lab("component", "sshd(pam_unix)"), "lines of component sshd(pam_unix)")
    a.q("Which host names appear in the logs?", "list", "sum by (host) (count_over_time(%s [$__range]))" % s, sorted(k for k in a.group("host") if k), "distinct host fields")
    a.count("How many authentication failures were for the user guest?", s + ' |= "authentication failure" |= "user=guest"', has("authentication failure", "user=guest"), "those lines with user=guest")
    a.newest("Show the Kerberos authentication failures.", s + ' |= "Kerberos authentication failed"', has("Kerberos authentication failed"), "lines with that text")
    a.write()


def openstack():
    a = App("openstack")
    s = sel("openstack")
    a.count("How many GET requests were logged?", s + ' |= "\\"GET "', has('"GET '), "lines with '\"GET '")
    a.count("How many POST requests were logged?", s + ' |= "\\"POST "', has('"POST '), "lines with '\"POST '")
    a.count("How many requests returned status 200?", s + ' |= "status: 200"', has("status: 200"), "lines with 'status: 200'")
    a.count("How many requests returned status 404?", s + ' |= "status: 404"', has("status: 404"), "lines with 'status: 404'")
    codes = set(a.ext(r"status: (\d+)"))
    a.q("Which HTTP status codes were returned?", "list", 'sum by (status) (count_over_time(%s |= "status: " | regexp "status: (?P<status>[0-9]+)" [$__range]))' % s, sorted(codes), "distinct N in 'status: N'")
    tx = s + ' |= "time: " | regexp "time: (?P<t>[0-9.]+)"'
    times = a.ext(r"time: ([0-9.]+)", conv=float)
    a.q("What is the longest request time?", "number", "max(max_over_time(%s | unwrap t [$__range]))" % tx, num(max(times)), "max T in 'time: T'")
    gx = s + ' |= "\\"GET " | regexp "time: (?P<t>[0-9.]+)"'
    gt = a.ext(r"time: ([0-9.]+)", has('"GET '), conv=float)
    a.q("What is the average time of a GET request?", "number", "sum(sum_over_time(%s | unwrap t [$__range])) / sum(count_over_time(%s [$__range]))" % (gx, gx), sum(gt) / len(gt), "mean T in GET lines", tol=1e-6)
    a.count("How many WARNING lines are there?", sel("openstack", ', level="WARNING"'), lab("level", "WARNING"), "lines of level WARNING")
    a.q("Which log levels appear?", "list", "sum by (level) (count_over_time(%s [$__range]))" % s, sorted(k for k in a.group("level") if k), "distinct levels")
    a.q("Which component wrote the most lines?", "list", "topk(1, sum by (component) (count_over_time(%s [$__range])))" % s, top(a.group("component"), 1), "most frequent component")
    a.count("How many instances were spawned successfully?", s + ' |= "Instance spawned successfully"', has("Instance spawned successfully"), "lines with that text")
    a.count("How many instances were destroyed?", s + ' |= "Instance destroyed successfully"', has("Instance destroyed successfully"), "lines with that text")
    a.count("How many VM Paused events were there?", s + ' |= "VM Paused"', has("VM Paused"), "lines with 'VM Paused'")
    bt = a.ext(r"Took ([0-9.]+) seconds to build instance", conv=float)
    a.q("What is the longest time it took to build an instance, in seconds?", "number", 'max(max_over_time(%s |= "seconds to build instance" | regexp "Took (?P<t>[0-9.]+) seconds" | unwrap t [$__range]))' % s, num(max(bt)), "max T in 'Took T seconds to build instance'")
    sp = a.ext(r"Took ([0-9.]+) seconds to spawn", conv=float)
    spx = s + ' |= "seconds to spawn" | regexp "Took (?P<t>[0-9.]+) seconds"'
    a.q("What is the average time to spawn an instance on the hypervisor, in seconds?", "number", "sum(sum_over_time(%s | unwrap t [$__range])) / sum(count_over_time(%s [$__range]))" % (spx, spx), sum(sp) / len(sp), "mean T in 'Took T seconds to spawn'")
    a.count("How many unknown base files were reported?", s + ' |= "Unknown base file"', has("Unknown base file"), "lines with 'Unknown base file'")
    ti = a.ext(r"\[instance: ([0-9a-f-]+)\] Terminating instance")
    a.q("How many different instances were terminated?", "number", 'count(sum by (instance) (count_over_time(%s |= "Terminating instance" | regexp "instance: (?P<instance>[0-9a-f-]+)\\\\]" [$__range])))' % s, len(set(ti)), "distinct instance ids of 'Terminating instance' lines")
    a.count("How many lines are there in total?", s, ALL, "all lines")
    cl = a.ext(r"\] ([0-9]+\.[0-9]+\.[0-9]+\.[0-9]+) \"", has("status: "))
    a.q("How many different client addresses made requests?", "number", 'count(sum by (ip) (count_over_time(%s |= "status: " | regexp "\\\\] (?P<ip>[0-9]+\\\\.[0-9]+\\\\.[0-9]+\\\\.[0-9]+) \\"" | ip != "" [$__range])))' % s, len(set(cl)), "distinct client IPs of request lines")
    a.newest("Show the WARNING lines.", sel("openstack", ', level="WARNING"'), lab("level", "WARNING"), "lines of level WARNING")
    a.write()


def windows():
    a = App("windows")
    s = sel("windows")
    a.q("Which components wrote lines?", "list", "sum by (component) (count_over_time(%s [$__range]))" % s, sorted(k for k in a.group("component") if k), "distinct components")
    a.count("How many lines did the CSI component write?", sel("windows", ', component="CSI"'), lab("component", "CSI"), "lines of component CSI")
    a.count("How many lines did the CBS component write?", sel("windows", ', component="CBS"'), lab("component", "CBS"), "lines of component CBS")
    a.count("How many sessions were initialized by the WindowsUpdateAgent?", s + ' |= "initialized by client WindowsUpdateAgent"', has("initialized by client WindowsUpdateAgent"), "lines with that text")
    a.count("How many 'Unrecognized packageExtended attribute' warnings were logged?", s + ' |= "Unrecognized packageExtended attribute"', has("Unrecognized packageExtended attribute"), "lines with that text")
    a.count("How many CBS_E_MANIFEST_INVALID_ITEM errors were logged?", s + ' |= "CBS_E_MANIFEST_INVALID_ITEM"', has("CBS_E_MANIFEST_INVALID_ITEM"), "lines with that text")
    a.count("How many CBS_E_INVALID_PACKAGE errors were logged?", s + ' |= "CBS_E_INVALID_PACKAGE"', has("CBS_E_INVALID_PACKAGE"), "lines with that text")
    a.count("How many times was a cached package applicability read?", s + ' |= "Read out cached package applicability"', has("Read out cached package applicability"), "lines with that text")
    ap = Counter(a.ext(r"ApplicableState: (\d+)"))
    a.q("Which ApplicableState value occurs most often?", "list", 'topk(1, sum by (state) (count_over_time(%s |= "ApplicableState: " | regexp "ApplicableState: (?P<state>[0-9]+)" [$__range])))' % s, top(ap, 1), "most frequent N in 'ApplicableState: N'")
    pk = a.ext(r"cached package applicability for package: ([^,]+),")
    a.q("For how many different packages was a cached applicability read?", "number", 'count(sum by (package) (count_over_time(%s |= "cached package applicability" | regexp "for package: (?P<package>[^,]+)," [$__range])))' % s, len(set(pk)), "distinct package names in those lines")
    a.count("How many offline registry hives were loaded?", s + ' |= "Loading offline registry hive"', has("Loading offline registry hive"), "lines with that text")
    a.count("How many offline registry hives were unloaded?", s + ' |= "Unloading offline registry hive"', has("Unloading offline registry hive"), "lines with that text")
    a.count("How many lines are there in total?", s, ALL, "all lines")
    a.q("Which log levels appear?", "list", "sum by (level) (count_over_time(%s [$__range]))" % s, sorted(k for k in a.group("level") if k), "distinct levels")
    a.count("How many lines mention an HRESULT?", s + ' |= "HRESULT"', has("HRESULT"), "lines with HRESULT")
    a.count("How many lines mention TrustedInstaller?", s + ' |= "TrustedInstaller"', has("TrustedInstaller"), "lines with TrustedInstaller")
    a.count("How many 'Failed to' lines were logged?", s + ' |= "Failed to"', has("Failed to"), "lines with 'Failed to'")
    a.count("How many times was WcpInitialize called?", s + ' |= "WcpInitialize"', has("WcpInitialize"), "lines with WcpInitialize")
    a.count("How many NT transactions were created?", s + ' |= "Created NT transaction"', has("Created NT transaction"), "lines with 'Created NT transaction'")
    a.count("How many times did TrustedInstaller initialization end?", s + ' |= "Ending TrustedInstaller initialization"', has("Ending TrustedInstaller initialization"), "lines with that text")
    a.newest("Show the lines where creating the backup log cab failed.", s + ' |= "Failed to create backup log cab"', has("Failed to create backup log cab"), "lines with that text")
    a.write()


if __name__ == "__main__":
    todo = sys.argv[1:] or ["android", "apache", "bgl", "hadoop", "hdfs", "healthapp", "hpc", "linux", "openssh", "openstack", "windows", "zookeeper"]
    for name in todo:
        globals()[name]()
        print(name, "written")
