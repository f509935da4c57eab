"""Typed settings: each administrator setting and each ``KESU_*`` variable declares its kind, range and unit, is
checked where it is edited or read at start-up, and is read typed."""
from __future__ import annotations

import logging
import re
from decimal import Decimal
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import select, update

from kesu import create_app
from kesu.config import VARIABLES, ConfigurationError, env_overrides, variables_table
from kesu.extensions import db
from kesu.models import AuditEvent, Setting
from kesu.settings import DECLARED, SETTINGS, setting
from kesu.value_types import Boolean, Integer, InvalidValue, Money, Number
from tests.factories import make_case, make_claim, user

README = Path(__file__).resolve().parent.parent / "README.md"

#: Values each kind of setting refuses, with (part of) the message shown under the field.
BAD_VALUES = {
    "Money": [("两万五", "请输入金额，例如 25000.00"), ("NaN", "请输入金额，例如 25000.00"),
              ("Infinity", "请输入金额，例如 25000.00"), ("-1", "之间的金额（元）"), ("1e30", "之间的金额（元）"),
              ("100.005", "金额最多保留两位小数")],
    "Integer": [("三十", "介于 1 到 365 之间的整数（天）"), ("30.5", "之间的整数（天）"), ("0", "之间的整数（天）"),
                ("99999999999999999999999", "之间的整数（天）"), ("1_0", "之间的整数（天）")],
    "Text": [("", "必填"), ("\u3000\u200b", "不能只有空格或不可见字符"), ("长" * 201, "不超过"),
             ("公司\x07", "不能包含不可见的控制字符")],
    "Phone": [("12345", "请输入电话号码"), ("电话", "请输入电话号码")],
}


FIELD_ERRORS = re.compile(r'<div class="invalid-feedback">(.*?)</div>', re.S)


def field_errors(page: str) -> str:
    """The errors under the form's fields (not the help text, which also says what is accepted)."""
    return " ".join(FIELD_ERRORS.findall(page))


def setting_row(key: str) -> Setting:
    return db.session.scalar(select(Setting).where(Setting.key == key))


def store_raw(app, key: str, text: str) -> None:
    """What an older version or an UPDATE in SQL may have left: no check at all."""
    with app.app_context():
        db.session.execute(update(Setting).where(Setting.key == key).values(value=text))
        db.session.commit()


def setting_events(app) -> int:
    with app.app_context():
        return len(db.session.scalars(select(AuditEvent).where(AuditEvent.record_type == "setting")).all())


# --- the administrator's edit form ------------------------------------------------------------------------------
@pytest.mark.parametrize("key,bad,message", [
    (declared.key, bad, message)
    for declared in SETTINGS for bad, message in BAD_VALUES[type(declared.kind).__name__]
])
def test_bad_value_of_each_setting_is_refused_with_a_field_error_and_nothing_is_written(app, login_as, key, bad,
                                                                                         message):
    client = login_as("admin")
    with app.app_context():
        row = setting_row(key)
        row_id, before = row.id, row.value
    events = setting_events(app)
    response = client.post_form(f"/admin/setting/edit/?id={row_id}", {"value": bad})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in field_errors(page)
    with app.app_context():
        assert setting_row(key).value == before
    assert setting_events(app) == events


def test_two_wan_five_in_a_money_threshold_is_refused_and_25000_is_stored_as_money(app, login_as):
    client = login_as("admin")
    with app.app_context():
        row_id = setting_row("countersign_legal_above").id
    page = client.post_form(f"/admin/setting/edit/?id={row_id}", {"value": "两万五"}).get_data(as_text=True)
    assert "请输入金额，例如 25000.00" in field_errors(page)
    response = client.post_form(f"/admin/setting/edit/?id={row_id}", {"value": " 25000 "})
    assert response.status_code == 302
    with app.app_context():
        assert setting_row("countersign_legal_above").value == "25000.00"
        assert setting("countersign_legal_above") == Decimal("25000.00")


def test_edit_form_shows_the_label_the_unit_and_the_range(app, login_as):
    with app.app_context():
        row_id = setting_row("appeal_period_days").id
    page = login_as("admin").get(f"/admin/setting/edit/?id={row_id}").get_data(as_text=True)
    assert "申诉期" in page and "结案后客户可申诉的天数" in page
    assert "请输入介于 1 到 365 之间的整数（天）" in page


def test_settings_list_shows_values_with_their_unit(app, login_as):
    page = login_as("admin").get("/admin/setting/").get_data(as_text=True)
    assert "30 天" in page and "50000.00 元" in page and "法务会签金额" in page
    assert "无效" not in page


# --- reading -------------------------------------------------------------------------------------------------------
def test_settings_are_read_typed(ctx):
    assert setting("countersign_legal_above") == Decimal("50000.00")
    assert isinstance(setting("countersign_legal_above"), Decimal)
    assert setting("appeal_period_days") == 30 and isinstance(setting("appeal_period_days"), int)
    assert setting("company_phone") == "400-800-1234"


def test_seed_stores_each_declared_default_as_canonical_text(ctx):
    for declared in SETTINGS:
        row = setting_row(declared.key)
        assert row.value == declared.default_text
        assert declared.parse(row.value) == declared.default


def test_invalid_stored_value_falls_back_to_the_default_with_a_warning(app, caplog):
    store_raw(app, "countersign_legal_above", "两万五")
    with app.app_context(), caplog.at_level(logging.WARNING, logger="kesu.settings"):
        assert setting("countersign_legal_above") == DECLARED["countersign_legal_above"].default
    assert "countersign_legal_above" in caplog.text and "两万五" in caplog.text


def test_claim_page_reading_an_invalid_threshold_uses_the_default_instead_of_failing(app, login_as):
    with app.app_context():
        case = make_case(department_name="质量管理部")
        claim_id = make_claim(case, amount="30000", status="pending_approval", verified_loss=Decimal("30000"),
                              proposed_amount=Decimal("30000"), proposed_by_id=user("clerk").id).id
    manager = login_as("manager")
    store_raw(app, "countersign_finance_above", "40000")
    page = manager.get(f"/admin/claim/details/?id={claim_id}").get_data(as_text=True)
    assert "审批前须先完成财务会签" not in page  # 30,000 is under the stored threshold: it is read
    store_raw(app, "countersign_finance_above", "NaN")
    response = manager.get(f"/admin/claim/details/?id={claim_id}")
    assert response.status_code == 200
    assert "审批前须先完成财务会签" in response.get_data(as_text=True)  # the default, 10,000, applies


def test_settings_list_flags_an_invalid_stored_value_and_names_the_default_in_use(app, login_as):
    store_raw(app, "appeal_period_days", "三十天")
    response = login_as("admin").get("/admin/setting/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "无效，正在使用默认值 30 天" in page and "三十天" in page


# --- the environment ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,expected", [
    ("false", False), ("FALSE", False), ("0", False), ("no", False), ("Off", False),
    ("true", True), ("1", True), ("YES", True), ("on", True),
])
def test_boolean_variable_reads_the_words_people_write(text, expected):
    assert env_overrides({"KESU_SESSION_COOKIE_SECURE": text}) == {"SESSION_COOKIE_SECURE": expected}


def test_bad_integer_variable_stops_start_up_naming_the_variable_and_what_it_accepts():
    with pytest.raises(ConfigurationError) as refused:
        env_overrides({"KESU_SQLITE_BUSY_TIMEOUT_MS": "abc"})
    assert "KESU_SQLITE_BUSY_TIMEOUT_MS='abc'" in str(refused.value)
    assert "介于 0 到 600000 之间的整数（毫秒）" in str(refused.value)


@pytest.mark.parametrize("name,text", [
    ("KESU_SQLITE_BUSY_TIMEOUT_MS", "-1"), ("KESU_PDF_TIMEOUT_SECONDS", "0"), ("KESU_PDF_TIMEOUT_SECONDS", "86400"),
    ("KESU_MAX_CONTENT_LENGTH", "1e9"), ("KESU_SESSION_COOKIE_SECURE", "maybe"),
    ("KESU_BABEL_DEFAULT_LOCALE", "fr"), ("KESU_DATABASE_URL", "mysql://kesu@db/kesu"),
])
def test_variable_out_of_its_range_or_kind_is_refused(name, text):
    with pytest.raises(ConfigurationError, match=name):
        env_overrides({name: text})


def test_secret_variables_are_not_repeated_in_the_refusal():
    with pytest.raises(ConfigurationError) as refused:
        env_overrides({"KESU_DATABASE_URL": "mysql://kesu:hunter2@db/kesu"})
    assert "KESU_DATABASE_URL" in str(refused.value) and "hunter2" not in str(refused.value)


def test_variables_are_converted_to_their_kind_and_config_key():
    assert env_overrides({"KESU_PDF_TIMEOUT_SECONDS": " 30 ", "KESU_DATABASE_URL": "sqlite:////tmp/k.sqlite3",
                          "PATH": "/usr/bin"}) == {
        "PDF_TIMEOUT_SECONDS": 30, "SQLALCHEMY_DATABASE_URI": "sqlite:////tmp/k.sqlite3"}


def test_unknown_variable_is_ignored_with_a_warning_and_test_variables_silently(caplog):
    with caplog.at_level(logging.WARNING, logger="kesu.config"):
        assert env_overrides({"KESU_SESION_COOKIE_SECURE": "true", "KESU_TEST_DATABASE_URL": "x"}) == {}
    assert "KESU_SESION_COOKIE_SECURE" in caplog.text and "KESU_TEST_DATABASE_URL" not in caplog.text


def test_app_refuses_to_start_on_a_bad_variable_and_reads_false_as_false(monkeypatch, tmp_path):
    config = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'k.sqlite3'}", "SECRET_KEY": "x"}
    monkeypatch.setenv("KESU_SESSION_COOKIE_SECURE", "false")
    assert create_app(config).config["SESSION_COOKIE_SECURE"] is False
    monkeypatch.setenv("KESU_SQLITE_BUSY_TIMEOUT_MS", "abc")
    with pytest.raises(ConfigurationError, match="KESU_SQLITE_BUSY_TIMEOUT_MS"):
        create_app(config)


def test_each_variable_default_is_a_value_of_its_own_kind():
    for variable in VARIABLES:
        if variable.default is not None:
            assert variable.kind.parse(variable.kind.to_text(variable.default)) == variable.default, variable.name


def test_readme_lists_every_variable_in_the_declared_table(app):
    readme = README.read_text(encoding="utf-8")
    with app.test_request_context(), force_locale("en"):
        table = variables_table()
    assert table in readme
    for variable in VARIABLES:
        assert f"`{variable.name}`" in readme


# --- the kinds ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind,text", [
    (Money(), "sNaN"), (Money(), "-0.01"), (Money(), "1e999999999"), (Integer(1, 10), "11"),
    (Number(0.5, 10.0), "inf"), (Number(0.5, 10.0), "0.1"), (Boolean(), "2"),
])
def test_each_kind_refuses_what_is_outside_it(kind, text):
    with pytest.raises(InvalidValue):
        kind.parse(text)


def test_number_kind_reads_decimals_within_its_range():
    assert Number(0.5, 10.0).parse("2.5") == 2.5
