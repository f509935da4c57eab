"""Every fixed vocabulary of the product: the short key stored in the database beside its Chinese label.

Labels are Chinese msgids wrapped in ``lazy_gettext``; the English catalogue translates them.
"""
from __future__ import annotations

from collections.abc import Iterator

from flask import g, has_app_context
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l


class Choices:
    """An ordered set of ``key → label`` pairs, stored by key, shown by label."""

    def __init__(self, *pairs: tuple[str, object]) -> None:
        self._labels = dict(pairs)

    def __iter__(self) -> Iterator[str]:
        return iter(self._labels)

    def __contains__(self, key: object) -> bool:
        return key in self._labels

    @property
    def keys(self) -> list[str]:
        return list(self._labels)

    def label(self, key: str | None) -> str:
        """The label in the current language. A list shows one per row and column, so the labels are
        translated once a request and language, not once a cell."""
        if key is None:
            return ""
        if not has_app_context():
            return str(self._labels.get(key, key))
        translated = g.setdefault("kesu_choice_labels", {})
        labels = translated.get((id(self), get_locale()))
        if labels is None:
            labels = translated[id(self), get_locale()] = {k: str(label) for k, label in self._labels.items()}
        return labels.get(key, key)

    def lazy_label(self, key: str) -> object:
        """The label as declared (a lazy string, translated where it is shown)."""
        return self._labels[key]

    def pairs(self) -> list[tuple[str, object]]:
        """``[(key, label)]`` for WTForms ``choices`` and Flask-Admin ``column_choices``."""
        return list(self._labels.items())

    def check_sql(self, column: str) -> str:
        """A CHECK constraint body so the database refuses keys outside the set."""
        keys = ", ".join(f"'{key}'" for key in self._labels)
        return f"{column} IN ({keys})"


ROLE = Choices(
    ("admin", _l("系统管理员")),
    ("clerk", _l("客服专员")),
    ("handler", _l("责任部门处理人")),
    ("approver", _l("主管")),
    ("finance", _l("财务")),
    ("auditor", _l("审计")),
)

CUSTOMER_TIER = Choices(("normal", _l("普通")), ("key", _l("重点")), ("vip", _l("VIP")))

#: Complaints forwarded by the market regulator (12315 / 12378): they run the regulator's clock.
REGULATOR_CHANNEL = "regulator"

CHANNEL = Choices(
    ("phone", _l("电话")),
    ("email", _l("邮件")),
    ("web_form", _l("在线表单")),
    ("online_chat", _l("在线客服")),
    ("social_media", _l("社交媒体")),
    ("letter", _l("信函")),
    ("on_site", _l("现场")),
    ("third_party", _l("第三方平台")),
    (REGULATOR_CHANNEL, _l("监管转办")),
)

SEVERITY = Choices(
    ("minor", _l("轻微")),
    ("general", _l("一般")),
    ("major", _l("重大")),
    ("critical", _l("特别重大")),
)

MARKET = Choices(("domestic", _l("内销")), ("export", _l("外销")))

CASE_STATUS = Choices(
    ("registered", _l("已登记")),
    ("accepted", _l("已受理")),
    ("investigating", _l("调查中")),
    ("solution_proposed", _l("方案已拟定")),
    ("approved", _l("已审批")),
    ("customer_notified", _l("已通知客户")),
    ("customer_confirmed", _l("客户已确认")),
    ("implementing", _l("执行中")),
    ("follow_up", _l("回访中")),
    ("closed", _l("已结案")),
    ("archived", _l("已归档")),
    ("rejected", _l("不予受理")),
    ("reopened", _l("已重开")),
)

RESOLUTION_TYPE = Choices(
    ("refund", _l("退款")),
    ("replacement", _l("换货")),
    ("repair", _l("维修")),
    ("discount", _l("折扣")),
    ("compensation", _l("赔偿")),
    ("apology", _l("书面道歉")),
    ("other", _l("其他")),
)

HOLD_LOCATION = Choices(
    ("in_stock", _l("库存")),
    ("in_transit", _l("在途")),
    ("in_process", _l("在制")),
    ("at_customer", _l("客户处")),
)

CONTACT_DIRECTION = Choices(("inbound", _l("客户来电/来访")), ("outbound", _l("我方联系客户")))

CUSTOMER_OPINION = Choices(("agree", _l("同意")), ("disagree", _l("不同意")))

CLAIM_STATUS = Choices(
    ("submitted", _l("已提交")),
    ("preliminary_review", _l("初审")),
    ("investigating", _l("调查核实")),
    ("assessed", _l("已核定")),
    ("pending_approval", _l("待审批")),
    ("approved", _l("已批准")),
    ("rejected", _l("已驳回")),
    ("customer_confirmed", _l("客户已确认")),
    ("paid", _l("已支付")),
    ("closed", _l("已结案")),
)

COMPENSATION_FORM = Choices(
    ("refund", _l("退款")),
    ("replacement", _l("换货")),
    ("repair", _l("维修")),
    ("discount", _l("折扣")),
    ("cash", _l("现金赔偿")),
)

APPROVAL_KIND = Choices(
    ("approval", _l("审批")),
    ("legal_review", _l("法务会签")),
    ("finance_review", _l("财务会签")),
)

APPROVAL_DECISION = Choices(
    ("approve", _l("同意")),
    ("reject", _l("驳回")),
    ("escalate", _l("超出额度，上报")),
)

PAYMENT_METHOD = Choices(("cash", _l("现金")), ("bank_transfer", _l("银行转账")), ("e_payment", _l("电子支付")))

ACCOUNTABILITY_STATUS = Choices(
    ("proposed", _l("拟定")),
    ("approved", _l("已批准")),
    ("notified", _l("已告知")),
    ("appealed", _l("申诉中")),
    ("executed", _l("已执行")),
    ("revoked", _l("已撤销")),
)

#: What an appeal against an accountability decision came to (申诉处理结果).
APPEAL_OUTCOME = Choices(
    ("upheld", _l("维持原决定")),
    ("changed", _l("变更处理措施")),
    ("revoked", _l("撤销原决定")),
)

ACCOUNTABILITY_CAUSE = Choices(
    ("misoperation", _l("操作不当")),
    ("policy_not_followed", _l("制度执行不力")),
    ("other", _l("其他")),
)

ACCOUNTABILITY_MEASURE = Choices(
    ("verbal_warning", _l("口头警告")),
    ("written_warning", _l("书面警告")),
    ("position_change", _l("岗位调整")),
    ("disciplinary_action", _l("纪律处分")),
    ("fine", _l("经济处罚")),
)

DEPARTMENT_KIND = Choices(
    ("customer_service", _l("客户服务")),
    ("business", _l("业务部门")),
    ("quality", _l("质量")),
    ("legal", _l("法务")),
    ("finance", _l("财务")),
    ("management", _l("管理层")),
)

SLA_CLOCK = Choices(
    ("first_response", _l("首次响应")),
    ("containment", _l("8D 临时措施与初步原因")),
    ("interim_report", _l("8D 中期报告")),
    ("final_report", _l("8D 最终报告")),
    ("internal_check", _l("内部质量核查")),
    ("department_reply", _l("责任部门回复")),
    ("claim_review", _l("索赔初审")),
    ("claim_investigation", _l("索赔调查核实")),
    ("regulator_case", _l("监管转办答复")),
)

SLA_UNIT = Choices(("hours", _l("小时")), ("working_days", _l("工作日")), ("calendar_days", _l("自然日")))

DOCUMENT_TYPE = Choices(
    ("acknowledgement", _l("投诉受理回执")),
    ("investigation_report", _l("调查报告")),
    ("settlement_agreement", _l("赔偿和解协议")),
    ("result_notice", _l("处理结果通知书")),
    ("transfer_slip", _l("客诉传递单")),
    ("accountability_decision", _l("责任追究决定书")),
)

AUDIT_ACTION = Choices(
    ("insert", _l("新增")),
    ("update", _l("修改")),
    ("delete", _l("删除")),
    ("login", _l("登录")),
    ("login_failed", _l("登录失败")),
    ("login_locked", _l("登录锁定")),
    ("logout", _l("退出")),
    ("view_personal_info", _l("查看个人信息")),
    ("transition", _l("流程操作")),
    ("document", _l("生成文书")),
    ("export", _l("导出")),
    ("export_done", _l("导出结束")),
    ("verify_chain", _l("核验哈希链")),
    ("job", _l("后台任务")),
)

JOB_KIND = Choices(
    ("document_zip", _l("批量生成文书")),
    ("export", _l("导出")),
    ("sla_check", _l("时限检查")),
)

JOB_STATUS = Choices(("queued", _l("排队中")), ("running", _l("进行中")), ("done", _l("已完成")), ("failed", _l("失败")))

#: The tables an audit event or a generated document names, by the menu names of their lists.
RECORD_TYPE = Choices(
    ("case", _l("投诉案件")),
    ("contact_log", _l("沟通记录")),
    ("goods_hold", _l("受影响货物")),
    ("attachment", _l("证据附件")),
    ("customer", _l("客户")),
    ("claim", _l("索赔")),
    ("loss_item", _l("损失明细")),
    ("approval", _l("审批记录")),
    ("payment", _l("支付记录")),
    ("accountability", _l("责任追究")),
    ("document_template", _l("文书模板")),
    ("generated_document", _l("文书登记")),
    ("department", _l("部门")),
    ("user", _l("用户")),
    ("category", _l("投诉类别")),
    ("sla_rule", _l("时限规则")),
    ("holiday", _l("节假日")),
    ("setting", _l("系统设置")),
    ("audit_event", _l("审计日志")),
    ("saved_filter", _l("已保存的筛选")),
    ("job", _l("后台任务")),
    ("demo", _l("演示数据")),
)
