"""The customer's agreement (by phone, in person…) and their signed confirmation 客户签字确认 are two steps: only the
signature, with the date it was given, lets a case close without a written reason."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine

from kesu.extensions import db
from kesu.models import Case
from kesu.timeutil import local_to_utc, local_today
from kesu.workflow import WorkflowError, allowed_actions, perform
from tests.factories import make_case, user


def agreed(channel: str = "phone", words: str = "同意换新，下周送货即可") -> Case:
    """A case whose solution the customer has just agreed to."""
    case = make_case(status="customer_notified")
    perform(case, "customer_agree", user("clerk"), channel=channel, opinion=words)
    db.session.commit()
    return case


def in_follow_up(case: Case) -> Case:
    perform(case, "implement", user("clerk"))
    perform(case, "follow_up", user("clerk"), content="新机运行正常")
    db.session.commit()
    return case


def test_agreement_is_recorded_with_its_channel_words_and_time_but_is_no_signed_confirmation(people_ctx):
    with time_machine.travel(local_to_utc(datetime(2026, 11, 23, 14, 5)), tick=False):
        case = agreed(channel="on_site", words="同意换新，下周送货即可")
    assert case.status == "customer_confirmed"
    assert case.customer_agreed_at == local_to_utc(datetime(2026, 11, 23, 14, 5))
    assert case.customer_confirmed is False and case.customer_confirmed_on is None
    log = case.contact_logs[0]
    assert (log.channel, log.opinion, log.content) == ("on_site", "agree", "同意换新，下周送货即可")
    assert log.contacted_at == case.customer_agreed_at


def test_agreement_needs_the_channel_it_came_through(people_ctx):
    case = make_case(status="customer_notified")
    with pytest.raises(WorkflowError, match="请填写渠道"):
        perform(case, "customer_agree", user("clerk"), opinion="同意")


def test_a_case_agreed_by_phone_only_does_not_close_without_a_reason(people_ctx):
    case = in_follow_up(agreed())
    with pytest.raises(WorkflowError, match="客户尚未签字确认处理结果，结案须写明理由"):
        perform(case, "close", user("clerk"), satisfaction=4, feedback="满意")


def test_a_signed_confirmation_with_its_date_lets_the_case_close_without_a_reason(people_ctx):
    case = in_follow_up(agreed())
    signed_on = local_today()
    assert perform(case, "confirm_signed", user("clerk"), signed_on=signed_on) == "follow_up"
    assert case.customer_confirmed is True and case.customer_confirmed_on == signed_on
    assert perform(case, "close", user("clerk"), satisfaction=5, feedback="满意") == "closed"


def test_the_signature_is_offered_once_the_customer_agreed_until_the_case_closes(people_ctx):
    case = make_case(status="customer_notified")
    for status, offered in (("customer_notified", False), ("customer_confirmed", True), ("implementing", True),
                            ("follow_up", True), ("closed", False)):
        case.status = status
        assert ("confirm_signed" in {t.key for t in allowed_actions(case, user("clerk"))}) is offered, status


def test_the_signature_date_is_neither_in_the_future_nor_before_the_agreement(people_ctx):
    with time_machine.travel(local_to_utc(datetime(2026, 11, 23, 10, 0)), tick=False):
        case = agreed()
    with time_machine.travel(local_to_utc(datetime(2026, 11, 25, 10, 0)), tick=False):
        with pytest.raises(WorkflowError, match="签字日期不能晚于今天"):
            perform(case, "confirm_signed", user("clerk"), signed_on=local_today() + timedelta(days=1))
        with pytest.raises(WorkflowError, match="签字日期不能早于客户同意处理方案的日期（2026-11-23）"):
            perform(case, "confirm_signed", user("clerk"), signed_on=local_today() - timedelta(days=3))
        perform(case, "confirm_signed", user("clerk"), signed_on=local_today() - timedelta(days=2))
    assert case.customer_confirmed_on.isoformat() == "2026-11-23"


def test_a_signed_case_is_not_signed_again(people_ctx):
    case = agreed()
    perform(case, "confirm_signed", user("clerk"), signed_on=local_today())
    with pytest.raises(WorkflowError, match="客户已于 .* 签字确认"):
        perform(case, "confirm_signed", user("clerk"), signed_on=local_today())


def test_an_appeal_reopens_the_agreement_and_the_signature_with_the_decision(people_ctx):
    case = in_follow_up(agreed())
    perform(case, "confirm_signed", user("clerk"), signed_on=local_today())
    perform(case, "close", user("clerk"), satisfaction=2, feedback="不满意")
    perform(case, "appeal", user("clerk"), reason="新机仍有故障")
    assert case.customer_agreed_at is None and case.customer_confirmed is False and case.customer_confirmed_on is None


def test_the_clerk_records_agreement_then_signature_through_the_panel(app, staff, login_as):
    with app.app_context():
        case = make_case(status="customer_notified")
        case_id, version = case.id, case.version
    clerk = login_as("clerk")
    dialog = clerk.get(f"/admin/case/workflow/customer_agree/?id={case_id}").get_data(as_text=True)
    assert 'name="channel"' in dialog and "客户表达意见的渠道" in dialog and "客户的原话或书面意见" in dialog
    clerk.post_form(f"/admin/case/workflow/customer_agree/?id={case_id}",
                    {"version": str(version), "channel": "phone", "opinion": "电话中同意换新"})
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert case.status == "customer_confirmed" and not case.customer_confirmed
        version = case.version
    page = clerk.get(f"/admin/case/details/?id={case_id}").get_data(as_text=True)
    assert 'data-target="#wf-confirm_signed"' in page and 'type="date"' in page and "客户签字日期" in page
    clerk.post_form(f"/admin/case/workflow/confirm_signed/?id={case_id}",
                    {"version": str(version), "signed_on": local_today().isoformat()})
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert case.customer_confirmed and case.customer_confirmed_on == local_today()
        assert case.status == "customer_confirmed"
