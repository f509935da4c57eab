"""The command line: init, create-user, admin-login, demo."""
from __future__ import annotations

from sqlalchemy import func, select

from kesu.choices import CASE_STATUS, CHANNEL
from kesu.extensions import db
from kesu.models import Case, Category, Claim, ContactLog, Department, LossItem, User


def run(app, *args):
    result = app.test_cli_runner().invoke(args=["kesu", *args])
    return result


def test_init_is_idempotent(app):
    first = run(app, "init")
    second = run(app, "init")
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert "departments 0" in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Category)) == 6


def test_create_user_with_department_and_limit(app):
    result = run(app, "create-user", "lina", "--role", "approver", "--password", "long-enough-pw",
                 "--department", "客户服务部", "--limit", "20000")
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "lina"))
        assert user.role == "approver" and user.department.name == "客户服务部"
        assert str(user.approval_limit) == "20000.00" and user.check_password("long-enough-pw")


def test_create_user_refuses_unknown_department_in_chinese(app):
    result = run(app, "create-user", "xiaoli", "--role", "handler", "--password", "long-enough-pw",
                 "--department", "不存在的部门")
    assert result.exit_code != 0 and "部门 不存在的部门 不存在" in result.output


def test_admin_login_creates_admin_once_and_prints_the_same_password(app):
    first = run(app, "admin-login")
    second = run(app, "admin-login")
    assert first.exit_code == 0
    assert first.output == second.output
    password = first.output.strip().split()[-1]
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        assert admin.role == "admin" and admin.check_password(password)


def test_demo_covers_every_status_channel_category_and_department(app):
    result = run(app, "demo", "--cases", "300")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Case)) == 300
        assert set(db.session.scalars(select(Case.status).distinct())) == set(CASE_STATUS.keys)
        assert set(db.session.scalars(select(Case.channel).distinct())) == set(CHANNEL.keys)
        assert db.session.scalar(select(func.count(Case.category_id.distinct()))) == 6
        handled = set(db.session.scalars(select(Department.name).join(Case, Case.department_id == Department.id)))
        assert {"质量管理部", "生产部", "物流部", "销售部"} <= handled
        assert db.session.scalar(select(func.count()).select_from(ContactLog)) >= 300
        assert db.session.scalar(select(func.count()).select_from(Claim)) > 0
        assert db.session.scalar(select(func.count()).select_from(LossItem)) > 0
        numbers = list(db.session.scalars(select(Case.case_no)))
        assert len(set(numbers)) == 300


def test_demo_is_deterministic(app, tmp_path):
    run(app, "demo", "--cases", "50")
    with app.app_context():
        first = [(c.title, c.status, c.channel) for c in db.session.scalars(select(Case).order_by(Case.id))]
        db.session.execute(Case.__table__.delete().where(Case.id < 0))
    assert first[:3] and len(first) == 50
    assert first == _titles_from_fresh_demo(tmp_path)


def _titles_from_fresh_demo(tmp_path):
    from flask_migrate import upgrade

    from kesu import create_app

    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.sqlite3'}",
                        "SECRET_KEY": "x", "FILE_STORE": str(tmp_path / "f")})
    with other.app_context():
        upgrade()
    other.test_cli_runner().invoke(args=["kesu", "init"])
    other.test_cli_runner().invoke(args=["kesu", "demo", "--cases", "50"])
    with other.app_context():
        rows = [(c.title, c.status, c.channel) for c in db.session.scalars(select(Case).order_by(Case.id))]
        db.engine.dispose()
    return rows


def test_demo_once_skips_the_second_time(app):
    run(app, "demo", "--cases", "20", "--once")
    result = run(app, "demo", "--cases", "20", "--once")
    assert "跳过" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Case)) == 20


def test_demo_continues_the_day_counter_after_real_cases(app, staff):
    from tests.factories import make_case

    with app.app_context():
        make_case()
    run(app, "demo", "--cases", "30")
    with app.app_context():
        numbers = list(db.session.scalars(select(Case.case_no)))
        assert len(numbers) == len(set(numbers)) == 31
        from tests.factories import make_case as again
        assert again().case_no not in numbers


def test_admin_login_names_the_address_the_server_listens_on(app):
    result = run(app, "admin-login", "--url", "http://127.0.0.1:5055/")
    assert "登录地址 http://127.0.0.1:5055/login  用户名 admin" in result.output
