"""Case numbers KS-YYYYMMDD-NNNN and claim numbers SP-YYYYMMDD-NNNN, never duplicated."""
from __future__ import annotations

import re
import threading
from datetime import date, datetime, timezone

import time_machine
from sqlalchemy import select

from kesu.extensions import db
from kesu.models import Case
from kesu.numbering import format_number
from tests.factories import make_case, make_claim


def test_number_format():
    assert format_number("KS", date(2026, 11, 23), 1) == "KS-20261123-0001"


def test_case_and_claim_numbers_count_up_per_day(ctx, staff):
    first, second = make_case(), make_case()
    assert re.fullmatch(r"KS-\d{8}-0001", first.case_no)
    assert second.case_no.endswith("-0002")
    assert re.fullmatch(r"SP-\d{8}-0001", make_claim(first).claim_no)


def test_case_number_uses_the_shanghai_date(ctx, staff):
    # 2026-11-23 17:30 UTC is already 2026-11-24 01:30 in Shanghai
    with time_machine.travel(datetime(2026, 11, 23, 17, 30, tzinfo=timezone.utc), tick=False):
        assert make_case().case_no == "KS-20261124-0001"


def test_concurrent_creation_never_duplicates_a_number(app, staff):
    with app.app_context():
        customer_case = make_case()
        customer_id, category_id = customer_case.customer_id, customer_case.category_id
    errors: list[BaseException] = []

    def create_cases() -> None:
        try:
            with app.app_context():
                for _ in range(10):
                    db.session.add(Case(customer_id=customer_id, category_id=category_id, channel="phone",
                                        title="并发登记", description="并发登记"))
                    db.session.commit()
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)

    threads = [threading.Thread(target=create_cases) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    with app.app_context():
        numbers = list(db.session.scalars(select(Case.case_no)))
    assert len(numbers) == 61
    assert len(set(numbers)) == 61
    assert sorted(int(n[-4:]) for n in numbers) == list(range(1, 62))
