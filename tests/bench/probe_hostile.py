"""The hostile-input probe: the CLI run as a careless user, a hostile file or a hostile server would
run it, one fresh data folder per case. Prints a table of case → result; exits 1 if any case fails.

Each case builds its own files and fake servers (tests/openai_stub.py's ``Misbehaving``), runs
``writer-app`` in a subprocess under a deadline while sampling its memory, and checks:
- the outcome (a result, or one clear line on stderr: no 内部错误, no traceback);
- no hang past the case's deadline and no memory past ``MAX_RSS_MB``;
- what the case says must be untouched (a directory listing, a device node, another project).

Add the next round of cases here: write a function, decorate it with ``@case``.

    python tests/bench/probe_hostile.py [--only SUBSTRING] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TESTS))

from openai_stub import Misbehaving  # noqa: E402

MAX_RSS_MB = 200  # the stated bound for the client's memory, whatever a server sends
PY = sys.executable


@dataclass
class Outcome:
    rc: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float
    timed_out: bool

    def error_lines(self) -> list[str]:
        return [ln for ln in self.stderr.replace("\r", "\n").splitlines() if ln.strip()]


@dataclass
class Ctx:
    """One case's world: a fresh data folder and scratch folder."""

    root: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def scratch(self) -> Path:
        p = self.root / "scratch"
        p.mkdir(exist_ok=True)
        return p

    def run(self, *args: str, deadline: float = 30.0) -> Outcome:
        env = {**os.environ, "WRITER_APP_HOME": str(self.home), **self.env}
        t0 = time.monotonic()
        proc = subprocess.Popen(
            [PY, "-m", "writer_app", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        peak = 0.0
        out: list[bytes] = []
        err: list[bytes] = []
        import threading

        readers = [
            threading.Thread(target=lambda: out.append(proc.stdout.read()), daemon=True),  # type: ignore[union-attr]
            threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True),  # type: ignore[union-attr]
        ]
        for r in readers:
            r.start()
        timed_out = False
        while proc.poll() is None:
            peak = max(peak, rss_mb(proc.pid))
            if time.monotonic() - t0 > deadline:
                proc.kill()
                timed_out = True
                break
            time.sleep(0.05)
        proc.wait()
        for r in readers:
            r.join(5)
        return Outcome(
            proc.returncode,
            b"".join(out).decode("utf-8", "replace"),
            b"".join(err).decode("utf-8", "replace"),
            time.monotonic() - t0,
            peak,
            timed_out,
        )

    def project(self, title: str = "雨中的路", answer: str = "") -> str:
        args = ["project", "new", title, "--json"]
        if answer:
            f = self.scratch / f"{abs(hash(answer))}.txt"
            f.write_text(answer, encoding="utf-8")
            args += ["--answer", str(f)]
        o = self.run(*args)
        assert o.rc == 0, o.stderr
        return str(json.loads(o.stdout)["id"])

    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.home / "writer.db")


def rss_mb(pid: int) -> float:
    """The resident memory of process ``pid`` in MB (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def one_line(o: Outcome, *, rc: int | None = None) -> str:
    """'' when ``o`` failed with exactly one clear line, else what is wrong."""
    if o.timed_out:
        return f"hung ({o.seconds:.0f} s)"
    if "Traceback" in o.stderr or "内部错误" in o.stderr:
        return "internal error: " + (o.error_lines() or ["?"])[-1][:80]
    if o.rc == 0:
        return "rc 0, expected a refusal"
    if rc is not None and o.rc != rc:
        return f"rc {o.rc}, expected {rc}"
    errors = [ln for ln in o.error_lines() if ln.startswith("错误 (error)")]
    if len(errors) != 1:
        return f"{len(errors)} error lines"
    return ""


# --------------------------------------------------------------------------------------------
# the cases
# --------------------------------------------------------------------------------------------
Check = Callable[[Ctx], tuple[bool, str]]
CASES: list[tuple[str, str, Check]] = []


def case(group: str, name: str) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        CASES.append((group, name, fn))
        return fn

    return register


def _listing(folder: Path) -> list[tuple[str, int]]:
    return sorted((p.name, os.lstat(p).st_mode) for p in folder.iterdir())


# 1. writing outside the file asked for ---------------------------------------------------------
@case("write", "export -o FIFO")
def _(c: Ctx) -> tuple[bool, str]:
    pid = c.project()
    fifo = c.scratch / "pipe.md"
    os.mkfifo(fifo)
    before = _listing(c.scratch)
    o = c.run("export", pid, "-f", "md", "-o", str(fifo))
    bad = one_line(o) or ("" if _listing(c.scratch) == before else "the folder changed")
    return not bad, bad or o.error_lines()[-1]


@case("write", "export -o a character device")
def _(c: Ctx) -> tuple[bool, str]:
    pid = c.project()
    dev = c.scratch / "null"
    try:
        os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except OSError:
        return True, "skipped: cannot make a device node here"
    o = c.run("export", pid, "-f", "md", "-o", str(dev))
    still = stat.S_ISCHR(os.lstat(dev).st_mode) and stat.S_ISCHR(os.lstat("/dev/full").st_mode)
    bad = one_line(o) or ("" if still else "the device node was replaced")
    return not bad, bad or o.error_lines()[-1]


@case("write", "export -o a symlink (refused; with --follow-symlinks its target, mode kept)")
def _(c: Ctx) -> tuple[bool, str]:
    pid = c.project()
    target = c.scratch / "real.md"
    target.write_text("原有内容", encoding="utf-8")
    target.chmod(0o644)
    link = c.scratch / "link.md"
    link.symlink_to(target)
    o = c.run("export", pid, "-f", "md", "-o", str(link))
    bad = one_line(o) or ("" if target.read_text(encoding="utf-8") == "原有内容" else "target written")
    if bad:
        return False, bad
    o2 = c.run("export", pid, "-f", "md", "-o", str(link), "--follow-symlinks")
    ok = o2.rc == 0 and link.is_symlink() and stat.S_IMODE(target.stat().st_mode) == 0o644
    return ok, "refused; followed on request, 0644 kept" if ok else f"follow failed: {o2.stderr[-120:]}"


@case("write", "a new export gets the umask's mode")
def _(c: Ctx) -> tuple[bool, str]:
    pid = c.project()
    out = c.scratch / "new.md"
    o = c.run("export", pid, "-f", "md", "-o", str(out))
    mask = os.umask(0)
    os.umask(mask)
    mode = stat.S_IMODE(out.stat().st_mode) if out.exists() else -1
    return o.rc == 0 and mode == 0o666 & ~mask, f"mode {mode:o}"


# 2. a bundle touching another project ----------------------------------------------------------
@case("bundle", "revision/annotation uids that belong to another project")
def _(c: Ctx) -> tuple[bool, str]:
    pid = c.project("本地项目", "第一段。第二段。")
    o = c.run("export", pid, "-f", "bundle", "-o", str(c.scratch / "a.wcbundle"))
    assert o.rc == 0, o.stderr
    with zipfile.ZipFile(c.scratch / "a.wcbundle") as zf:
        manifest = json.loads(zf.read("manifest.json"))
        rec = json.loads(zf.read(manifest["projects"][0]["file"]))
    with c.db() as db:
        before = db.execute("SELECT uid, project_id, text FROM revisions ORDER BY id").fetchall()
    rec["uid"] = "f" * 32  # another project, carrying this one's revision uids
    rec["title"] = "外来项目"
    for r in rec["revisions"]:
        r["text"] = "外来的版本"
    f = c.scratch / "evil.wcbundle"
    with zipfile.ZipFile(f, "w") as zf:
        zf.writestr(
            "manifest.json",
            json.dumps(
                {**manifest, "projects": [{"uid": rec["uid"], "file": f"projects/{rec['uid']}.json"}]}
            ),
        )
        zf.writestr(f"projects/{rec['uid']}.json", json.dumps(rec))
    o = c.run("import", str(f))
    with c.db() as db:
        after = db.execute(
            "SELECT uid, project_id, text FROM revisions WHERE project_id = ?", (int(pid),)
        ).fetchall()
        theirs = db.execute(
            "SELECT count(*) FROM revisions r JOIN projects p ON p.id = r.project_id WHERE p.uid = ?",
            (rec["uid"],),
        ).fetchone()[0]
    ok = o.rc == 0 and after == [b for b in before if b[1] == int(pid)] and theirs == len(rec["revisions"])
    return (
        ok,
        f"local untouched, {theirs} stored under new uids" if ok else f"rc {o.rc}: {o.stdout}{o.stderr}",
    )


# 3–4. imports that lose records ----------------------------------------------------------------
def _import_counts(c: Ctx, path: Path) -> tuple[Outcome, dict, int]:
    o = c.run("import", str(path), "--json")
    report = json.loads(o.stdout) if o.stdout.strip().startswith("{") else {}
    with c.db() as db:
        n = db.execute("SELECT count(*) FROM exemplars").fetchone()[0]
    return o, report, n


@case("import", "JSON array: one malformed record among 1,999 valid")
def _(c: Ctx) -> tuple[bool, str]:
    items = [
        json.dumps({"id": f"r{i}", "query": f"题{i}", "answer": f"文{i}"}, ensure_ascii=False)
        for i in range(1999)
    ]
    items.insert(1, '{"query": "坏", "answer": }')
    f = c.scratch / "a.json"
    f.write_text("[" + ",\n".join(items) + "]", encoding="utf-8")
    o, report, n = _import_counts(c, f)
    ok = report.get("added") == 1999 == n and len(report.get("rejected", [])) == 1
    return ok, f"stored {n}, reported {report.get('added')}, rejected {len(report.get('rejected', []))}"


@case("import", "JSONL: a lone surrogate between valid records")
def _(c: Ctx) -> tuple[bool, str]:
    f = c.scratch / "s.jsonl"
    f.write_text(
        '{"query": "一", "answer": "文"}\n{"query": "二", "answer": "\\ud800"}\n{"query": "三", "answer": "文"}\n',
        encoding="utf-8",
    )
    o, report, n = _import_counts(c, f)
    ok = report.get("added") == 2 == n and "Traceback" not in o.stderr
    return ok, f"stored {n}, reported {report.get('added')}, rejected {len(report.get('rejected', []))}"


@case("import", "JSONL in UTF-16 and in GBK")
def _(c: Ctx) -> tuple[bool, str]:
    got = []
    for enc in ("utf-16", "gbk"):
        f = c.scratch / f"{enc}.jsonl"
        f.write_bytes(f'{{"query": "{enc}题目", "answer": "正文"}}\n'.encode(enc))
        o, report, _n = _import_counts(c, f)
        got.append(f"{enc}: {report.get('added')} as {report.get('encoding')}")
    with c.db() as db:
        n = db.execute("SELECT count(*) FROM exemplars").fetchone()[0]
    return n == 2, "; ".join(got)


@case("import", "bundle: a lone surrogate, a 60 MB field")
def _(c: Ctx) -> tuple[bool, str]:
    good = {"uid": "a" * 32, "title": "t", "query_type": "", "query": "q", "thought": "", "answer": "a",
            "tags": [], "created": 1.0, "updated": 2.0, "revisions": [], "annotations": []}  # fmt: skip
    bad = {**good, "uid": "b" * 32, "title": "\ud800"}
    recs = [good, bad]
    f = c.scratch / "s.wcbundle"
    with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps({"format": "writer-companion-bundle", "version": 1,
                    "projects": [{"uid": r["uid"], "file": f"projects/{r['uid']}.json"} for r in recs]}))  # fmt: skip
        for r in recs:
            zf.writestr(f"projects/{r['uid']}.json", json.dumps(r))
    o = c.run("import", str(f))
    with c.db() as db:
        n = db.execute("SELECT count(*) FROM projects").fetchone()[0]
    first = o.rc == 2 and n == 1 and "Unicode" in o.stderr
    big = {
        **good,
        "uid": "c" * 32,
        "answer": "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(20_000_000)),
    }
    f2 = c.scratch / "big.wcbundle"
    with zipfile.ZipFile(f2, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps({"format": "writer-companion-bundle", "version": 1,
                    "projects": [{"uid": big["uid"], "file": f"projects/{big['uid']}.json"}]}))  # fmt: skip
        zf.writestr(f"projects/{big['uid']}.json", json.dumps(big, ensure_ascii=False))
    o2 = c.run("import", str(f2), deadline=60)
    second = not one_line(o2) and ("过长" in o2.stderr or "过大" in o2.stderr)
    reason = (o2.error_lines() or ["?"])[-1].split("json: ", 1)[-1][:70]
    return first and second, f"surrogate: 1 of 2 kept; 60 MB: {reason}"


# 5. internal errors ---------------------------------------------------------------------------
@case("errors", "bundle with corrupt deflate data")
def _(c: Ctx) -> tuple[bool, str]:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "manifest.json",
            json.dumps({"format": "writer-companion-bundle", "version": 1, "projects": []}) * 20,
        )
    data = bytearray(buf.getvalue())
    at = data.index(b"manifest.json") + len("manifest.json")
    for i in range(at, at + 40):
        data[i] ^= 0x5A
    f = c.scratch / "z.wcbundle"
    f.write_bytes(bytes(data))
    o = c.run("import", str(f))
    bad = one_line(o)
    return not bad, bad or o.error_lines()[-1]


@case("errors", "ids and --limit of 99999999999999999999")
def _(c: Ctx) -> tuple[bool, str]:
    huge = "99999999999999999999"
    probs = []
    for args in (
        ("search", "x", "--limit", huge),
        ("project", "list", "--limit", huge),
        ("project", "show", huge),
        ("project", "rm", huge),
        ("project", "restore", huge),
        ("export", huge, "-f", "md"),
    ):
        bad = one_line(c.run(*args))
        if bad:
            probs.append(f"{args[0]} {args[1]}: {bad}")
    return not probs, "; ".join(probs) or "6 commands, one line each"


@case("errors", 'timeout_s = nan / inf; models = "abc"')
def _(c: Ctx) -> tuple[bool, str]:
    c.home.mkdir(parents=True, exist_ok=True)
    notes = []
    for value in ("nan", "inf"):
        (c.home / "settings.toml").write_text(f"[engine.server]\ntimeout_s = {value}\n", encoding="utf-8")
        o = c.run("project", "list")
        if o.rc != 0 or "范围" not in o.stderr:
            return False, f"{value}: rc {o.rc} {o.stderr[-100:]}"
        notes.append(f"{value}: warning, default used")
    (c.home / "settings.toml").unlink()
    (c.home / "models.toml").write_text('models = "abc"\n', encoding="utf-8")
    bad = one_line(c.run("models", "list"))
    return not bad, "; ".join(notes) + ("; models: " + (bad or "one line"))


@case("errors", "PRAGMA user_version = -5 and = 1")
def _(c: Ctx) -> tuple[bool, str]:
    c.project()
    probs = []
    for v in (-5, 1):
        with c.db() as db:
            db.execute(f"PRAGMA user_version = {v}")
        bad = one_line(c.run("project", "list"))
        if bad:
            probs.append(f"{v}: {bad}")
        with c.db() as db:
            if db.execute("SELECT count(*) FROM projects").fetchone()[0] != 1:
                probs.append(f"{v}: data changed")
    return not probs, "; ".join(probs) or "one line each, data untouched"


# 6. hangs -------------------------------------------------------------------------------------
@case("hang", "a FIFO or /dev/zero given as a file")
def _(c: Ctx) -> tuple[bool, str]:
    fifo = c.scratch / "in.fifo"
    os.mkfifo(fifo)
    probs = []
    for args in (
        ("import", str(fifo)),
        ("analyze", str(fifo)),
        ("project", "new", "t", "--answer", str(fifo)),
        ("models", "add", str(fifo)),
        ("analyze", "/dev/zero"),
        ("import", "/dev/zero"),
    ):
        o = c.run(*args, deadline=15)
        bad = one_line(o)
        if bad:
            probs.append(f"{' '.join(args[:2])}: {bad}")
    return not probs, "; ".join(probs) or "6 refusals, none blocked"


def _server_case(mode: str, *extra: str, deadline: float = 30, **settings: float) -> Check:
    def check(c: Ctx) -> tuple[bool, str]:
        c.home.mkdir(parents=True, exist_ok=True)
        lines = "".join(f"{k} = {v}\n" for k, v in settings.items())
        (c.home / "settings.toml").write_text(f"[engine.server]\n{lines}", encoding="utf-8")
        with Misbehaving(mode) as stub:
            o = c.run("generate", "你好", "--server", stub.url, *extra, deadline=deadline)
        if o.timed_out:
            return False, f"hung ({o.seconds:.0f} s, {o.peak_mb:.0f} MB)"
        if "Traceback" in o.stderr or "内部错误" in o.stderr:
            return False, "internal error"
        if o.peak_mb > MAX_RSS_MB:
            return False, f"{o.peak_mb:.0f} MB > {MAX_RSS_MB} MB"
        last = (o.error_lines() or ["(no message)"])[-1]
        return True, f"{o.seconds:.1f} s, {o.peak_mb:.0f} MB: {last[:70]}"

    return check


case("server", "data: lines, never the blank line")(_server_case("no_blank"))
case("server", "an endless valid stream, --max-tokens 50")(_server_case("endless", "--max-tokens", "50"))
case("server", "keep-alive pings forever (timeout_s = 2)")(_server_case("pings_forever", timeout_s=2))
case("server", "one byte at a time forever (deadline_s = 5)")(_server_case("dribble", deadline_s=5))
case("server", "a 20 MB whole answer")(_server_case("huge"))
case("server", "an HTML page for every path")(_server_case("html200"))


# 7. messages -----------------------------------------------------------------------------------
@case("message", "0-byte and damaged .wcbundle")
def _(c: Ctx) -> tuple[bool, str]:
    (c.scratch / "empty.wcbundle").write_bytes(b"")
    (c.scratch / "bad.wcbundle").write_bytes("不是压缩包\n第二行".encode("gbk"))
    outs = [c.run("import", str(c.scratch / n)) for n in ("empty.wcbundle", "bad.wcbundle")]
    probs = [one_line(o) for o in outs]
    ok = not any(probs) and "空" in outs[0].stderr and "zip" in outs[1].stderr
    return ok, " | ".join((o.error_lines() or ["?"])[-1][:50] for o in outs)


@case("message", "search -坚持")
def _(c: Ctx) -> tuple[bool, str]:
    c.project("坚持的意义")
    o = c.run("search", "-坚持")
    return o.rc == 0, f"rc {o.rc}: {(o.stdout or o.stderr).strip()[:60]}"


@case("message", "a bundle merged into a trashed project")
def _(c: Ctx) -> tuple[bool, str]:
    pid = c.project()
    f = c.scratch / "b.wcbundle"
    c.run("export", pid, "-f", "bundle", "-o", str(f))
    c.run("project", "rm", pid)
    o = c.run("import", str(f))
    return o.rc == 0 and "回收站" in o.stdout, o.stdout.strip().splitlines()[-1][:80]


@case("message", "a relative data_dir in settings; data_dir under WRITER_APP_HOME")
def _(c: Ctx) -> tuple[bool, str]:
    c.home.mkdir(parents=True, exist_ok=True)
    (c.home / "settings.toml").write_text(f'data_dir = "{c.root / "elsewhere"}"\n', encoding="utf-8")
    pinned = c.run("project", "list")
    # the per-user folders, as a user without WRITER_APP_HOME has them
    c.env.update(
        {"WRITER_APP_HOME": "", "XDG_CONFIG_HOME": str(c.root / "cfg"), "XDG_DATA_HOME": str(c.root / "data")}
    )
    (c.root / "cfg" / "writer-companion").mkdir(parents=True)
    (c.root / "cfg" / "writer-companion" / "settings.toml").write_text(
        'data_dir = "relative/lib"\n', encoding="utf-8"
    )
    o = c.run("project", "list")
    made = (Path.cwd() / "relative").exists() or (c.root / "elsewhere").exists()
    ok = (
        o.rc == 0
        and pinned.rc == 0
        and not made
        and "绝对路径" in o.stderr
        and "WRITER_APP_HOME" in pinned.stderr
    )
    return ok, (o.error_lines() or ["?"])[-1][:80]


# 8–9. what is shown --------------------------------------------------------------------------
@case("show", "javascript:/data: links in the 构思's Markdown; inline code in HTML")
def _(c: Ctx) -> tuple[bool, str]:
    pid = c.project()
    thought = "## 立意\n[点我](javascript:alert(1)) ![图](data:text/html,x) 用 `<script>` 写\n"
    with c.db() as db:
        db.execute("UPDATE projects SET thought = ? WHERE id = ?", (thought, int(pid)))
    c.run("export", pid, "-f", "md", "-o", str(c.scratch / "t.md"))
    c.run("export", pid, "-f", "html", "-o", str(c.scratch / "t.html"))
    md = (c.scratch / "t.md").read_text(encoding="utf-8")
    page = (c.scratch / "t.html").read_text(encoding="utf-8")
    ok = (
        "](javascript:" not in md
        and "](data:" not in md
        and "&amp;lt;" not in page
        and 'href="javascript' not in page
    )
    return ok, "links are text, code escaped once" if ok else "live link or double escape"


@case("show", "ESC/OSC in a stored title (project list/show, search)")
def _(c: Ctx) -> tuple[bool, str]:
    pid = c.project("坏\x1b]0;pwned\x07标题")
    outs = [c.run(*a) for a in (("project", "list"), ("project", "show", pid), ("search", "标题"))]
    raw = [o for o in outs if "\x1b" in o.stdout or "\x07" in o.stdout]
    return not raw, "escaped as \\u001b" if not raw else f"{len(raw)} commands print it raw"


# --------------------------------------------------------------------------------------------
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="", help="run only cases whose name or group contains this")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = []
    for group, name, fn in CASES:
        if args.only and args.only not in name and args.only not in group:
            continue
        with tempfile.TemporaryDirectory(prefix="probe-") as tmp, contextlib.chdir(tmp):
            t0 = time.monotonic()
            try:
                ok, detail = fn(Ctx(Path(tmp)))
            except Exception as exc:  # noqa: BLE001 - a broken case is reported, not fatal
                ok, detail = False, f"probe error: {type(exc).__name__}: {exc}"
            rows.append(
                {
                    "group": group,
                    "case": name,
                    "ok": ok,
                    "detail": detail,
                    "s": round(time.monotonic() - t0, 1),
                }
            )
        if not args.json:
            r = rows[-1]
            print(
                f"{'OK ' if r['ok'] else 'BAD'}  {r['group']:<8} {r['case'][:58]:<58} {r['s']:>5.1f}s  {r['detail']}",
                flush=True,
            )
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
    else:
        print(f"\n{sum(r['ok'] for r in rows)}/{len(rows)} cases hold (client memory bound {MAX_RSS_MB} MB)")
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
