#!/usr/bin/env python3
"""The SQLite store (<logdir>/medsentry.db) against eve.json and assets.json, and the commands that read it.

Two runs into one log directory (samples/imaging-network.pcap, then the Kwampirs-like SMB capture, which alerts):
  - runs: two rows, each with its capture, a finished end and the final stats object eve.json wrote;
  - alerts: the rows equal the `alert` events of eve.json (same count, sids, addresses, ports, flow ids, times and
    evidence objects);
  - flows: one row per `flow` event, same ids, counters, app_proto and end reason;
  - assets: one row per address of either run's assets.json, the record of the last run that saw it with the
    earliest first_seen and latest last_seen; asset_history: one row per `asset` event;
  - stats.sqlite: rows = what the run stored, nothing dropped, no error.
Then `medsentry alerts` / `medsentry assets` (table and --json, filters), and the failures: a garbage file, a
database from a newer medsentry, someone else's SQLite file and a missing store give one error line naming the
file and exit 1; bad arguments exit 2; a sensor given a garbage store still writes eve.json and exits 0.
The expectations come from eve.json and assets.json of the same runs (the store must agree with them) and from
the interface in docs/DESIGN.md, never from the store's own earlier output.
Env: MEDSENTRY (binary), REPO (repository root), TMPDIR.  Exit 0 pass, 1 fail, 77 skip.
"""
import collections
import datetime
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

REPO = os.environ.get("REPO", os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("MEDSENTRY", os.path.join(REPO, "build", "medsentry"))
CAPTURES = [os.path.join(REPO, "samples", "imaging-network.pcap"),
            os.path.join(REPO, "tests", "data", "corpus", "generated", "pcaps",
                         "smb_02_smb2_kwampirs_like_lateral.pcap")]
APP_ID = 0x4D534442

problems = []


def check(cond, msg):
    if not cond:
        problems.append(msg)
    return cond


def run(args, want=None):
    p = subprocess.run([BIN] + args, capture_output=True, text=True, timeout=600, env=dict(os.environ, TZ="UTC"))
    if want is not None:
        check(p.returncode == want, "%s: exit %d, want %d; stderr: %s" % (" ".join(args), p.returncode, want,
                                                                         p.stderr[:400]))
    return p


def us(ts):
    dt = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%f%z")
    return (dt - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)) // datetime.timedelta(microseconds=1)


def one_error_line(p, name, path, words):
    lines = p.stderr.strip().splitlines()
    check(len(lines) == 1, "%s: %d lines on stderr, want 1: %r" % (name, len(lines), p.stderr[:400]))
    check(p.stderr.startswith("medsentry: error: "), "%s: stderr does not start with 'medsentry: error:'" % name)
    check(path in p.stderr, "%s: the error does not name %s: %r" % (name, path, p.stderr[:300]))
    check(words in p.stderr, "%s: the error does not say '%s': %r" % (name, words, p.stderr[:300]))
    check(p.stdout == "", "%s: output on stdout: %r" % (name, p.stdout[:200]))


def main():
    if not os.access(BIN, os.X_OK):
        print("SKIP: no binary at %s" % BIN)
        return 77
    for c in CAPTURES:
        if not os.path.exists(c):
            print("SKIP: missing %s" % c)
            return 77
    tmp = tempfile.mkdtemp(dir=os.environ.get("TMPDIR"))
    logdir = os.path.join(tmp, "logs")
    db_path = os.path.join(logdir, "medsentry.db")

    # ---- two runs into one directory ----
    asset_files, eve_offsets = [], [0]
    for cap in CAPTURES:
        run(["-q", "-r", cap, "-l", logdir], want=0)
        with open(os.path.join(logdir, "assets.json")) as f:
            asset_files.append(json.load(f))
        eve_offsets.append(sum(1 for _ in open(os.path.join(logdir, "eve.json"))))
    events = [json.loads(line) for line in open(os.path.join(logdir, "eve.json"))]
    runs_events = [events[eve_offsets[i]:eve_offsets[i + 1]] for i in range(len(CAPTURES))]
    eve_alerts = [e for e in events if e["event_type"] == "alert"]
    check(len(eve_alerts) > 0, "the captures raised no alert: nothing to compare")
    check(any(e["event_type"] == "alert" for e in runs_events[1]), "the SMB capture raised no alert")

    db = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True)
    db.row_factory = sqlite3.Row
    check(db.execute("PRAGMA user_version").fetchone()[0] >= 1, "user_version not set")
    check(db.execute("PRAGMA application_id").fetchone()[0] == APP_ID, "application_id is not medsentry's")
    check(db.execute("PRAGMA journal_mode").fetchone()[0] == "wal", "the store is not in WAL mode")

    # ---- runs ----
    runs = db.execute("SELECT * FROM runs ORDER BY id").fetchall()
    check(len(runs) == 2, "%d runs recorded, want 2" % len(runs))
    for i, r in enumerate(runs[:2]):
        check(r["source"] == CAPTURES[i], "run %d: source %r, want %r" % (i + 1, r["source"], CAPTURES[i]))
        check(r["end_wall"] is not None and r["end_wall"] >= r["start_wall"], "run %d: no end recorded" % (i + 1))
        check(r["sensor"], "run %d: no sensor name" % (i + 1))
        final = [e for e in runs_events[i] if e["event_type"] == "stats" and e["stats"].get("final")]
        check(len(final) == 1, "run %d: %d final stats events in eve.json" % (i + 1, len(final)))
        if final and r["stats"]:
            check(json.loads(r["stats"]) == final[0]["stats"], "run %d: runs.stats differs from eve.json's final "
                                                               "stats" % (i + 1))
            st = final[0]["stats"]["sqlite"]
            # an alert, flow or asset event is a row; every host of assets.json is one more at the end
            stored = sum(1 for e in runs_events[i] if e["event_type"] in ("alert", "flow", "asset"))
            stored += len(asset_files[i])
            check(st == {"rows": stored, "dropped": 0, "transactions": st["transactions"], "errors": 0},
                  "run %d: stats.sqlite %r, want %d rows, nothing dropped, no error" % (i + 1, st, stored))
            check(st["transactions"] >= 1, "run %d: no transaction counted" % (i + 1))
        else:
            check(False, "run %d: no stats recorded" % (i + 1))
        pkts = [e for e in runs_events[i] if e["event_type"] == "flow"]
        if pkts:
            check(r["first_ts"] is not None and r["first_ts"] <= min(us(e["flow"]["start"]) for e in pkts),
                  "run %d: first_ts after the first flow's start" % (i + 1))
            check(r["last_ts"] is not None and r["last_ts"] >= max(us(e["flow"]["end"]) for e in pkts),
                  "run %d: last_ts before the last flow's end" % (i + 1))

    # ---- alerts ----
    def eve_alert_key(e, run_id):
        return (run_id, us(e["timestamp"]), e["alert"]["signature_id"], e["alert"]["signature"],
                e["alert"]["category"], e["alert"]["severity"], e["src_ip"], e.get("src_port"), e.get("dest_ip"),
                e.get("dest_port"), e.get("proto"), e.get("app_proto"), e.get("flow_id"),
                json.dumps(e["evidence"], sort_keys=True))
    want = collections.Counter(eve_alert_key(e, i + 1) for i in range(2) for e in runs_events[i]
                               if e["event_type"] == "alert")
    got = collections.Counter(
        (r["run_id"], r["ts"], r["signature_id"], r["signature"], r["category"], r["severity"], r["src_ip"],
         r["src_port"], r["dest_ip"], r["dest_port"], r["proto"], r["app_proto"], r["flow_id"],
         json.dumps(json.loads(r["evidence"]), sort_keys=True)) for r in db.execute("SELECT * FROM alerts"))
    check(sum(got.values()) == len(eve_alerts), "%d alert rows, %d alert events" % (sum(got.values()),
                                                                                    len(eve_alerts)))
    for k in (want - got):
        problems.append("alert event not in the store: %s" % (k[:13],))
    for k in (got - want):
        problems.append("alert row not in eve.json: %s" % (k[:13],))

    # ---- flows ----
    want_f = collections.Counter()
    for i in range(2):
        for e in runs_events[i]:
            if e["event_type"] == "flow":
                f = e["flow"]
                want_f[(i + 1, e["flow_id"], us(f["start"]), us(f["end"]), e["src_ip"], e.get("src_port"),
                        e["dest_ip"], e.get("dest_port"), e["proto"], e.get("app_proto"), f["pkts_toserver"],
                        f["pkts_toclient"], f["bytes_toserver"], f["bytes_toclient"], f["reason"])] += 1
    got_f = collections.Counter(tuple(r) for r in db.execute(
        "SELECT run_id, flow_id, start_ts, end_ts, src_ip, src_port, dest_ip, dest_port, proto, app_proto,"
        " pkts_toserver, pkts_toclient, bytes_toserver, bytes_toclient, reason FROM flows"))
    check(sum(want_f.values()) > 0 and sum(got_f.values()) == sum(want_f.values()),
          "%d flow rows, %d flow events" % (sum(got_f.values()), sum(want_f.values())))
    for k in list(want_f - got_f)[:5]:
        problems.append("flow event not in the store: %s" % (k,))
    for k in list(got_f - want_f)[:5]:
        problems.append("flow row not in eve.json: %s" % (k,))

    # ---- assets and their history ----
    expect = {}
    for recs in asset_files:            # the last run that saw a host gives its record...
        for a in recs:
            prev = expect.get(a["ip"])
            a = dict(a)
            if prev:                    # ...with the earliest first_seen and the latest last_seen
                if us(prev["first_seen"]) < us(a["first_seen"]):
                    a["first_seen"] = prev["first_seen"]
                if us(prev["last_seen"]) > us(a["last_seen"]):
                    a["last_seen"] = prev["last_seen"]
            expect[a["ip"]] = a
    rows = {r["ip"]: r for r in db.execute("SELECT * FROM assets")}
    check(len(expect) > 0 and set(rows) == set(expect), "asset rows %s, assets.json addresses %s" %
          (sorted(rows), sorted(expect)))
    for ip, a in expect.items():
        if ip not in rows:
            continue
        r = rows[ip]
        check(json.loads(r["json"]) == a, "asset %s: stored record differs from assets.json:\n  %s\n  %s" %
              (ip, r["json"], json.dumps(a)))
        check(r["first_seen"] == us(a["first_seen"]) and r["last_seen"] == us(a["last_seen"]),
              "asset %s: first/last seen columns differ from the record" % ip)
        roles = set(filter(None, r["roles"].split(",")))
        seen_dicom = [x for recs in asset_files for x in recs if x["ip"] == ip]
        want_roles = set()
        for x in seen_dicom:
            if x["dicom_role"] in ("SCU", "both"):
                want_roles.add("dicom-scu")
            if x["dicom_role"] in ("SCP", "both"):
                want_roles.add("dicom-scp")
            if "smb" in x:
                want_roles |= {"client": {"smb-client"}, "server": {"smb-server"},
                               "both": {"smb-client", "smb-server"}}[x["smb"]["role"]]
        check(roles == want_roles, "asset %s: roles %s, want %s (every run's)" % (ip, sorted(roles),
                                                                              sorted(want_roles)))
        aes = set(filter(None, r["ae_titles"].split(",")))
        want_aes = {t for x in seen_dicom for t in x["ae_titles_calling"] + x["ae_titles_called"]}
        check(aes == want_aes, "asset %s: AE titles %s, want %s" % (ip, sorted(aes), sorted(want_aes)))
    want_h = collections.Counter((i + 1, us(e["timestamp"]), e["asset"]["ip"], e["asset"]["change"])
                                 for i in range(2) for e in runs_events[i] if e["event_type"] == "asset")
    got_h = collections.Counter(tuple(r) for r in db.execute("SELECT run_id, ts, ip, change FROM asset_history"))
    check(sum(want_h.values()) > 0 and want_h == got_h, "asset_history differs from the asset events: missing %s, "
          "extra %s" % (list(want_h - got_h)[:3], list(got_h - want_h)[:3]))
    db.close()

    # ---- medsentry alerts ----
    p = run(["alerts", "-l", logdir], want=0)
    lines = p.stdout.splitlines()
    check(len(lines) == 1 + len(eve_alerts), "alerts table: %d lines, want a header and %d rows" %
          (len(lines), len(eve_alerts)))
    if lines:
        head = lines[0]
        check(head.split()[:3] == ["SEVERITY", "SID", "SIGNATURE"], "alerts table header: %r" % head)
        sid_col, arrow_col = head.index("SID"), head.index("SOURCE")
        time_col = head.index("TIME")
        for line in lines[1:]:
            check(line[sid_col:sid_col + 7].isdigit() and line[sid_col - 2:sid_col] == "  ",
                  "alerts table: SID not aligned in %r" % line)
            check("\u2192" in line[arrow_col:time_col], "alerts table: no 'src \u2192 dest' in its column: %r" % line)
        times = [line[time_col:time_col + 19] for line in lines[1:]]
        check(times == sorted(times, reverse=True), "alerts table is not newest first: %s" % times)
        newest = sorted(eve_alerts, key=lambda e: us(e["timestamp"]))[-1]   # of equal times, the last written
        check(len(lines) > 1 and str(newest["alert"]["signature_id"]) in lines[1],
              "alerts table: the first row is not the newest alert")

    def alerts_json(args):
        p = run(["alerts", "-l", logdir, "--json"] + args, want=0)
        try:
            return [json.loads(line) for line in p.stdout.splitlines()]
        except ValueError as e:
            check(False, "alerts --json %s: not one JSON object per line: %s" % (args, e))
            return []

    got = alerts_json([])
    check(sorted(a["alert"]["signature_id"] for a in got) == sorted(e["alert"]["signature_id"] for e in eve_alerts),
          "alerts --json: sids differ from eve.json")
    check([us(a["timestamp"]) for a in got] == sorted((us(a["timestamp"]) for a in got), reverse=True),
          "alerts --json is not newest first")
    check(all(a["event_type"] == "alert" and "evidence" in a for a in got), "alerts --json: not EVE's alert shape")
    for sev in (1, 2):
        got = alerts_json(["--severity", str(sev)])
        want_n = sum(1 for e in eve_alerts if e["alert"]["severity"] <= sev)
        check(len(got) == want_n, "--severity %d: %d alerts, want %d" % (sev, len(got), want_n))
    host = eve_alerts[0]["dest_ip"] if eve_alerts and eve_alerts[0].get("dest_ip") else "127.0.0.30"
    got = alerts_json(["--host", host])
    want_n = sum(1 for e in eve_alerts if host in (e["src_ip"], e.get("dest_ip")))
    check(len(got) == want_n, "--host %s: %d alerts, want %d" % (host, len(got), want_n))
    mid = sorted(us(e["timestamp"]) for e in eve_alerts)[len(eve_alerts) // 2]
    since = datetime.datetime.fromtimestamp(mid // 1000000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    got = alerts_json(["--since", since])
    want_n = sum(1 for e in eve_alerts if us(e["timestamp"]) >= (mid // 1000000) * 1000000)
    check(len(got) == want_n and 0 < want_n, "--since %s: %d alerts, want %d" % (since, len(got), want_n))
    now = datetime.datetime.now(datetime.timezone.utc)
    for rel, delta in (("1d", datetime.timedelta(days=1)), ("100000d", datetime.timedelta(days=100000))):
        cut = int((now - delta).timestamp() * 1e6) if delta.days < 10000 else 0
        got = alerts_json(["--since", rel])
        want_n = sum(1 for e in eve_alerts if us(e["timestamp"]) >= cut)
        check(len(got) == want_n, "--since %s: %d alerts, want %d" % (rel, len(got), want_n))
    got = alerts_json(["--limit", "2"])
    check(len(got) == min(2, len(eve_alerts)), "--limit 2: %d alerts" % len(got))

    # ---- medsentry assets ----
    p = run(["assets", "-l", logdir, "--json"], want=0)
    recs = [json.loads(line) for line in p.stdout.splitlines()]
    check(sorted(r["ip"] for r in recs) == sorted(expect), "assets --json: addresses differ from assets.json")
    check(all(r == expect[r["ip"]] for r in recs), "assets --json: records differ from assets.json")
    p = run(["assets", "-l", logdir], want=0)
    lines = p.stdout.splitlines()
    check(len(lines) == 1 + len(expect), "assets table: %d lines, want a header and %d rows" % (len(lines),
                                                                                             len(expect)))
    check(lines and lines[0].startswith("IP ") and "ROLES" in lines[0], "assets table header: %r" % lines[:1])
    dicom_ips = {ip for ip, r in rows.items() if "dicom" in r["roles"]}
    p = run(["assets", "-l", logdir, "--role", "dicom", "--json"], want=0)
    check(sorted(json.loads(line)["ip"] for line in p.stdout.splitlines()) == sorted(dicom_ips),
          "assets --role dicom: not the hosts with a DICOM role")
    p = run(["assets", "-l", logdir, "--role", "dicom"], want=0)
    check(len(p.stdout.splitlines()) == 1 + len(dicom_ips), "assets --role dicom table: wrong number of rows")
    if lines[1:]:
        check(lines[1].split()[0] in dicom_ips or not dicom_ips, "assets table: imaging hosts are not listed first")

    # ---- bad arguments: exit 2 ----
    for args in (["alerts", "-l", logdir, "--severity", "x"], ["alerts", "-l", logdir, "--since", "yesterday"],
                 ["alerts", "-l", logdir, "--host", "10.0.0"], ["assets", "-l", logdir, "--role", "printer"],
                 ["assets", "-l", logdir, "--severity", "1"], ["alerts", "--no-such-option"]):
        p = run(args, want=2)
        check(len(p.stderr.strip().splitlines()) == 1, "%s: not one line on stderr: %r" % (args, p.stderr))

    # ---- files that are not a store this medsentry reads: exit 1, one line naming the file ----
    bad = os.path.join(tmp, "bad")
    os.makedirs(bad)
    garbage = os.path.join(bad, "medsentry.db")
    with open(garbage, "w") as f:
        f.write("not a database\n" * 500)
    for cmd in ("alerts", "assets"):
        one_error_line(run([cmd, "-l", bad], want=1), cmd + " on a garbage file", garbage, "not a medsentry store")
    future = os.path.join(tmp, "future.db")
    con = sqlite3.connect(future)
    con.execute("PRAGMA application_id = %d" % APP_ID)
    con.execute("PRAGMA user_version = 999")
    con.execute("CREATE TABLE alerts (x)")
    con.commit()
    con.close()
    one_error_line(run(["alerts", "--db", future], want=1), "a newer store", future, "newer")
    other = os.path.join(tmp, "other.db")
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE moz_places (url TEXT)")
    con.commit()
    con.close()
    one_error_line(run(["assets", "--db", other], want=1), "someone else's SQLite file", other,
                   "not a medsentry store")
    empty = os.path.join(tmp, "empty")
    os.makedirs(empty)
    one_error_line(run(["alerts", "-l", empty], want=1), "no store", os.path.join(empty, "medsentry.db"),
                   "No such file")

    # ---- the sensor with a garbage store: eve.json as always, exit 0, the store's error said once ----
    p = run(["-r", CAPTURES[1], "-l", bad], want=0)
    errs = [line for line in p.stderr.splitlines() if line.startswith("medsentry: error:")]
    check(len(errs) == 1 and garbage in errs[0], "sensor with a garbage store: errors %r" % errs)
    ev = [json.loads(line) for line in open(os.path.join(bad, "eve.json"))]
    final = [e for e in ev if e["event_type"] == "stats"]
    check(any(e["event_type"] == "alert" for e in ev), "sensor with a garbage store: no alerts in eve.json")
    check(final and final[-1]["stats"]["sqlite"]["errors"] == 1 and final[-1]["stats"]["sqlite"]["rows"] == 0,
          "sensor with a garbage store: stats.sqlite %r" % (final[-1]["stats"]["sqlite"] if final else None))
    with open(garbage) as f:
        check(f.read() == "not a database\n" * 500, "the sensor changed a file that is not its store")

    # ---- outputs.sqlite.enabled=no: no store ----
    off = os.path.join(tmp, "off")
    run(["-q", "-r", CAPTURES[1], "-l", off, "--set", "outputs.sqlite.enabled=no"], want=0)
    check(not os.path.exists(os.path.join(off, "medsentry.db")), "outputs.sqlite.enabled=no still wrote a store")
    check(os.path.exists(os.path.join(off, "eve.json")), "outputs.sqlite.enabled=no: no eve.json")

    # ---- what came off the wire cannot drive the terminal ----
    hostile = os.path.join(tmp, "hostile.db")
    shutil.copy(db_path, hostile)
    con = sqlite3.connect(hostile)
    con.execute("UPDATE assets SET ae_titles = ?, hostnames = ?",
                ("EVIL\x1b]0;pwned\x07\x1b[2J", "A" * 300 + "\u00e9"))
    con.commit()
    con.close()
    p = run(["assets", "--db", hostile], want=0)
    check("\x1b" not in p.stdout and "\x07" not in p.stdout, "assets table passes control characters through")
    check("EVIL?]0;pwned??[2J" in p.stdout, "assets table: control characters not shown as '?': %r" %
          p.stdout[:300])
    check("\u2026" in p.stdout and "A" * 300 not in p.stdout, "assets table: a long value is not cut with an "
                                                              "ellipsis")

    shutil.rmtree(tmp, ignore_errors=True)
    for m in problems:
        print("FAIL: " + m)
    if not problems:
        print("ok: store agrees with eve.json and assets.json over %d alerts, %d flows, %d assets; query commands "
              "and errors as specified" % (len(eve_alerts), sum(want_f.values()), len(expect)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
