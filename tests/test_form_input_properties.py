"""Generated input into every field of every create and edit form of every admin view and every workflow
dialog: never a response ≥ 500, never a partial write.

The forms and their fields are read from the application itself (the registered admin views as an
administrator sees them, the state machines' transitions and their dialogs), so a new view, field or
transition is covered without touching this file. Each field gets either a value that fits it or one from a
catalogue of trouble: control, invisible and bidi characters, huge text, numbers that are not numbers or
do not fit, impossible dates, ids beyond 64 bits or not there.

After each post: an error page (200) means no table and no audit event changed; a redirect after a save
means the record reads back, and its text fields show on its page exactly as they were stored.
"""
from __future__ import annotations

import itertools
from typing import Any

import pytest
from flask_admin.contrib.sqla.fields import InlineModelFormList, QuerySelectField
from flask_admin.model.fields import AjaxSelectField
from flask_login import login_user
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import func, select
from wtforms import fields

from kesu.admin import VIEWS
from kesu.audit import acting_as
from kesu.extensions import db
from kesu.models import Accountability, Department, GoodsHold, LossItem, User
from kesu.permissions import can
from kesu.workflow import MACHINES
from tests.factories import make_case, make_claim, make_contact_log

SETTINGS = settings(max_examples=10, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# --- the catalogue of trouble --------------------------------------------------------------------------------
TRICKY_TEXT = st.one_of(
    st.sampled_from(["", " ", "\u3000\u3000", "\u200b\u200c\u200d", "\u2060\ufeff", "\u200e\u200f",
                     "\u202a\u202e\u202c", "\u2066\u2069", "\x00", "名\x00称", "\x1b[31m", "\x7f", "\x85", "\t\r\n",
                     " \u200b值\u3000", "'=HYPERLINK(\"x\")", "<script>alert(1)</script>", "%_\\", "١٢٣"]),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30),
    st.builds(lambda ch, n: ch * n, st.sampled_from(["长", "a", "\u200b", "\x00"]),
              st.sampled_from([21, 51, 201, 2001, 40000])),
)
TRICKY_NUMBERS = st.one_of(
    st.sampled_from(["NaN", "sNaN", "-NaN", "Infinity", "-Infinity", "inf", "1e400", "-1e400",
                     "1E+999999999999999999", "2147483647", "2147483648", "-2147483649", "32768",
                     "9223372036854775808", "99999999999999999999999", "-1", "0", "-0.001", "0.123456789",
                     "1_000", "１２", "1" * 5000]),
    st.integers(min_value=-2**70, max_value=2**70).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)
TRICKY_DATES = st.one_of(
    st.sampled_from(["0001-01-01", "0001-01-01 00:00", "9999-12-31 23:59", "9999-12-31", "0000-00-00",
                     "0000-00-00 00:00", "2026-02-30", "2026-02-30 10:00", "1999-12-31 23:59", "2000-01-01 00:00",
                     "2099-12-31 23:59", "2100-01-01 00:00", "2026-13-01 00:00", "2026-11-23T09:30",
                     "10000-01-01 00:00", "2026-11-23 24:00"]),
    st.datetimes().map(lambda moment: moment.strftime("%Y-%m-%d %H:%M")),
)
TRICKY_IDS = st.sampled_from(["0", "-1", "999999", "abc", "__None", "1.5", str(2**31), str(2**63), str(2**64),
                              str(2**70), "1e3", " 1", "\x00", ""])
TRICKY = st.one_of(TRICKY_TEXT, TRICKY_NUMBERS, TRICKY_DATES, TRICKY_IDS)

_unique = itertools.count(1)


# --- what an administrator's forms hold ----------------------------------------------------------------------
def view_for(app, endpoint: str):
    return next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", None) == endpoint)


def _first_choice(field) -> str:
    if isinstance(field, QuerySelectField):
        objects = field._get_object_list()
        return objects[0][0] if objects else ""
    values = [choice[0] for choice in field.iter_choices() if str(choice[0]) not in ("", "__None")]
    return str(values[0]) if values else ""


def fitting_value(field, version: Any) -> str | None:
    """A value the field accepts, so that examples that leave a field alone can save."""
    name = field.short_name
    if isinstance(field, fields.FileField):
        return None
    if isinstance(field, AjaxSelectField):
        model = field.loader.model
        return str(db.session.scalar(select(model.id).order_by(model.id)) or "")
    if isinstance(field, (QuerySelectField, fields.SelectFieldBase)):
        return _first_choice(field)
    if isinstance(field, fields.BooleanField):
        return "y"
    if isinstance(field, fields.DateTimeField) and not isinstance(field, fields.DateField):
        return "2026-11-23 09:30"
    if isinstance(field, fields.DateField):
        return "2026-11-23"
    if isinstance(field, (fields.IntegerField, fields.DecimalField)):
        return "1"
    if isinstance(field, fields.PasswordField):
        return "long-enough-pw-1"
    if name == "version":
        return str(version or "")
    if "email" in name:
        return f"user{next(_unique)}@example.com"
    if "phone" in name:
        return "13812345678"
    return f"测试{next(_unique)}"


def form_fields(form) -> dict[str, Any]:
    """Every posted name of the form and its field; an inline list contributes its first row's fields."""
    found = {}
    for name, field in form._fields.items():
        if name == "csrf_token":
            continue
        if isinstance(field, InlineModelFormList):
            row = field.unbound_field.args[0](formdata=None)
            found.update({f"{name}-0-{sub}": subfield for sub, subfield in row._fields.items()})
        else:
            found[name] = field
    return found


def generated_form(data, form, version: Any = None) -> dict[str, str]:
    """Draw one post: each field keeps a fitting value or gets one from the catalogue of trouble."""
    post = {}
    for name, field in form_fields(form).items():
        fitting = fitting_value(field, version)
        value = data.draw(st.one_of(st.just(fitting), TRICKY) if fitting is not None else st.none(), label=name)
        if value is not None:
            post[name] = value
    return post


# --- what is in the database ----------------------------------------------------------------------------------
def table_counts() -> dict[str, int]:
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


def row_of(model, record_id: int) -> dict | None:
    row = db.session.execute(select(model.__table__).where(model.__table__.c.id == record_id)).mappings().first()
    return dict(row) if row else None


def make_records() -> None:
    """One record of every kind an administrator edits (the reference data brings the rest)."""
    case = make_case(status="investigating")
    claim = make_claim(case)
    make_contact_log(case)
    spare = User(username="spare", role="clerk", full_name="备用")  # edited instead of an account that logs in
    spare.set_password("long-enough-pw-1")
    department = db.session.scalar(select(Department).order_by(Department.id))
    with acting_as(None, "test setup"):
        db.session.add_all([
            spare,
            GoodsHold(case=case, location="in_stock", quantity=5, held_quantity=1),
            LossItem(claim=claim, description="滤网", quantity=2, unit_price=100),
            Accountability(case=case, department=department, cause="other", facts="未按规程检验",
                           measure="verbal_warning"),
        ])
        db.session.commit()


def assert_shown_as_stored(client, view, model, record_id: int, posted: dict[str, str], form) -> None:
    """The saved record's page opens, and each text field shows the value the database holds."""
    page_kind = "edit" if view.can_edit else "details"
    response = client.get(f"/admin/{view.endpoint}/{page_kind}/?id={record_id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    stored = row_of(model, record_id)
    for name in posted:
        field = form._fields.get(name)
        if isinstance(field, (fields.StringField,)) and not isinstance(field, (fields.PasswordField,
                                                                              fields.HiddenField)):
            value = stored.get(name)
            if isinstance(value, str) and value and name not in view.personal_info_columns:
                assert str(escape(value)) in page, name


@pytest.fixture
def client_of(login_as):
    """One logged-in client per account for all the examples of a test."""
    clients = {}

    def client(name: str):
        if name not in clients:
            clients[name] = login_as(name)
        return clients[name]
    return client


# --- the admin views' create and edit forms -------------------------------------------------------------------
class Admin:
    role, is_authenticated = "admin", True


ADMIN_FORMS = [(model.__name__.lower(), operation) for _view, model, _name, _category in VIEWS
               for operation in ("create", "edit") if can(Admin(), operation, model)]


@pytest.mark.parametrize("endpoint,operation", ADMIN_FORMS)
@SETTINGS
@given(data=st.data())
def test_every_admin_form_refuses_bad_input_cleanly(app, staff, client_of, endpoint, operation, data):
    client = client_of("admin")
    view = view_for(app, endpoint)
    model = view.model
    with app.app_context():
        if db.session.scalar(select(User).where(User.username == "spare")) is None:
            make_records()
        record_id = None if operation == "create" else db.session.scalar(select(func.max(model.id)))
        with app.test_request_context():
            login_user(db.session.scalar(select(User).where(User.username == "admin")))
            record = db.session.get(model, record_id) if record_id else None
            form = view.create_form() if record is None else view.edit_form(record)
            post = generated_form(data, form, getattr(record, "version", None))
        counts, before = table_counts(), row_of(model, record_id) if record_id else None
        last_id = db.session.scalar(select(func.max(model.id)))
    url = f"/admin/{endpoint}/new/" if operation == "create" else f"/admin/{endpoint}/edit/?id={record_id}"
    response = client.post_form(url, post)
    assert response.status_code < 500, response.get_data(as_text=True)[:2000]
    with app.app_context():
        if response.status_code != 302:
            assert table_counts() == counts
            if record_id:
                assert row_of(model, record_id) == before
            return
        saved_id = record_id or db.session.scalar(select(func.max(model.id)))
        if saved_id != last_id or (record_id and row_of(model, record_id) != before):
            assert table_counts()["audit_event"] > counts["audit_event"]
            with app.test_request_context():
                login_user(db.session.scalar(select(User).where(User.username == "admin")))
                assert_shown_as_stored(client, view, model, saved_id, post, form)
        else:
            assert table_counts() == counts


# --- the workflow dialogs -------------------------------------------------------------------------------------
DIALOGS = [(model, key) for model, machine in MACHINES.items() for key in machine.transitions]


def record_in_state(model, status: str):
    """A record put straight into ``status``, with the values the steps before would have filled in."""
    handler = db.session.scalar(select(User).where(User.username == "handler"))
    case = make_case(status="investigating" if model is not Accountability else "closed", handler=handler,
                     root_cause="滤网批次不良", resolution_type="refund", proposed_amount=100)
    if model.__name__ == "Case":
        record = case
    elif model.__name__ == "Claim":
        record = make_claim(case, verified_loss=1000, compensation_form="refund", proposed_amount=1000,
                            approved_amount=1000)
    else:
        record = Accountability(case=case, department=case.department, cause="other", facts="未按规程检验",
                                measure="verbal_warning")
    with acting_as(None, "test setup"):
        record.status = status
        db.session.add(record)
        db.session.commit()
    return record


def actor_for(transition) -> User:
    """The administrator when the step is theirs, otherwise the first account whose role owns it."""
    for username in ("admin", "clerk", "handler", "manager", "approver", "finance", "legal", "auditor"):
        user = db.session.scalar(select(User).where(User.username == username))
        if user and user.role in transition.roles and (transition.eligible is None or
                                                        transition.eligible(user) is None):
            return user
    return db.session.scalar(select(User).where(User.username == "admin"))


@pytest.mark.parametrize("model,action", DIALOGS, ids=[f"{m.__name__.lower()}-{a}" for m, a in DIALOGS])
@SETTINGS
@given(data=st.data())
def test_every_workflow_dialog_refuses_bad_input_cleanly(app, staff, client_of, model, action, data):
    from forms.workflow import action_form_class
    from tests.test_workflow import _make_legal_reviewer

    machine = MACHINES[model]
    transition = machine.transitions[action]
    endpoint = model.__name__.lower()
    with app.app_context():
        if db.session.scalar(select(User).where(User.username == "legal")) is None:
            with acting_as(None, "test setup"):
                _make_legal_reviewer()
        actor = actor_for(transition).username
        record = record_in_state(model, sorted(transition.sources)[0])
        record_id = record.id
        with app.test_request_context():
            form = action_form_class(machine.name, action)(formdata=None)
            form.prepare(record)
            post = generated_form(data, form, record.version)
    client = client_of(actor)
    with app.app_context():
        counts, before = table_counts(), row_of(model, record_id)
    response = client.post_form(f"/admin/{endpoint}/workflow/{action}/?id={record_id}", post)
    assert response.status_code < 500, response.get_data(as_text=True)[:2000]
    with app.app_context():
        after = row_of(model, record_id)
        if response.status_code != 302 or after["version"] == before["version"]:
            assert table_counts() == counts and after == before
        else:
            assert table_counts()["audit_event"] > counts["audit_event"]
    if response.status_code == 302:
        assert client.get(f"/admin/{endpoint}/details/?id={record_id}").status_code < 500
