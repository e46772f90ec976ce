#!/usr/bin/env python3
"""Writes the two synthetic structured samples, deterministically (a seed):

- datasets/jsonsvc/: a JSON service log (one object per line), 15 message
  templates with typed slots, structured fields, request/job/login sessions,
  a few plain lines (a mixed file) and a few bad lines;
- datasets/logfmtsvc/: a logfmt log of a storage node, 12 templates, the same
  kinds of bad lines.

Each folder gets dataset.toml, the log, templates.csv (EventId,EventTemplate)
and <app>_structured.csv, the per-line ground truth in the layout of Loghub's
*_structured.csv (LineId, the header fields, Content, EventId, EventTemplate).
Bad lines (not parseable, no message, a message that is not a string) have
EventId "BAD": their content is the whole line; the accuracy test leaves them
out. Run: python3 datasets/gen_structured.py [--seed N] [--lines N]
"""

import argparse
import csv
import json
import os
import random
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))

USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
         "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yvonne"]
TABLES = ["orders", "customers", "invoices", "shipments", "payments", "carts", "products", "reviews"]


class Clock:
    def __init__(self, rng, start):
        self.rng = rng
        self.t = start

    def tick(self):
        self.t += timedelta(milliseconds=self.rng.randint(0, 1500))
        return self.t


def rfc3339_ms(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def ip(rng):
    return f"10.{rng.randint(0, 3)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


# ---------------------------------------------------------------- jsonsvc

JSON_TEMPLATES = [
    ("E1", "Accepted connection from <*>"),
    ("E2", "Handled request <*> in <*> with status <*>"),
    ("E3", "User login succeeded for <*> from <*>"),
    ("E4", "Cache miss for key <*>"),
    ("E5", "Retrying payment <*> attempt <*> of <*>"),
    ("E6", "Payment <*> authorized for amount <*>"),
    ("E7", "Order <*> shipped to warehouse <*>"),
    ("E8", "Database query took <*> rows=<*>"),
    ("E9", "Slow query detected on table <*> duration <*>"),
    ("E10", "Failed to connect to upstream <*> connection refused"),
    ("E11", "Session <*> expired after <*> of inactivity"),
    ("E12", "Worker <*> started processing job <*>"),
    ("E13", "Job <*> finished in <*> with <*> items"),
    ("E14", "Rate limit exceeded for client <*>"),
    ("E15", "Health check OK"),
    # Plain (not JSON) lines of the mixed file.
    ("E16", "Starting jsonsvc version <*> on port <*>"),
    ("E17", "panic: runtime error: index out of range <*> with length <*>"),
]


def json_flows(rng):
    """Endless events as (template id, message, level, service, fields)."""
    req = 0
    job = 0
    pay = 0
    sess = 0
    open_flows = []

    def request():
        nonlocal req
        req += 1
        rid = f"req-{req:05d}"
        peer = f"{ip(rng)}:{rng.randint(1024, 65535)}"
        yield "E1", f"Accepted connection from {peer}", "info", "api", {"request_id": rid, "peer": peer}
        if rng.random() < 0.5:
            key = f'"user:{rng.randint(1, 500)}:profile"'
            yield "E4", f"Cache miss for key {key}", "debug", "api", {"request_id": rid, "cache": "redis"}
            ms = rng.randint(1, 80)
            yield "E8", f"Database query took {ms}ms rows={rng.randint(0, 200)}", "debug", "api", {"request_id": rid, "db_ms": ms}
        path = rng.choice(["/api/v1/orders/", "/api/v1/carts/", "/api/v1/users/"]) + str(rng.randint(1, 9999))
        status = rng.choice([200] * 8 + [404, 500])
        ms = rng.randint(2, 900)
        level = "error" if status == 500 else "info"
        yield "E2", f"Handled request {path} in {ms}ms with status {status}", level, "api", {
            "request_id": rid, "status": status, "duration_ms": ms, "method": rng.choice(["GET", "POST", "PUT"])}

    def login():
        nonlocal sess
        sess += 1
        user = rng.choice(USERS)
        sid = f"s{sess:04d}x"
        yield "E3", f"User login succeeded for {user} from {ip(rng)}", "info", "auth", {"user": user, "session_id": sid}
        yield "E11", f"Session {sid} expired after {rng.randint(300, 3600)}s of inactivity", "info", "auth", {"user": user, "session_id": sid}

    def work():
        nonlocal job
        job += 1
        jid = f"job-{job:04d}"
        worker = f"w{rng.randint(1, 8)}"
        yield "E12", f"Worker {worker} started processing job {jid}", "info", "worker", {"job_id": jid, "queue": rng.choice(["email", "export", "billing"])}
        if rng.random() < 0.2:
            yield "E10", f"Failed to connect to upstream {ip(rng)}:{rng.choice([5432, 6379, 8080])} connection refused", "warn", "worker", {"job_id": jid}
        yield "E13", f"Job {jid} finished in {rng.randint(10, 20000)}ms with {rng.randint(0, 5000)} items", "info", "worker", {"job_id": jid}

    def payment():
        nonlocal pay
        pay += 1
        pid = f"pay-{pay:05d}"
        n = rng.randint(1, 3)
        for a in range(2, n + 1):
            yield "E5", f"Retrying payment {pid} attempt {a} of {n}", "warn", "billing", {"payment_id": pid}
        amount = f"{rng.randint(1, 900)}.{rng.randint(0, 99):02d}"
        yield "E6", f"Payment {pid} authorized for amount {amount}", "info", "billing", {
            "payment_id": pid, "currency": rng.choice(["USD", "EUR", "GBP"]), "amount": float(amount)}
        yield "E7", f"Order ord-{rng.randint(1, 99999)} shipped to warehouse wh-{rng.randint(1, 12)}", "info", "billing", {"payment_id": pid}

    singles = [
        lambda: ("E9", f"Slow query detected on table {rng.choice(TABLES)} duration {rng.randint(500, 9000)}ms", "warn", "api", {}),
        lambda: ("E14", f"Rate limit exceeded for client {ip(rng)}", "warn", "api", {"limit": 100}),
        lambda: ("E15", "Health check OK", "debug", "api", {"probe": "liveness"}),
    ]
    makers = [request, request, request, login, work, work, payment]
    while True:
        if len(open_flows) < 6 or rng.random() < 0.1:
            open_flows.append(rng.choice(makers)())
        if rng.random() < 0.12:
            yield rng.choice(singles)()
            continue
        f = rng.choice(open_flows)
        ev = next(f, None)
        if ev is None:
            open_flows.remove(f)
            continue
        yield ev


def write_jsonsvc(rng, n_lines):
    out_dir = os.path.join(HERE, "jsonsvc")
    os.makedirs(out_dir, exist_ok=True)
    clock = Clock(rng, datetime(2024, 3, 4, 9, 0, 0, tzinfo=timezone.utc))
    texts = dict(JSON_TEMPLATES)
    rows = []  # (line, time, level, service, content, event id)
    flows = json_flows(rng)
    bad_at = set(rng.sample(range(50, n_lines - 10), 12))
    plain_at = set(rng.sample(range(5, n_lines - 5), 10)) - bad_at
    bad_kinds = ["truncated", "number_msg", "no_msg", "bad_escape", "unix_ts", "not_json_brace"]
    version = "1.4.2"
    for i in range(n_lines):
        t = clock.tick()
        ts = rfc3339_ms(t)
        if i == 0 or i in plain_at:
            if i == 0 or rng.random() < 0.5:
                msg = f"Starting jsonsvc version {version} on port {rng.choice([8080, 8443])}"
                rows.append((msg, ts, "", "", msg, "E16"))
            else:
                msg = f"panic: runtime error: index out of range [{rng.randint(1, 9)}] with length {rng.randint(0, 9)}"
                rows.append((msg, ts, "", "", msg, "E17"))
            continue
        eid, msg, level, service, fields = next(flows)
        obj = {"ts": ts, "level": level, "service": service, "msg": msg}
        obj.update(fields)
        if i in bad_at:
            kind = bad_kinds[len([b for b in bad_at if b < i]) % len(bad_kinds)]
            if kind == "truncated":
                line = json.dumps(obj)[: rng.randint(20, 40)]
                rows.append((line, ts, "", "", line, "BAD"))
            elif kind == "number_msg":
                obj["msg"] = 500
                line = json.dumps(obj)
                rows.append((line, ts, level, service, line, "BAD"))
            elif kind == "no_msg":
                del obj["msg"]
                obj["event"] = "heartbeat"
                line = json.dumps(obj)
                rows.append((line, ts, level, service, line, "BAD"))
            elif kind == "bad_escape":
                line = json.dumps(obj).replace('"msg": "', '"msg": "\\q', 1)
                rows.append((line, ts, "", "", line, "BAD"))
            elif kind == "not_json_brace":
                line = "{" + msg
                rows.append((line, ts, "", "", line, "BAD"))
            else:  # unix_ts: another timestamp format; the message is fine
                obj["ts"] = int(t.timestamp())
                line = json.dumps(obj)
                rows.append((line, ts, level, service, msg, eid))
            continue
        line = json.dumps(obj)
        rows.append((line, ts, level, service, msg, eid))
    write_dataset(out_dir, "jsonsvc", JSON_TEMPLATES, texts, rows, ["Time", "Level", "Service"], JSON_TOML)


JSON_TOML = '''# Written by datasets/gen_structured.py (synthetic; do not edit by hand).
description = "A synthetic checkout service (jsonsvc) logging one JSON object per line: an HTTP API (connections, requests with status and duration, cache misses, database queries, slow queries, rate limiting), an auth service (logins and session expiry), background workers (jobs, upstream connection failures) and billing (payment retries, authorisations, shipping). A few plain lines (start-up banners, a Go panic) are mixed in, and a few lines are broken. An on-call engineer looks for 5xx statuses and slow requests, upstream connection failures, payment retries, rate limiting and panics."
log = "jsonsvc.log"
format = "json"
templates = "templates.csv"

# {"ts":"2024-03-04T09:00:01.234Z","level":"info","service":"api","msg":"...","request_id":"req-00001",...}
message_field = "msg"
timestamp_field = "ts"
timestamp_format = "rfc3339"
level_field = "level"
# Three services: a label with few values. Ids (request_id, job_id...) stay fields.
label_fields = ["service"]

[[sessions]]
name = "request"
field = "request_id"

[[sessions]]
name = "job"
field = "job_id"
'''


# ---------------------------------------------------------------- logfmtsvc

LOGFMT_TEMPLATES = [
    ("L1", "Volume <*> mounted at <*>"),
    ("L2", "Compaction of segment <*> took <*>"),
    ("L3", "Scheduled task <*> for node <*>"),
    ("L4", "Lease renewed for holder <*> ttl <*>"),
    ("L5", "Snapshot <*> written with <*> bytes"),
    ("L6", "Replica <*> lagging behind leader by <*> entries"),
    ("L7", "Evicting <*> keys from cache shard <*>"),
    ("L8", "Leader election won by <*> in term <*>"),
    ("L9", "Disk usage at <*> on <*>"),
    ("L10", "Checkpoint completed"),
    ("L11", "GC paused for <*>"),
    # Plain line of the mixed file.
    ("L12", "Starting logfmtsvc build <*>"),
]


def logfmt_value(v):
    s = str(v)
    if s == "" or any(c in s for c in ' ="\\'):
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return s


def logfmt_events(rng):
    term = 1
    while True:
        r = rng.random()
        node = f"node-{rng.randint(1, 6)}"
        if r < 0.12:
            v = f"vol-{rng.randint(100, 999)}"
            yield "L1", f"Volume {v} mounted at /mnt/data/{rng.randint(1, 9)}", "info", "storage", {"volume": v}
        elif r < 0.24:
            seg = f"seg{rng.randint(1, 5000)}"
            yield "L2", f"Compaction of segment {seg} took {rng.randint(1, 90)}.{rng.randint(0, 9)}s", "info", "compactor", {"segment": seg, "level": 2}
        elif r < 0.36:
            task = f"task-{rng.randint(1, 999)}"
            yield "L3", f"Scheduled task {task} for node {node}", "info", "scheduler", {"task": task, "node": node}
        elif r < 0.46:
            yield "L4", f"Lease renewed for holder {node} ttl {rng.choice([10, 15, 30])}s", "debug", "scheduler", {"holder": node}
        elif r < 0.54:
            snap = f"snap-{rng.randint(1, 300)}"
            yield "L5", f"Snapshot {snap} written with {rng.randint(1000, 10**9)} bytes", "info", "storage", {"snapshot": snap}
        elif r < 0.62:
            yield "L6", f"Replica {node} lagging behind leader by {rng.randint(1, 5000)} entries", "warn", "raft", {"replica": node}
        elif r < 0.72:
            yield "L7", f"Evicting {rng.randint(1, 100000)} keys from cache shard {rng.randint(0, 15)}", "debug", "cache", {"shard": rng.randint(0, 15)}
        elif r < 0.76:
            term += 1
            yield "L8", f"Leader election won by {node} in term {term}", "warn", "raft", {"term": term}
        elif r < 0.84:
            yield "L9", f"Disk usage at {rng.randint(40, 99)}% on /dev/sd{rng.choice('abc')}{rng.randint(1, 3)}", "warn", "storage", {"mount": "/data"}
        elif r < 0.90:
            yield "L10", "Checkpoint completed", "info", "storage", {"wal_bytes": rng.randint(0, 10**6)}
        else:
            yield "L11", f"GC paused for {rng.randint(1, 400)}ms", "debug", "runtime", {"heap_mb": rng.randint(100, 4000)}


def write_logfmtsvc(rng, n_lines):
    out_dir = os.path.join(HERE, "logfmtsvc")
    os.makedirs(out_dir, exist_ok=True)
    clock = Clock(rng, datetime(2024, 5, 20, 14, 0, 0, tzinfo=timezone.utc))
    texts = dict(LOGFMT_TEMPLATES)
    rows = []
    events = logfmt_events(rng)
    bad_at = set(rng.sample(range(50, n_lines - 10), 10))
    plain_at = set(rng.sample(range(5, n_lines - 5), 6)) - bad_at
    bad_kinds = ["unterminated", "no_msg", "rfc_ts", "bad_escape", "key_quote"]
    for i in range(n_lines):
        t = clock.tick()
        ms = int(t.timestamp() * 1000)
        ts = rfc3339_ms(t)
        if i == 0 or i in plain_at:
            msg = f"Starting logfmtsvc build {rng.choice(['2024.05.1', '2024.05.2'])}"
            rows.append((msg, ts, "", "", msg, "L12"))
            continue
        eid, msg, level, comp, fields = next(events)
        pairs = [("ts", ms), ("level", level), ("component", comp), ("msg", msg)] + [
            (k, v) for k, v in fields.items() if k != "level"]
        if i in bad_at:
            kind = bad_kinds[len([b for b in bad_at if b < i]) % len(bad_kinds)]
            if kind == "unterminated":
                line = " ".join(f"{k}={logfmt_value(v)}" for k, v in pairs)
                line = line[: line.index('msg="') + 12]
                rows.append((line, ts, "", "", line, "BAD"))
            elif kind == "no_msg":
                line = " ".join(f"{k}={logfmt_value(v)}" for k, v in pairs if k != "msg")
                rows.append((line, ts, level, comp, line, "BAD"))
            elif kind == "rfc_ts":
                pairs[0] = ("ts", ts)
                line = " ".join(f"{k}={logfmt_value(v)}" for k, v in pairs)
                rows.append((line, ts, level, comp, msg, eid))
            elif kind == "bad_escape":
                line = " ".join(f"{k}={logfmt_value(v)}" for k, v in pairs).replace('msg="', 'msg="\\q', 1)
                rows.append((line, ts, "", "", line, "BAD"))
            else:  # key_quote
                line = " ".join(f"{k}={logfmt_value(v)}" for k, v in pairs) + ' "odd"=1'
                rows.append((line, ts, "", "", line, "BAD"))
            continue
        line = " ".join(f"{k}={logfmt_value(v)}" for k, v in pairs)
        rows.append((line, ts, level, comp, msg, eid))
    write_dataset(out_dir, "logfmtsvc", LOGFMT_TEMPLATES, texts, rows, ["Time", "Level", "Component"], LOGFMT_TOML)


LOGFMT_TOML = '''# Written by datasets/gen_structured.py (synthetic; do not edit by hand).
description = "A synthetic storage node (logfmtsvc) logging logfmt lines: volumes mounted, segment compactions, scheduled tasks and lease renewals, snapshots, Raft replicas lagging and leader elections, cache evictions, disk usage, checkpoints and GC pauses. A few plain start-up lines are mixed in and a few lines are broken. An on-call engineer looks for replicas lagging, frequent leader elections, disks filling up and long GC pauses."
log = "logfmtsvc.log"
format = "logfmt"
templates = "templates.csv"

# ts=1716213600123 level=info component=storage msg="Volume vol-123 mounted at /mnt/data/4" volume=vol-123
message_field = "msg"
timestamp_field = "ts"
timestamp_format = "unix_ms"
level_field = "level"
label_fields = ["component"]
'''


def write_dataset(out_dir, app, templates, texts, rows, header_fields, toml):
    """The log, its ground truth and templates, and dataset.toml."""
    with open(os.path.join(out_dir, f"{app}.log"), "w", newline="\n") as f:
        for r in rows:
            f.write(r[0] + "\n")
    write_truth(out_dir, app, templates, texts, rows, header_fields)
    with open(os.path.join(out_dir, "dataset.toml"), "w") as f:
        f.write(toml)


def write_truth(out_dir, app, templates, texts, rows, header_fields):
    with open(os.path.join(out_dir, "templates.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["EventId", "EventTemplate"])
        for eid, text in templates:
            w.writerow([eid, text])
    with open(os.path.join(out_dir, f"{app}_structured.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["LineId"] + header_fields + ["Content", "EventId", "EventTemplate"])
        for i, (_, ts, level, svc, content, eid) in enumerate(rows):
            w.writerow([i + 1, ts, level, svc, content, eid, texts.get(eid, "")])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("--lines", type=int, default=3000)
    a = ap.parse_args()
    write_jsonsvc(random.Random(a.seed), a.lines)
    write_logfmtsvc(random.Random(a.seed + 1), a.lines)


if __name__ == "__main__":
    main()
