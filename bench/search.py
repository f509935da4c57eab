"""Search speed at scale: the top bar's search box beside a bare LIKE query, same database, same run.

    .venv/bin/python bench/search.py [--cases 100000] [--repeat 25]

Uses (and builds once, see ``bench/panel.py``) the SQLite database of demo data under bench/out/, migrated to the
newest revision. Times through the WSGI test client, as an administrator (every row in scope) and as a handler (one
department's rows), a search by phone, by case-number prefix, by lot number, by customer name, by a word of the
summaries, and by a word found nowhere (the longest scan). The bare figure is one
``SELECT … FROM case JOIN customer WHERE … LIKE '%term%' … LIMIT 20`` over the same columns, no page, no scope:
what the database costs by itself. Prints medians in milliseconds; the target is < 150 ms a search.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, or_, select  # noqa: E402

from panel import build_database, median_ms, ours  # noqa: E402

TARGET_MS = 150


def bare_ms(run, repeat: int) -> float:
    """Median of ``repeat`` runs of ``run`` after one to warm up."""
    run()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=25)
    parser.add_argument("--db", type=Path, default=ROOT / "bench" / "out" / "panel.sqlite3")
    args = parser.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    build_database(args.db, args.cases)
    app, info = ours(args.db)
    from kesu.extensions import db
    from kesu.models import Case, Customer, Department, User

    with app.app_context():
        upgrade()
        count = db.session.scalar(select(func.count()).select_from(Case))
        case = db.session.get(Case, int(info["case_id"]))
        terms = {"phone": case.customer.phone, "case number": case.case_no[:-2], "lot number": case.lot_no,
                 "customer name": case.customer.name[:3], "summary word": "净化器", "nowhere": "不存在的词"}
        handler = db.session.scalar(select(User).where(User.username == "bench-handler"))
        if handler is None:
            department = db.session.scalar(select(Department).where(Department.name == "质量管理部"))
            handler = User(username="bench-handler", role="handler", password_hash="", department=department)
            db.session.add(handler)
        handler.set_password("bench-password")
        db.session.commit()

    clients = {}
    for login in (info["login"], "bench-handler"):
        clients[login] = app.test_client()
        response = clients[login].post("/login", data={"username": login, "password": "bench-password"})
        assert response.status_code == 302, response.status_code

    def bare(term):
        pattern = f"%{term}%"

        def run():
            with app.app_context():
                db.session.execute(select(Case.id, Case.case_no, Customer.name).join(Customer).where(or_(
                    Case.case_no.like(pattern), Case.lot_no.like(pattern), Case.title.like(pattern),
                    Case.description.like(pattern), Customer.name.like(pattern), Customer.phone.like(pattern),
                )).order_by(Case.received_at.desc()).limit(20)).all()
        return run

    print(f"\nkesu search box vs a bare LIKE query — {count:,} cases, SQLite, median of {args.repeat} "
          f"(ms; pid {os.getpid()})")
    print(f"{'search by':<15}{'admin':>10}{'handler':>10}{'bare':>10}{'target':>10}")
    for name, term in terms.items():
        url = "/admin/search/?" + urlencode({"q": term})
        admin = median_ms(clients[info["login"]], url, args.repeat)
        handler = median_ms(clients["bench-handler"], url, args.repeat)
        reference = bare_ms(bare(term), args.repeat)
        flag = "ok" if max(admin, handler) < TARGET_MS else "MISS"
        print(f"{name:<15}{admin:>10.1f}{handler:>10.1f}{reference:>10.1f}{'<' + str(TARGET_MS):>10} {flag}")


if __name__ == "__main__":
    main()
