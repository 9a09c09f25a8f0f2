#!/usr/bin/env python3
"""Hostile configuration, rule and key files, and planted links in the log directory.

Table-driven: each case is a set of files (made in a fresh directory), the command-line arguments, the exit status
expected, and a regular expression the one line on stderr must match (docs/HARDENING.md "Configuration
validation"; docs/DESIGN.md "Command line": one line "medsentry: error: ..." naming the file, line and key).  For
cases that would start a run (-r), "never a half-configured start" is checked too: no eve.json is left in the log
directory.  Cases with links also check that the link's target was not touched.
Env: MEDSENTRY (binary), REPO (repository root), TMPDIR.  Exit 0 pass, 1 fail, 77 skip.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

REPO = os.environ.get("REPO", os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("MEDSENTRY", os.path.join(REPO, "build", "medsentry"))
PCAP = os.path.join(REPO, "samples", "imaging-network.pcap")
GOODKEY = b"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"

# Files: path -> bytes | ("dir",) | ("symlink", target) | ("mode", bytes, mode) | ("fifo",) | ("hardlink", target)
Y = "cfg.yaml"
RULES = ["--set", "detect.rules-dir={T}/rules"]


def yaml_case(name, text, regex, rc=2, extra=()):
    return dict(name=name, files={Y: text}, args=["-T", "-c", "{T}/" + Y, *extra], rc=rc, err=regex)


def rules_case(name, text, regex):
    return dict(name=name, files={"rules/list.txt": text}, args=["-T", *RULES], rc=2, err=regex)


def key_case(name, spec, regex, rc=2):
    # a real start (-r): the key is read before any output is opened
    return dict(name=name, files={"logs/medsentry.key": spec}, args=["-r", PCAP, "-l", "{T}/logs"], rc=rc,
                err=regex, no_eve=True)


CASES = [
    # --- medsentry.yaml ---
    yaml_case("yaml syntax error", b"flow:\n  memcap: 64mb\n  hash-size: [1, 2\nstream:\n  memcap: 1mb\n",
              r"cfg\.yaml:[345]: "),
    yaml_case("unknown key", b"flow:\n  memkap: 64mb\n", r"cfg\.yaml:2: flow\.memkap: unknown key"),
    yaml_case("unknown section", b"flwo:\n  memcap: 64mb\n", r"cfg\.yaml:2: flwo\.memcap: unknown key"),
    yaml_case("not a boolean", b"capture:\n  promisc: maybe\n", r"cfg\.yaml:2: capture\.promisc: 'maybe' is not a boolean"),
    yaml_case("not a number", b"flow:\n  hash-size: lots\n", r"cfg\.yaml:2: flow\.hash-size: 'lots' is not a whole number"),
    yaml_case("negative number", b"flow:\n  hash-size: -5\n", r"cfg\.yaml:2: flow\.hash-size: '-5' is not a whole number"),
    yaml_case("number too large for 64 bits", b"flow:\n  hash-size: 99999999999999999999999\n",
              r"cfg\.yaml:2: flow\.hash-size: '9+' is not a whole number"),
    yaml_case("out of range", b"flow:\n  hash-size: 1\n", r"cfg\.yaml:2: flow\.hash-size: 1 is out of range \(1024 to"),
    yaml_case("size overflow", b"flow:\n  memcap: 99999999999999gb\n", r"cfg\.yaml:2: flow\.memcap: '9+gb' is not a size"),
    yaml_case("size with a bad unit", b"flow:\n  memcap: 12parsecs\n", r"cfg\.yaml:2: flow\.memcap: '12parsecs' is not a size"),
    yaml_case("empty value", b"flow:\n  memcap:\n", r"cfg\.yaml:2: flow\.memcap: '' is not a size"),
    yaml_case("duplicate key", b"flow:\n  memcap: 64mb\n  memcap: 1gb\n",
              r"cfg\.yaml:3: flow\.memcap: duplicate key \(first given on line 2\)"),
    yaml_case("duplicate section", b"flow:\n  memcap: 64mb\nstream:\n  memcap: 1mb\nflow:\n  hash-size: 2048\n",
              r"cfg\.yaml:5: flow: duplicate key \(first given on line 1\)"),
    yaml_case("not UTF-8", b"flow:\n  memcap: 64mb\n\xff\xfe: 1\n", r"cfg\.yaml:3: invalid leading UTF-8 octet"),
    yaml_case("NUL byte", b"flow:\n  memcap: 64mb\x00\n", r"cfg\.yaml:\d+: control characters are not allowed"),
    yaml_case("list instead of a value", b"flow:\n  memcap: [1, 2]\n", r"cfg\.yaml:2: flow\.memcap: a list is not expected"),
    yaml_case("alias", b"flow:\n  memcap: &x 64mb\n  hash-size: *x\n", r"cfg\.yaml:3: YAML aliases are not supported"),
    yaml_case("second document", b"flow:\n  memcap: 64mb\n---\nflow:\n  memcap: 1mb\n",
              r"cfg\.yaml:3: a second YAML document"),
    yaml_case("scalar instead of a mapping", b"hello\n", r"cfg\.yaml:1: the file must be a mapping of keys"),
    yaml_case("huge string value", b"default-log-dir: " + b"a" * 10000 + b"\n",
              r"cfg\.yaml:1: default-log-dir: value is longer than 511 characters"),
    yaml_case("overlong key", b"flow:\n  " + b"k" * 300 + b": 1\n", r"cfg\.yaml:2: a key longer than 127 characters"),
    yaml_case("control character in a value", b'default-log-dir: "logs\\nmedsentry: error: forged"\n',
              r"cfg\.yaml:1: default-log-dir: value contains a control character \(byte 0x0a\)"),
    yaml_case("control character in a key", b'"fl\\eow":\n  memcap: 1\n', r"cfg\.yaml:1: a key with a control character"),
    yaml_case("nested too deeply", b"a:\n b:\n  c:\n   d:\n    e:\n     f:\n      g:\n       h:\n        i:\n         j: 1\n",
              r"cfg\.yaml:9: nested too deeply"),
    yaml_case("mapping as a key", b"? {a: 1}\n: 2\n", r"cfg\.yaml:1: a mapping cannot be a key"),
    yaml_case("unknown run-as user", b"run-as:\n  user: no-such-user-medsentry\n", r"-u no-such-user-medsentry: no such user"),
    yaml_case("sandbox.seccomp not a boolean", b"sandbox:\n  seccomp: perhaps\n",
              r"cfg\.yaml:2: sandbox\.seccomp: 'perhaps' is not a boolean"),
    dict(name="configuration is a directory", files={Y: ("dir",)}, args=["-T", "-c", "{T}/" + Y], rc=2,
         err=r"cfg\.yaml: not a regular file"),
    dict(name="configuration is a FIFO", files={Y: ("fifo",)}, args=["-T", "-c", "{T}/" + Y], rc=2,
         err=r"cfg\.yaml: not a regular file"),
    dict(name="configuration too large", files={Y: b"# " + b"x" * (2 << 20) + b"\n"}, args=["-T", "-c", "{T}/" + Y],
         rc=2, err=r"cfg\.yaml: \d+ bytes; a configuration file is at most 1048576"),
    dict(name="configuration missing", files={}, args=["-T", "-c", "{T}/none.yaml"], rc=2,
         err=r"none\.yaml: cannot open: No such file"),
    dict(name="broken configuration stops a real start", files={Y: b"flow:\n  memcap: 1\n"},
         args=["-r", PCAP, "-c", "{T}/" + Y, "-l", "{T}/logs"], rc=2, err=r"cfg\.yaml:2: flow\.memcap: 1 is out of range",
         no_eve=True),
    # --- --set and the command line ---
    dict(name="--set without =", files={}, args=["-T", "--set", "flow.memcap"], rc=2, err=r"--set flow\.memcap: expected KEY=VALUE"),
    dict(name="--set empty key", files={}, args=["-T", "--set", "=5"], rc=2, err=r"--set =5: expected KEY=VALUE"),
    dict(name="--set unknown key", files={}, args=["-T", "--set", "no.such=1"], rc=2, err=r"--set no\.such: unknown key"),
    dict(name="--set bad size", files={}, args=["-T", "--set", "flow.memcap=lots"], rc=2,
         err=r"--set flow\.memcap: 'lots' is not a size"),
    dict(name="--set control character", files={}, args=["-T", "--set", "outputs.eve.filename=a\x1b[31mb"], rc=2,
         err=r"--set outputs\.eve\.filename: value contains a control character \(byte 0x1b\)"),
    dict(name="-g without -u", files={}, args=["-T", "-g", "nogroup"], rc=2, err=r"-g nogroup: a group needs a user"),
    dict(name="-u root refused", files={}, args=["-T", "-u", "root"], rc=2, err=r"-u root: the run-as user must not be root"),
    dict(name="bad zone", files={}, args=["-T", "--set", "detect.zones.imaging=10.0.0.0/33"], rc=2, err=r"10\.0\.0\.0/33"),
    # --- indicator lists ---
    rules_case("indicator: unknown type", b"# list\nipv9 1.2.3.4\n", r"rules/list\.txt:2: unknown indicator type 'ipv9'"),
    rules_case("indicator: bad IP", b"ip 10.0.0.300\n", r"rules/list\.txt:1: '10\.0\.0\.300' is not an IP address"),
    rules_case("indicator: CIDR where an address is expected", b"ip 10.0.0.0/8\n",
               r"rules/list\.txt:1: '10\.0\.0\.0/8' is not an IP address"),
    rules_case("indicator: bad sha256", b"sha256 abc123\n", r"rules/list\.txt:1: 'abc123' is not a SHA-256"),
    rules_case("indicator: bad domain", b"domain -bad-.example\n", r"rules/list\.txt:1: '-bad-\.example' is not a domain name"),
    rules_case("indicator: no value", b"domain\n", r"rules/list\.txt:1: 'domain': expected '<type> <value>'"),
    rules_case("indicator: overlong line", b"service " + b"s" * 5000 + b"\n", r"rules/list\.txt:1: line longer than 1024 characters"),
    rules_case("indicator: huge line without newline", b"service " + b"s" * (4 << 20), r"rules/list\.txt:1: line longer than 1024"),
    rules_case("indicator: NUL byte", b"service a\x00b\n", r"rules/list\.txt:1: NUL byte in line"),
    rules_case("indicator: not UTF-8", b"service caf\xe9\n", r"rules/list\.txt:1: not valid UTF-8"),
    rules_case("indicator: control character", b"service a\x1bb\n", r"rules/list\.txt:1: control character \(byte 0x1b\) at column 10"),
    dict(name="indicator list is a directory", files={"rules/dir.txt": ("dir",)}, args=["-T", *RULES], rc=2,
         err=r"rules/dir\.txt: not a regular file"),
    dict(name="indicator list is a FIFO", files={"rules/fifo.txt": ("fifo",)}, args=["-T", *RULES], rc=2,
         err=r"rules/fifo\.txt: not a regular file"),
    dict(name="rules directory missing", files={}, args=["-T", "--set", "detect.rules-dir={T}/norules"], rc=2,
         err=r"norules: cannot open the rules directory"),
    # --- the PHI key file ---
    key_case("key: too short", ("mode", b"0011223344\n", 0o600), r"medsentry\.key: a PHI key file holds exactly 64 hex"),
    key_case("key: too long", ("mode", b"00" * 50 + b"\n", 0o600), r"medsentry\.key: a PHI key file holds exactly 64 hex .*more than"),
    key_case("key: not hex", ("mode", b"zz" + GOODKEY[2:], 0o600), r"medsentry\.key: PHI key file holds a character that is not hex"),
    key_case("key: readable by others", ("mode", GOODKEY, 0o644),
             r"medsentry\.key: the PHI key is accessible to group or others \(mode 0644\); chmod 600"),
    key_case("key: a symbolic link", ("symlink", "{T}/real.key"), r"medsentry\.key: the PHI key is a symbolic link"),
    key_case("key: a directory", ("dir",), r"medsentry\.key: the PHI key is a directory"),
    dict(name="key: -T checks an existing key", files={"logs/medsentry.key": ("mode", GOODKEY, 0o640)},
         args=["-T", "-l", "{T}/logs"], rc=2, err=r"medsentry\.key: the PHI key is accessible to group or others"),
    # --- links and odd files planted in the log directory ---
    dict(name="eve.json is a symbolic link", files={"logs/eve.json": ("symlink", "{T}/victim")},
         args=["-r", PCAP, "-l", "{T}/logs"], rc=1, err=r"logs/eve\.json: is a symbolic link, refusing to write through it",
         untouched="victim"),
    dict(name="eve.json is a dangling symbolic link", files={"logs/eve.json": ("symlink", "{T}/created-by-attacker")},
         args=["-r", PCAP, "-l", "{T}/logs"], rc=1, err=r"logs/eve\.json: is a symbolic link", absent="created-by-attacker"),
    dict(name="eve.json is a hard link", files={"logs/eve.json": ("hardlink", "victim")},
         args=["-r", PCAP, "-l", "{T}/logs"], rc=1, err=r"logs/eve\.json: has 2 hard links, refusing", untouched="victim"),
    dict(name="eve.json is a FIFO", files={"logs/eve.json": ("fifo",)}, args=["-r", PCAP, "-l", "{T}/logs"], rc=1,
         err=r"logs/eve\.json: is not a regular file"),
    dict(name="PHI key is a symbolic link to a file of the right form", files={"logs/medsentry.key": ("symlink", "{T}/victim")},
         args=["-r", PCAP, "-l", "{T}/logs"], rc=2, err=r"medsentry\.key: the PHI key is a symbolic link", untouched="victim",
         no_eve=True),
]

VICTIM = b"root:x:0:0:do not touch\n"


def make(T, files):
    os.makedirs(os.path.join(T, "rules"), exist_ok=True)
    with open(os.path.join(T, "victim"), "wb") as f:
        f.write(VICTIM)
    with open(os.path.join(T, "real.key"), "wb") as f:
        f.write(GOODKEY)
    os.chmod(os.path.join(T, "real.key"), 0o600)
    for rel, spec in files.items():
        p = os.path.join(T, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if isinstance(spec, bytes):
            with open(p, "wb") as f:
                f.write(spec)
        elif spec[0] == "dir":
            os.makedirs(p)
        elif spec[0] == "fifo":
            os.mkfifo(p)
        elif spec[0] == "symlink":
            os.symlink(spec[1].replace("{T}", T), p)
        elif spec[0] == "hardlink":
            os.link(os.path.join(T, spec[1]), p)
        elif spec[0] == "mode":
            with open(p, "wb") as f:
                f.write(spec[1])
            os.chmod(p, spec[2])


def main():
    if not os.access(BIN, os.X_OK):
        print("SKIP: no binary at " + BIN)
        return 77
    base = tempfile.mkdtemp(dir=os.environ.get("TMPDIR"))
    fails = 0
    for i, c in enumerate(CASES):
        T = os.path.join(base, "c%02d" % i)
        os.makedirs(T)
        make(T, c["files"])
        args = [a.replace("{T}", T) for a in c["args"]]
        try:
            p = subprocess.run([BIN, *args], cwd=T, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        except subprocess.TimeoutExpired:
            print("FAIL %s: hung (60 s)" % c["name"])
            fails += 1
            continue
        err = p.stderr.decode("utf-8", "replace")
        lines = err.splitlines()
        problems = []
        if p.returncode != c["rc"]:
            problems.append("exit %d, want %d" % (p.returncode, c["rc"]))
        if len(lines) != 1:
            problems.append("%d lines on stderr, want 1" % len(lines))
        elif not lines[0].startswith("medsentry: error: "):
            problems.append("stderr does not start with 'medsentry: error: '")
        if not re.search(c["err"], err):
            problems.append("stderr does not match /%s/" % c["err"])
        if c.get("no_eve") and os.path.exists(os.path.join(T, "logs", "eve.json")):
            problems.append("half-configured start: logs/eve.json was created")
        if c.get("untouched"):
            with open(os.path.join(T, c["untouched"]), "rb") as f:
                if f.read() != VICTIM:
                    problems.append("the link's target %s was written" % c["untouched"])
        if c.get("absent") and os.path.lexists(os.path.join(T, c["absent"])):
            problems.append("the dangling link's target %s was created" % c["absent"])
        if problems:
            fails += 1
            print("FAIL %s: %s; stderr: %r" % (c["name"], "; ".join(problems), err[:400]))
        else:
            print("ok   %s: exit %d: %s" % (c["name"], p.returncode, lines[0][:150]))
    shutil.rmtree(base, ignore_errors=True)
    print("test_hostile_config: %d cases, %d failed" % (len(CASES), fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
