"""Export speed and memory at scale: kesu's CSV and XLSX export of the whole case list beside the bare ``csv``
module writing the same query, each measured in a fresh process.

    .venv/bin/python bench/export.py [--cases 100000]

Builds (once) a SQLite database of demo data under bench/out/. "ours" is the auditor's click on 导出 CSV / XLSX
through the WSGI stack (scope, filters, labels, Shanghai times, masking, neutralisation, audit event); "bare" is
``csv.writer`` over the DB cursor of the same columns and joins, values as they come. Prints seconds, rows/s,
the process's peak memory and ours ÷ bare, each the fastest of five runs
(the compared runs taking turns).
"""
from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"

from panel import build_database  # noqa: E402  (same demo database builder as the panel benchmark)

BARE_SQL = """
SELECT c.case_no, c.received_at, c.status, cu.name, c.title, cat.name, c.channel, c.severity, d.name,
       COALESCE(NULLIF(u.full_name, ''), u.username), c.next_due_at
FROM "case" c JOIN customer cu ON cu.id = c.customer_id JOIN category cat ON cat.id = c.category_id
LEFT JOIN department d ON d.id = c.department_id LEFT JOIN user u ON u.id = c.handler_id
ORDER BY c.received_at DESC, c.id DESC
"""


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss it does not carry the parent's peak over
    fork and exec, and the parent has just built a database of 100,000 cases)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def config(path: Path) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
            "FILE_STORE": str(OUT / "files"), "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}


def measure_ours(path: Path, export_type: str) -> dict:
    from sqlalchemy import select

    from kesu import create_app
    from kesu.extensions import db
    from kesu.models import User

    app = create_app(config(path))
    with app.app_context():
        auditor = db.session.scalar(select(User).where(User.role == "auditor"))
        auditor.set_password("bench-password")
        username = auditor.username
        db.session.commit()
    client = app.test_client()
    client.post("/login", data={"username": username, "password": "bench-password"})
    baseline = peak_mb()
    started = time.perf_counter()
    response = client.get(f"/admin/case/export/{export_type}/", buffered=False)
    size = rows = 0
    for chunk in response.response:
        size += len(chunk)
        if export_type == "csv":
            rows += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
    response.close()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": rows - 1 if export_type == "csv" else None, "bytes": size,
            "peak_mb": peak_mb(), "grew_mb": peak_mb() - baseline}


def measure_bare(path: Path) -> dict:
    import sqlite3

    baseline = peak_mb()
    started = time.perf_counter()
    connection = sqlite3.connect(path)
    with open(OUT / "bare.csv", "w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        rows = 0
        for row in connection.execute(BARE_SQL):
            writer.writerow(row)
            rows += 1
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": rows, "peak_mb": peak_mb(), "grew_mb": peak_mb() - baseline}


def measure_bare_xlsx(path: Path) -> dict:
    """xlsxwriter's constant-memory mode writing the same query's values, nothing else: the library's floor."""
    import sqlite3

    import xlsxwriter

    baseline = peak_mb()
    started = time.perf_counter()
    connection = sqlite3.connect(path)
    workbook = xlsxwriter.Workbook(OUT / "bare.xlsx", {"constant_memory": True})
    sheet = workbook.add_worksheet()
    rows = 0
    for rows, row in enumerate(connection.execute(BARE_SQL), start=1):
        for index, value in enumerate(row):
            if value is not None:
                sheet.write_string(rows, index, str(value))
    workbook.close()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": rows, "peak_mb": peak_mb(), "grew_mb": peak_mb() - baseline}


def run_child(kind: str, path: Path) -> dict:
    result = subprocess.run([sys.executable, __file__, "--child", kind, "--db", str(path.resolve())],
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def fastest(kinds: tuple[str, ...], path: Path, repeat: int) -> list[dict]:
    """Each kind's fastest of ``repeat`` fresh processes, the kinds taking turns: this machine's speed drifts
    by half from minute to minute, so runs to be compared are made side by side."""
    runs: dict[str, list[dict]] = {kind: [] for kind in kinds}
    for _ in range(repeat):
        for kind in kinds:
            runs[kind].append(run_child(kind, path))
    return [min(runs[kind], key=lambda run: run["seconds"]) for kind in kinds]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each measurement; the fastest counts")
    parser.add_argument("--child")
    parser.add_argument("--db")
    args = parser.parse_args()
    if args.child:
        path = Path(args.db)
        bare = {"bare": measure_bare, "bare-xlsx": measure_bare_xlsx}.get(args.child)
        result = bare(path) if bare else measure_ours(path, args.child)
        print(json.dumps(result))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"export-{args.cases}.sqlite3"
    build_database(path, args.cases)
    bare, csv_ours = fastest(("bare", "csv"), path, args.repeat)
    xlsx_ours, xlsx_bare = fastest(("xlsx", "bare-xlsx"), path, args.repeat)
    print(f"bare csv module: {bare['rows']} rows in {bare['seconds']:.2f} s = {bare['rows'] / bare['seconds']:,.0f} rows/s,"
          f" peak {bare['peak_mb']:.0f} MB")
    print(f"ours CSV:  {csv_ours['rows']} rows in {csv_ours['seconds']:.2f} s = {csv_ours['rows'] / csv_ours['seconds']:,.0f}"
          f" rows/s, peak {csv_ours['peak_mb']:.0f} MB (export added {csv_ours['grew_mb']:.0f} MB),"
          f" ours/bare {csv_ours['seconds'] / bare['seconds']:.2f} (target ≤ 1.5, < 150 MB)")
    print(f"ours XLSX: {bare['rows']} rows in {xlsx_ours['seconds']:.2f} s = {bare['rows'] / xlsx_ours['seconds']:,.0f}"
          f" rows/s, peak {xlsx_ours['peak_mb']:.0f} MB (export added {xlsx_ours['grew_mb']:.0f} MB),"
          f" {xlsx_ours['bytes'] / 1024 / 1024:.1f} MB file (target < 10 s)")
    print(f"bare xlsxwriter (constant memory, same values as text): {xlsx_bare['seconds']:.2f} s, peak"
          f" {xlsx_bare['peak_mb']:.0f} MB; ours/bare {xlsx_ours['seconds'] / xlsx_bare['seconds']:.2f}")


if __name__ == "__main__":
    main()
