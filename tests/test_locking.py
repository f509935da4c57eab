"""Two people editing the same record: the second save is refused, nothing is overwritten."""
from __future__ import annotations

from kesu.extensions import db
from kesu.models import Case
from tests.factories import make_case
from tests.forms import case_form


def test_second_save_of_the_same_case_is_refused_naming_who_saved_first(login_as, app, staff):
    with app.app_context():
        case = make_case()
        case_id = case.id
        opened = case_form(case)
    first, second = login_as("clerk"), login_as("admin")
    assert first.get(f"/admin/case/edit/?id={case_id}").status_code == 200
    assert second.get(f"/admin/case/edit/?id={case_id}").status_code == 200

    saved = first.post_form(f"/admin/case/edit/?id={case_id}", {**opened, "title": "第一位用户的修改"})
    assert saved.status_code == 302
    refused = second.post_form(f"/admin/case/edit/?id={case_id}", {**opened, "title": "第二位用户的修改"})

    page = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert "已被 clerk 修改并保存" in page
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert case.title == "第一位用户的修改"
        assert case.version == 2


def test_save_with_current_version_succeeds_and_bumps_version(login_as, app, staff):
    with app.app_context():
        case = make_case()
        case_id, data = case.id, case_form(case, title="更新后的摘要")
    response = login_as("clerk").post_form(f"/admin/case/edit/?id={case_id}", data)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Case, case_id).version == 2


def test_stale_version_at_flush_raises_in_the_orm(ctx, staff):
    """The database-level guard: an UPDATE carrying an old version matches no row."""
    import pytest
    from sqlalchemy import update
    from sqlalchemy.orm.exc import StaleDataError

    case = make_case()
    table = Case.__table__
    db.session.connection().execute(update(table).where(table.c.id == case.id).values(version=table.c.version + 1))
    case.title = "并发修改"
    with pytest.raises(StaleDataError):
        db.session.commit()
    db.session.rollback()
