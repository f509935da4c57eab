"""Records for tests, made through the ORM so numbering and the audit trail run as in production."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from kesu.audit import acting_as
from kesu.extensions import db
from kesu.models import Accountability, Case, Category, Claim, ContactLog, Customer, Department, User

PASSWORD = "correct-horse-42"

STAFF = {
    "admin": ("admin", None, "0"),
    "clerk": ("clerk", "客户服务部", "0"),
    "handler": ("handler", "质量管理部", "0"),
    "other_handler": ("handler", "生产部", "0"),
    "approver": ("approver", "客户服务部", "20000"),
    "manager": ("approver", "总经理办公室", "200000"),
    "finance": ("finance", "财务部", "0"),
    "auditor": ("auditor", None, "0"),
}


def department(name: str) -> Department:
    return db.session.scalar(select(Department).where(Department.name == name))


def make_staff() -> dict[str, str]:
    """Create one user per entry of STAFF; return ``{short name: username}``."""
    with acting_as(None, "test setup"):
        for name, (role, dept, limit) in STAFF.items():
            user = User(username=name, role=role, department=department(dept) if dept else None,
                        approval_limit=Decimal(limit), full_name=name)
            user.set_password(PASSWORD)
            db.session.add(user)
        db.session.commit()
    return {name: name for name in STAFF}


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def make_customer(name: str = "张伟", phone: str = "13812345678", **fields) -> Customer:
    with acting_as(None, "test setup"):
        customer = Customer(name=name, phone=phone, email=fields.pop("email", "zhang.wei@example.com"), **fields)
        db.session.add(customer)
        db.session.commit()
    return customer


def make_case(department_name: str | None = "质量管理部", customer: Customer | None = None, **fields) -> Case:
    with acting_as(None, "test setup"):
        customer = customer or make_customer()
        category = db.session.scalar(select(Category).order_by(Category.id))
        case = Case(
            customer=customer, category=category, channel=fields.pop("channel", "phone"),
            title=fields.pop("title", "空气净化器开机无反应"), description=fields.pop("description", "客户反映开机无反应。"),
            department=department(department_name) if department_name else None, **fields,
        )
        db.session.add(case)
        db.session.commit()
    return case


def make_claim(case: Case, amount: str = "1200.00", **fields) -> Claim:
    with acting_as(None, "test setup"):
        claim = Claim(case=case, claimed_amount=Decimal(amount), reason=fields.pop("reason", "产品损坏，要求赔偿"),
                      **fields)
        db.session.add(claim)
        db.session.commit()
    return claim


def make_contact_log(case: Case, content: str = "电话联系客户") -> ContactLog:
    with acting_as(None, "test setup"):
        log = ContactLog(case=case, channel="phone", direction="outbound", content=content)
        db.session.add(log)
        db.session.commit()
    return log


def make_accountability(case: Case, **fields) -> Accountability:
    """A proposed accountability record on ``case``, held against its department unless told otherwise."""
    with acting_as(None, "test setup"):
        record = Accountability(case=case, department=fields.pop("department", case.department),
                                cause=fields.pop("cause", "other"), facts=fields.pop("facts", "未按规程检验"),
                                measure=fields.pop("measure", "verbal_warning"), **fields)
        db.session.add(record)
        db.session.commit()
    return record
