"""Default reference data loaded by ``flask kesu init``; each row is added only if missing."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.documents.templates import seed_default_templates
from kesu.models import Category, Department, Setting, SlaRule
from kesu.settings import SETTINGS
from kesu.sla import seed_holidays

DEPARTMENTS = (
    ("客户服务部", "CS", "customer_service"),
    ("质量管理部", "QA", "quality"),
    ("生产部", "PRD", "business"),
    ("物流部", "LOG", "business"),
    ("销售部", "SAL", "business"),
    ("法务部", "LEG", "legal"),
    ("财务部", "FIN", "finance"),
    ("总经理办公室", "GM", "management"),
)

CATEGORIES = ("服务质量", "产品质量", "价格争议", "促销活动", "物流配送", "其他")

# (clock, tier, market, amount, unit, description) — defaults from DESIGN.md "Time limits".
SLA_RULES = (
    ("first_response", None, None, 24, "hours", "首次响应客户：24 小时（000 §2）"),
    ("first_response", "vip", None, 4, "hours", "VIP 绿色通道：4 小时"),
    ("first_response", None, "export", 8, "hours", "外销客户：8 小时（003）"),
    ("containment", None, None, 4, "hours", "8D 临时措施与初步原因：4 小时（003 篇三）"),
    ("interim_report", None, None, 8, "hours", "8D 中期报告：8 小时"),
    ("final_report", None, None, 48, "hours", "8D 最终报告：48 小时"),
    ("internal_check", None, None, 8, "hours", "投诉内部质量核查：8 小时（003 §4.1）"),
    ("department_reply", None, None, 3, "working_days", "责任部门回复：3 个工作日（004）"),
    ("claim_review", None, None, 2, "working_days", "索赔初审：2 个工作日（000 §4.2）"),
    ("claim_investigation", None, None, 3, "working_days", "索赔调查核实：3 个工作日（000 §4.2）"),
    ("regulator_case", None, None, 10, "working_days", "监管转办（12315 平台）：企业 10 个工作日内答复，自收到投诉起算"),
)


def load_defaults(session: Session) -> dict[str, int]:
    """Add missing departments, categories, SLA rules, settings, holidays and the default document templates;
    return how many of each were added."""
    added = {"departments": 0, "categories": 0, "sla_rules": 0, "settings": 0, "holidays": 0, "templates": 0}
    existing = set(session.scalars(select(Department.name)))
    for name, code, kind in DEPARTMENTS:
        if name not in existing:
            session.add(Department(name=name, code=code, kind=kind))
            added["departments"] += 1
    existing = set(session.scalars(select(Category.name)))
    for order, name in enumerate(CATEGORIES):
        if name not in existing:
            session.add(Category(name=name, sort_order=order * 10))
            added["categories"] += 1
    existing = {(r.clock, r.tier, r.market) for r in session.scalars(select(SlaRule))}
    for clock, tier, market, amount, unit, description in SLA_RULES:
        if (clock, tier, market) not in existing:
            session.add(SlaRule(clock=clock, tier=tier, market=market, amount=amount, unit=unit,
                                description=description))
            added["sla_rules"] += 1
    existing = set(session.scalars(select(Setting.key)))
    for declared in SETTINGS:
        if declared.key not in existing:
            session.add(Setting(key=declared.key, value=declared.default_text, description=str(declared.description)))
            added["settings"] += 1
    added["holidays"] = seed_holidays(session)
    session.flush()
    added["templates"] = seed_default_templates(session)
    return added
