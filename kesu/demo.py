"""Deterministic, realistic Chinese demo data, bulk-inserted so 100,000 cases load in seconds.

Rows go in through Core ``INSERT … RETURNING`` in chunks; the audit trail gets one summary event
instead of one per generated row. Case and claim numbers continue each day's counter.
"""
from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from kesu.audit import record_event
from kesu.choices import CHANNEL, CLAIM_STATUS, SEVERITY
from kesu.models import (
    Accountability,
    Approval,
    Case,
    Category,
    Claim,
    ContactLog,
    Customer,
    Department,
    GoodsHold,
    LossItem,
    NumberSequence,
    Payment,
    Setting,
    User,
)
from kesu.numbering import format_number
from kesu.timeutil import SHANGHAI, to_local, utcnow
from kesu.workflow.statuses import CASE_STATUSES

CHUNK = 5000
DEMO_MARKER = "demo_loaded"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英",
         "霞", "平", "刚", "桂英", "建华", "志强", "晓东", "海燕", "国庆", "春梅", "文博", "子涵")
CITIES = ("上海市浦东新区", "北京市朝阳区", "广州市天河区", "深圳市南山区", "杭州市西湖区", "苏州市工业园区",
          "成都市武侯区", "武汉市洪山区", "南京市鼓楼区", "宁波市鄞州区", "青岛市崂山区", "佛山市顺德区")
STREETS = ("世纪大道", "建设路", "人民路", "中山路", "解放路", "长江路", "科技园路", "滨江大道")
COMPANY_WORDS = ("华东", "恒信", "瑞丰", "百川", "鼎盛", "宏达", "新元", "金桥", "天成", "东方")
COMPANY_KINDS = ("电器销售有限公司", "商贸有限公司", "家居连锁有限公司", "科技有限公司", "酒店管理有限公司")
MOBILE_PREFIXES = ("138", "139", "137", "136", "150", "151", "158", "186", "187", "189", "177", "199")
PRODUCTS = (
    ("空气净化器", "KJ-300F"), ("电饭煲", "FB-40S"), ("冰箱", "BCD-520W"), ("洗衣机", "XQG-100"),
    ("空调", "KFR-35GW"), ("热水器", "JSQ-24"), ("吸尘器", "VC-18"), ("微波炉", "MW-23"),
    ("净水器", "RO-600G"), ("电风扇", "FS-40"),
)
PROBLEMS = {
    "产品质量": ("开机无反应，指示灯不亮", "运行时噪音明显偏大", "外壳有裂纹，疑似出厂缺陷", "使用两周后频繁自动断电",
             "显示屏出现花屏", "漏水，地板被泡"),
    "服务质量": ("安装人员迟到三小时且态度恶劣", "客服电话多次无人接听", "维修后问题依旧，师傅拒绝再次上门",
             "售后人员收取了未告知的上门费"),
    "价格争议": ("下单后一周降价，要求退还差价", "发票金额与订单金额不符", "安装材料费高于公示标准"),
    "促销活动": ("满减优惠未兑现", "承诺的赠品未发货", "以旧换新补贴未到账"),
    "物流配送": ("配送延迟五天未通知", "外包装破损，机身有磕碰", "送错型号", "快递员未送货上门"),
    "其他": ("对退换货政策有疑问", "个人信息被用于营销电话", "对说明书内容有异议"),
}
DEMANDS = ("退货退款", "更换新机", "免费维修", "补偿差价", "书面道歉并赔偿损失", "尽快上门处理")
ROOT_CAUSES = ("供应商来料不良，电容批次失效", "装配工位扭矩设置错误", "出厂检验漏检", "客服排班不足导致响应超时",
               "促销规则配置错误", "第三方物流交接未签收确认", "安装人员未按作业指导书操作")
CONTACT_CONTENTS = ("电话联系客户，确认问题情况并致歉", "向客户说明调查进展", "告知客户处理方案，客户表示考虑",
                    "回访客户，客户对处理结果基本满意", "客户来电催促处理进度", "邮件发送处理结果通知书")

DEMO_USERS = (
    ("kefu", "clerk", "客户服务部", "0", "陈静"),
    ("kefu2", "clerk", "客户服务部", "0", "刘洋"),
    ("zhiliang", "handler", "质量管理部", "0", "王磊"),
    ("shengchan", "handler", "生产部", "0", "赵强"),
    ("wuliu", "handler", "物流部", "0", "孙涛"),
    ("xiaoshou", "handler", "销售部", "0", "周敏"),
    ("zhuguan", "approver", "客户服务部", "20000", "李娜"),
    ("jingli", "approver", "总经理办公室", "200000", "张建华"),
    ("zongjingli", "approver", "总经理办公室", "10000000", "吴国庆"),
    ("fawu", "approver", "法务部", "0", "郑文博"),
    ("caiwu", "finance", "财务部", "0", "徐春梅"),
    ("shenji", "auditor", None, "0", "何晓东"),
)

# Workflow order of the main path; a case in a later state has the fields of every earlier one.
CASE_PATH = CASE_STATUSES.path
CASE_WEIGHTS = {"registered": 6, "accepted": 6, "investigating": 10, "solution_proposed": 5, "approved": 4,
                "customer_notified": 4, "customer_confirmed": 3, "implementing": 5, "follow_up": 5, "closed": 30,
                "archived": 15, "rejected": 5, "reopened": 2}


def already_loaded(session: Session) -> bool:
    return session.scalar(select(Setting.id).where(Setting.key == DEMO_MARKER)) is not None


def _uniform(rows: list[dict]) -> list[dict]:
    """executemany takes its columns from the first row: give every row every key (missing → NULL)."""
    keys = set().union(*rows) if rows else set()
    return [{key: row.get(key) for key in keys} for row in rows]


def _insert_returning_ids(session: Session, model: type, rows: list[dict]) -> list[int]:
    table = model.__table__
    rows = _uniform(rows)
    ids: list[int] = []
    connection = session.connection()
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        result = connection.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), chunk)
        ids.extend(result.scalars().all())
    return ids


def _insert(session: Session, model: type, rows: list[dict]) -> None:
    rows = _uniform(rows)
    connection = session.connection()
    for start in range(0, len(rows), CHUNK):
        connection.execute(insert(model.__table__), rows[start:start + CHUNK])


class _Numbers:
    """Continues each day's counter so demo numbers never collide with real ones."""

    def __init__(self, session: Session, kind: str) -> None:
        self.session, self.kind = session, kind
        self.counters: dict[str, int] = defaultdict(int)

    def issue(self, received_at: datetime) -> str:
        day = received_at.astimezone(SHANGHAI).date()
        prefix = f"{self.kind}-{day:%Y%m%d}"
        if prefix not in self.counters:
            self.counters[prefix] = self.session.scalar(
                select(NumberSequence.last_value).where(NumberSequence.prefix == prefix)) or 0
        self.counters[prefix] += 1
        return format_number(self.kind, day, self.counters[prefix])

    def save(self) -> None:
        connection = self.session.connection()
        for prefix, value in self.counters.items():
            current = self.session.scalar(select(NumberSequence.last_value).where(NumberSequence.prefix == prefix))
            if current is None:
                connection.execute(insert(NumberSequence.__table__), {"prefix": prefix, "last_value": value})
            elif current < value:
                connection.execute(update(NumberSequence.__table__)
                                   .where(NumberSequence.prefix == prefix, NumberSequence.last_value < value)
                                   .values(last_value=value))


def _ensure_users(session: Session, password: str) -> tuple[int, dict[str, User]]:
    from kesu.cli import create_user

    departments = {d.name: d for d in session.scalars(select(Department))}
    created = 0
    for username, role, dept, limit, full_name in DEMO_USERS:
        if session.scalar(select(User.id).where(User.username == username)) is None:
            create_user(username, role, password, dept if dept in departments else None, Decimal(limit), full_name)
            created += 1
    session.flush()
    users = {u.username: u for u in session.scalars(select(User))}
    return created, users


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _phone(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def _customers(rng: random.Random, count: int, now: datetime) -> list[dict]:
    rows = []
    for i in range(count):
        company = rng.random() < 0.35
        contact = _person(rng)
        name = (rng.choice(CITIES)[:2] + rng.choice(COMPANY_WORDS) + rng.choice(COMPANY_KINDS)) if company else contact
        rows.append({
            "name": name + ("" if company else f"（{i + 1:05d}）" if count > 2000 else ""),
            "contact_person": contact,
            "phone": _phone(rng),
            "email": f"user{i + 1}@example.com" if rng.random() < 0.6 else None,
            "address": f"{rng.choice(CITIES)}{rng.choice(STREETS)}{rng.randint(1, 999)}号",
            "tier": rng.choices(("normal", "key", "vip"), weights=(80, 15, 5))[0],
            "created_at": now, "updated_at": now,
        })
    return rows


def _case_row(rng: random.Random, status: str, received_at: datetime, customer_id: int,
              category: Category, users: dict[str, User], departments: dict[str, Department],
              numbers: _Numbers, now: datetime) -> dict:
    product, model_no = rng.choice(PRODUCTS)
    problem = rng.choice(PROBLEMS.get(category.name, PROBLEMS["其他"]))
    channel = rng.choice(CHANNEL.keys)
    off_path = CASE_PATH.index("closed") if status == "reopened" else 0  # reopened after closing; rejected at once
    reached = CASE_PATH.index(status) if status in CASE_PATH else off_path
    handler_name = rng.choice(("zhiliang", "shengchan", "wuliu", "xiaoshou"))
    handler = users.get(handler_name)
    row = {
        "case_no": numbers.issue(received_at), "version": 1, "status": status, "received_at": received_at,
        "channel": channel, "market": "export" if rng.random() < 0.15 else "domestic",
        "customer_id": customer_id, "category_id": category.id,
        "severity": rng.choices(SEVERITY.keys, weights=(30, 50, 15, 5))[0], "is_batch": rng.random() < 0.05,
        "title": f"{product}{problem}"[:200], "product": product, "model_no": model_no,
        "part_no": f"P{rng.randint(10000, 99999)}", "lot_no": f"L{received_at:%y%m}{rng.randint(100, 999)}",
        "quantity": rng.randint(1, 50), "defect_rate": Decimal(rng.randint(0, 800)) / 100,
        "description": f"客户反映：{product}（型号 {model_no}）{problem}。购买后第{rng.randint(1, 90)}天出现。",
        "customer_demand": rng.choice(DEMANDS), "escalation_level": 0,
        "first_response_due": received_at + timedelta(hours=24),
        "next_due_at": received_at + timedelta(hours=24), "created_at": received_at, "updated_at": received_at,
        "is_typical": False, "customer_confirmed": False,
        "created_by_id": users["kefu"].id if "kefu" in users else None,
    }
    if status == "rejected":
        row.update(is_valid=False, validity_reason="经核实，问题系客户使用不当所致，不属于质量问题。",
                   next_due_at=None, appeal_deadline=received_at + timedelta(days=32))
        return row
    if reached >= 1:
        row.update(is_valid=True, validity_reason="经初步核实，投诉属实。",
                   department_id=handler.department_id if handler else None, handler_id=handler.id if handler else None,
                   next_due_at=received_at + timedelta(days=rng.randint(1, 6)))
    if reached >= 2:
        row.update(containment="已隔离同批次库存，暂停发货。")
    if reached >= 3:
        row.update(root_cause=rng.choice(ROOT_CAUSES), corrective_action="更换供应商批次并对在库产品全检。",
                   preventive_action="修订来料检验标准，增加抽检比例。",
                   resolution_type=rng.choice(("refund", "replacement", "repair", "discount", "compensation")),
                   resolution_detail="按公司三包政策处理。",
                   proposed_amount=Decimal(rng.randint(100, 60000)))
    if reached >= 6:  # agreed by phone, then signed while the solution is carried out
        row.update(customer_agreed_at=received_at + timedelta(days=4))
    if reached >= 7:
        row.update(customer_confirmed=True, customer_confirmed_on=(received_at + timedelta(days=5)).date())
    if reached >= 9:
        closed = received_at + timedelta(days=rng.randint(5, 25))
        row.update(closed_at=min(closed, now), next_due_at=None, satisfaction=rng.choices((1, 2, 3, 4, 5),
                   weights=(3, 5, 15, 40, 37))[0], feedback="客户对处理结果表示认可。",
                   is_typical=rng.random() < 0.03)
        if row["is_typical"]:
            row["lessons_learned"] = "同类问题应在受理当日安排质量部现场确认。"
    if reached >= 10:
        row["archived_at"] = min(row["closed_at"] + timedelta(days=7), now)
    if status == "reopened":
        row.update(next_due_at=now + timedelta(days=3), escalation_level=1)
    return row


def load_demo(session: Session, cases: int, seed: int, password: str) -> dict[str, int]:
    rng = random.Random(seed)
    now = utcnow().replace(microsecond=0)
    users_created, users = _ensure_users(session, password)
    departments = {d.name: d for d in session.scalars(select(Department))}
    categories = list(session.scalars(select(Category).order_by(Category.id)))
    if not categories:
        raise RuntimeError("请先运行 flask --app app kesu init")

    customer_ids = _insert_returning_ids(session, Customer, _customers(rng, max(20, cases // 5), now))

    numbers = _Numbers(session, "KS")
    statuses = list(CASE_WEIGHTS)
    weights = list(CASE_WEIGHTS.values())
    arrivals = []
    for i in range(cases):
        status = statuses[i] if i < len(statuses) else rng.choices(statuses, weights=weights)[0]
        recent = status in ("registered", "accepted", "investigating")
        age = timedelta(minutes=rng.randint(0, (10 if recent else 365) * 24 * 60))
        arrivals.append((now - age, status, categories[i % len(categories)]))
    arrivals.sort(key=lambda arrival: arrival[0])  # numbers are issued in order of arrival, as at the desk
    case_rows = [_case_row(rng, status, received_at, rng.choice(customer_ids), category, users, departments,
                           numbers, now)
                 for received_at, status, category in arrivals]
    case_ids = _insert_returning_ids(session, Case, case_rows)
    numbers.save()

    staff_ids = [users[name].id for name in ("kefu", "kefu2") if name in users]
    logs = []
    for case_id, row in zip(case_ids, case_rows):
        for n in range(rng.randint(1, 3)):
            logs.append({
                "case_id": case_id, "contacted_at": min(row["received_at"] + timedelta(hours=2 + 20 * n), now),
                "channel": row["channel"] if n == 0 else "phone", "direction": "inbound" if n == 0 else "outbound",
                "staff_id": rng.choice(staff_ids) if staff_ids else None,
                "content": CONTACT_CONTENTS[0] if n == 0 else rng.choice(CONTACT_CONTENTS),
                "outcome": "客户已知悉", "created_at": now, "updated_at": now,
            })
    _insert(session, ContactLog, logs)

    holds = []
    for case_id, row in zip(case_ids, case_rows):
        if row.get("containment") and rng.random() < 0.4:
            for location in rng.sample(("in_stock", "in_transit", "in_process", "at_customer"), rng.randint(1, 3)):
                quantity = rng.randint(10, 500)
                on_hold = location != "at_customer"
                holds.append({"case_id": case_id, "location": location, "quantity": quantity,
                              "held_quantity": quantity if on_hold else 0, "on_hold": on_hold,
                              "note": f"批号 {row['lot_no']}", "created_at": now, "updated_at": now})
    _insert(session, GoodsHold, holds)

    claim_numbers = _Numbers(session, "SP")
    claim_rows, claim_items, claim_meta = [], [], []
    for case_id, row in zip(case_ids, case_rows):
        if row["status"] == "rejected" or rng.random() > 0.15:
            continue
        items = [(rng.choice(("产品货款", "上门检测费", "运输费", "误工损失", "配件费用")), Decimal(rng.randint(1, 10)),
                  Decimal(rng.randint(50, 5000))) for _ in range(rng.randint(1, 3))]
        claimed = sum((q * p for _, q, p in items), Decimal("0"))
        status = _claim_status_for(rng, row["status"])
        stage = CLAIM_STATUS.keys.index(status)
        # the verified loss is the sum of the items' verified amounts (each 90 % of its claimed amount)
        verified = sum((_verified(q, p) for _, q, p in items), Decimal("0")) if stage >= 3 else None
        approved = verified if status not in ("submitted", "preliminary_review", "investigating", "assessed",
                                              "pending_approval", "rejected") else None
        claim_rows.append({
            "claim_no": claim_numbers.issue(row["received_at"]), "version": 1, "case_id": case_id,
            "status": status, "submitted_at": row["received_at"] + timedelta(hours=3), "claimed_amount": claimed,
            "reason": f"{row['title']}，要求赔偿相关损失。", "verified_loss": verified,
            "compensation_form": rng.choice(("refund", "replacement", "repair", "discount", "cash")),
            "proposed_amount": verified, "approved_amount": approved,
            "created_at": row["received_at"], "updated_at": row["received_at"],
            **_agreed_plan(rng, status, approved),
        })
        claim_items.append((items, stage))
        claim_meta.append((status, approved, row["received_at"], claim_rows[-1]["agreed_payment_method"]))
    claim_ids = _insert_returning_ids(session, Claim, claim_rows)
    claim_numbers.save()

    loss_rows, approval_rows, payment_rows = [], [], []
    approver = users.get("jingli")
    payer = users.get("caiwu")
    for claim_id, (items, stage), (status, approved, received_at, method) in zip(claim_ids, claim_items, claim_meta):
        for description, qty, price in items:  # verified once the investigation has started
            loss_rows.append({"claim_id": claim_id, "description": description, "quantity": qty, "unit_price": price,
                              "verified_amount": _verified(qty, price) if stage >= 2 else None,
                              "created_at": now, "updated_at": now})
        if approved is not None and approver is not None:
            approval_rows.append({"claim_id": claim_id, "user_id": approver.id, "role": "approver",
                                  "kind": "approval", "decision": "approve", "amount": approved,
                                  "comment": "同意按核定金额赔付。", "decided_at": received_at + timedelta(days=4),
                                  "created_at": now, "updated_at": now})
        if status in ("paid", "closed") and approved and payer is not None:
            payment_rows.append({"claim_id": claim_id, "method": method,
                                 "amount": approved, "paid_at": received_at + timedelta(days=6),
                                 "paid_on": to_local(received_at + timedelta(days=6)).date(),
                                 "voucher_no": f"PZ{received_at:%Y%m}{claim_id:06d}", "recorded_by_id": payer.id,
                                 "created_at": now, "updated_at": now})
    _insert(session, LossItem, loss_rows)
    _insert(session, Approval, approval_rows)
    _insert(session, Payment, payment_rows)

    accountability_rows = []
    decider = users.get("jingli")
    for case_id, row in zip(case_ids, case_rows):
        if row["status"] in ("closed", "archived") and rng.random() < 0.05:
            person = users.get(rng.choice(("zhiliang", "shengchan", "wuliu", "xiaoshou")))
            measure = rng.choice(("verbal_warning", "written_warning", "position_change", "fine"))
            accountability_rows.append({
                "version": 1, "case_id": case_id, "status": rng.choice(("proposed", "approved", "notified",
                                                                          "executed")),
                "person_id": person.id if person else None,
                "department_id": row.get("department_id") or departments["质量管理部"].id,
                "cause": rng.choice(("misoperation", "policy_not_followed", "other")),
                "facts": f"{row['case_no']}：{row.get('root_cause') or '内部原因'}。",
                "measure": measure, "fine_amount": Decimal(500) if measure == "fine" else None,
                "improvement": "组织部门内部培训，修订作业指导书。",
                "decided_by_id": decider.id if decider else None, "decided_at": row.get("closed_at"),
                "proposed_by_id": decider.id if decider else None,
                "created_at": now, "updated_at": now,
            })
    _insert(session, Accountability, accountability_rows)

    session.add(Setting(key=DEMO_MARKER, value=now.isoformat(), description="演示数据加载时间"))
    counts = {"users": users_created, "customers": len(customer_ids), "cases": len(case_ids),
              "contact_logs": len(logs), "goods_holds": len(holds), "claims": len(claim_ids), "loss_items": len(loss_rows),
              "approvals": len(approval_rows), "payments": len(payment_rows),
              "accountability": len(accountability_rows)}
    record_event(session, "insert", record_type="demo", comment="演示数据：" + str(counts))
    return counts


def _verified(quantity: Decimal, price: Decimal) -> Decimal:
    return (quantity * price * Decimal("0.9")).quantize(Decimal("0.01"))


def _agreed_plan(rng: random.Random, status: str, approved: Decimal | None) -> dict:
    """The payment plan the customer agreed to, on claims past their confirmation; large sums in two parts."""
    if status not in ("customer_confirmed", "paid", "closed"):
        return {"agreed_payment_method": None, "instalments": None, "payment_plan": None}
    method = rng.choice(("bank_transfer", "e_payment", "cash"))
    if approved is None or approved < 20000 or status != "customer_confirmed":
        return {"agreed_payment_method": method, "instalments": 1, "payment_plan": None}
    first = (approved / 2).quantize(Decimal("0.01"))
    return {"agreed_payment_method": method, "instalments": 2,
            "payment_plan": f"第一期：协议签订后 7 日内支付 ¥{first:,.2f}；第二期：30 日内支付 ¥{approved - first:,.2f}。"}


def _claim_status_for(rng: random.Random, case_status: str) -> str:
    """A claim's state consistent with its case: paid or closed once the case is past implementation."""
    if case_status in ("closed", "archived", "follow_up"):
        return rng.choice(("paid", "closed"))
    if case_status in ("customer_confirmed", "implementing"):
        return rng.choice(("approved", "customer_confirmed"))
    if case_status in ("approved", "customer_notified"):
        return rng.choice(("pending_approval", "approved"))
    if case_status == "solution_proposed":
        return rng.choice(("assessed", "pending_approval"))
    if case_status == "investigating":
        return rng.choice(("preliminary_review", "investigating"))
    return rng.choice(("submitted", "rejected")) if case_status == "reopened" else "submitted"

