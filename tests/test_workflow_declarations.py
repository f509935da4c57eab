"""One declaration per machine: every stored status is declared, the declarations agree with the transitions, and
the dialogs, documents, clocks, inbox and edit forms read them."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import inspect

from kesu.choices import DOCUMENT_TYPE, ROLE, SLA_CLOCK
from kesu.extensions import db
from kesu.models import Accountability, Case, Claim
from kesu.permissions import ACCESS
from kesu.workflow import MACHINES
from kesu.workflow.core import FieldType
from kesu.workflow.statuses import STATUSES, Kind
from tests.factories import make_case, user

MODELS = {"case": Case, "claim": Claim, "accountability": Accountability}
TRANSITIONS = [pytest.param(machine, key, id=f"{machine.name}-{key}")
               for machine in MACHINES.values() for key in machine.transitions]
BOOTSTRAP_COLOURS = {"primary", "secondary", "success", "danger", "warning", "info", "light", "dark"}


# --- every stored status is declared --------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_status_the_database_allows_is_declared_and_no_other(ctx, name):
    model = MODELS[name]
    check = next(c for c in inspect(db.engine).get_check_constraints(model.__tablename__)
                 if c["name"] == f"ck_{model.__tablename__}_status")
    allowed = set(re.findall(r"'([^']*)'", check["sqltext"]))
    assert set(STATUSES[name].keys) == allowed


@pytest.mark.parametrize("name", sorted(MODELS))
def test_each_machine_reads_its_own_declaration(name):
    machine = MACHINES[MODELS[name]]
    assert machine.states is STATUSES[name]
    assert machine.statuses.keys == list(STATUSES[name].keys)


def test_a_status_labelled_in_the_choices_is_labelled_the_same_in_the_declaration(app):
    with app.test_request_context():
        for statuses in STATUSES.values():
            for status in statuses:
                assert str(status.label) == statuses.choices.label(status.key) != status.key


# --- the declarations agree with the transitions ----------------------------------------------------------
@pytest.mark.parametrize("machine,key", TRANSITIONS)
def test_every_transition_starts_and_ends_in_declared_statuses(machine, key):
    transition = machine.transitions[key]
    assert transition.sources and transition.sources <= set(machine.states.keys)
    assert transition.targets <= set(machine.states.keys)


@pytest.mark.parametrize("machine,key", TRANSITIONS)
def test_only_a_declared_reopen_path_leads_from_a_decided_status_back_to_open_work(machine, key):
    transition = machine.transitions[key]
    leaves_decided = any(not machine.states[s].is_open for s in transition.sources)
    enters_open = any(machine.states[target].is_open for target in transition.targets)
    assert transition.reopens == (leaves_decided and enters_open)


@pytest.mark.parametrize("machine", MACHINES.values(), ids=lambda m: m.name)
def test_a_final_status_has_no_way_out(machine):
    for status in machine.states.of_kind(Kind.FINAL):
        assert [t.key for t in machine.transitions.values() if status in t.sources] == []


@pytest.mark.parametrize("machine", MACHINES.values(), ids=lambda m: m.name)
def test_a_closed_status_leads_only_to_a_record_keeping_step_or_a_reopen_path(machine):
    for status in machine.states.of_kind(Kind.CLOSED):
        for transition in (t for t in machine.transitions.values() if status in t.sources):
            assert transition.reopens or not any(machine.states[t].is_open for t in transition.targets), transition.key


@pytest.mark.parametrize("machine", MACHINES.values(), ids=lambda m: m.name)
def test_every_status_is_reached_from_the_first_and_the_path_ends_final(machine):
    reached, frontier = set(), [machine.states.initial]
    while frontier:
        status = frontier.pop()
        reached.add(status)
        frontier += [target for t in machine.transitions.values() if status in t.sources
                     for target in t.targets if target not in reached]
    assert reached == set(machine.states.keys)
    assert machine.states[machine.states.path[-1]].kind is Kind.FINAL
    assert machine.states.path[0] == machine.states.initial


@pytest.mark.parametrize("name", sorted(MODELS))
def test_each_status_declares_known_clocks_documents_colours_and_words_for_customers(app, name):
    statuses = STATUSES[name]
    document_models = {key: t.model for key, t in _document_types().items()}
    with app.test_request_context():
        for status in statuses:
            assert {rule.clock for rule in status.clocks} <= set(SLA_CLOCK), status.key
            assert all(document_models[doc] is MODELS[name] for doc in status.documents), status.key
            assert status.colour in BOOTSTRAP_COLOURS or re.fullmatch(r"#[0-9a-f]{6}", status.colour)
            assert len(str(status.description)) > 4 and re.search(r"[\u4e00-\u9fff]", str(status.description))


@pytest.mark.parametrize("name", sorted(MODELS))
def test_only_roles_that_may_edit_the_record_are_declared_as_editing_a_group(name):
    editors = ACCESS[MODELS[name]].edit
    for status in STATUSES[name]:
        for group, roles in status.editable.items():
            assert roles <= editors <= set(ROLE), (status.key, group)


def test_every_field_of_an_edit_form_belongs_to_one_group_of_its_declaration():
    from kesu.admin.accountability import AccountabilityView
    from kesu.admin.cases import CaseView
    from kesu.admin.claims import ClaimView

    for view, name in ((CaseView, "case"), (ClaimView, "claim"), (AccountabilityView, "accountability")):
        fields = STATUSES[name].form_fields
        assert len(fields) == len(set(fields)) and tuple(view.form_columns) == fields


def test_every_clock_is_started_by_some_status():
    """The 8D reports run on from the containment while investigating, the regulator's limit in the statuses until
    the customer is answered: every clock with a rule is a declaration's."""
    started = {rule.clock for statuses in STATUSES.values() for status in statuses for rule in status.clocks}
    assert started == set(SLA_CLOCK)


# --- the dialogs are made from the transitions' fields -----------------------------------------------------
@pytest.mark.parametrize("machine,key", TRANSITIONS)
def test_each_dialog_asks_for_the_fields_its_transition_declares(app, machine, key):
    from forms.workflow import action_form_class

    transition = machine.transitions[key]
    with app.test_request_context():
        form = action_form_class(machine.name, key)(formdata=None)
        asked = [f for f in form if f.name not in ("version", "csrf_token")]
        assert [f.name for f in asked] == [f.name for f in transition.fields]
        for declared, field in zip(transition.fields, asked):
            assert str(field.label.text) == str(declared.label)
            assert bool(field.flags.required) == declared.asked_as_required, declared.name
            if declared.type is FieldType.CHOICE:  # an optional choice starts unchosen
                blank = [] if declared.asked_as_required else [""]
                assert [k for k, _label in field.choices] == blank + declared.choices.keys


@pytest.mark.parametrize("machine,key", TRANSITIONS)
def test_what_perform_requires_the_dialog_asks_as_required(machine, key):
    transition = machine.transitions[key]
    assert set(transition.required) <= {f.name for f in transition.fields if f.asked_as_required}
    for field in transition.fields:
        assert (field.choices is not None) == (field.type is FieldType.CHOICE)
        assert (field.role is not None) == (field.type is FieldType.USER)


@pytest.mark.parametrize("machine,key", TRANSITIONS)
def test_a_user_field_depends_only_on_a_department_field_of_its_own_dialog(machine, key):
    fields = {f.name: f for f in machine.transitions[key].fields}
    for field in fields.values():
        if field.depends_on:
            assert field.type is FieldType.USER and fields[field.depends_on].type is FieldType.DEPARTMENT


@pytest.mark.parametrize("key", ["assign", "transfer"])
def test_the_case_dialogs_choosing_a_handler_narrow_it_to_the_chosen_department(key):
    handler = next(f for f in MACHINES[Case].transitions[key].fields if f.name == "handler")
    assert handler.depends_on == "department"


def test_a_field_added_to_a_transition_appears_in_its_dialog(app):
    from dataclasses import replace

    from forms.workflow import dialog_for
    from kesu.workflow.core import Field

    transition = MACHINES[Case].transitions["accept"]
    extra = Field("lot_checked", FieldType.BOOLEAN, "批次已核对")
    with app.test_request_context():
        form = dialog_for("case", replace(transition, fields=(*transition.fields, extra)))(formdata=None)
        assert [f.name for f in form if f.name not in ("version", "csrf_token")] == ["reason", "lot_checked"]


def test_the_assign_dialog_offers_the_departments_and_active_handlers(app, staff, login_as):
    with app.app_context():
        case_id = make_case().id
    clerk = login_as("clerk")
    clerk.post_form(f"/admin/case/workflow/accept/?id={case_id}", {"version": "1", "reason": "属实"})
    page = clerk.get(f"/admin/case/workflow/assign/?id={case_id}").get_data(as_text=True)
    assert 'name="department"' in page and 'name="handler"' in page and "处理人须属于所选责任部门" in page
    with app.app_context():
        for name in ("handler", "other_handler"):
            assert f'value="{user(name).id}"' in page


# --- the places that kept their own status sets read the declaration --------------------------------------
def _document_types():
    from kesu.documents.types import DOCUMENT_TYPES

    return DOCUMENT_TYPES


def test_a_document_applies_exactly_in_the_statuses_that_declare_it():
    types = _document_types()
    assert set(types) == set(DOCUMENT_TYPE)
    for key, document in types.items():
        machine = MACHINES[document.model]
        assert document.statuses == {s.key for s in machine.states if key in s.documents} != set()


@pytest.mark.parametrize("name", ["case", "claim"])
def test_entering_a_status_starts_the_clock_it_declares(people_ctx, name):
    from kesu.sla import clock_for
    from tests.factories import make_claim

    record = make_case(severity="general", is_batch=False)
    record = record if name == "case" else make_claim(record)
    for status in STATUSES[name]:
        record.status = status.key
        assert clock_for(record) == next((r.clock for r in status.clocks if r.when is None), None), status.key


def test_an_eight_d_case_starts_investigating_on_the_containment_clock(people_ctx):
    from kesu.sla import clock_for

    case = make_case()
    case.status, case.severity = "investigating", "critical"
    assert clock_for(case) == "containment"
    case.severity = "general"
    assert clock_for(case) == "department_reply"


def test_the_inbox_reads_whose_next_step_it_is_from_the_declaration(app, staff, login_as):
    with app.app_context():
        for status in STATUSES["case"].keys:
            make_case(None, title=f"状态{status}").status = status
        db.session.commit()
    clerk_steps = [t for t in MACHINES[Case].transitions.values() if t.is_next_step and "clerk" in t.roles]
    page = login_as("clerk").get("/admin/").get_data(as_text=True)
    listed = {status for status in STATUSES["case"].keys if f">状态{status}<" in page}
    assert listed == {status for step in clerk_steps for status in step.sources}
    assert "closed" in listed and "investigating" not in listed  # the clerk archives; the handler investigates


def test_the_demo_path_is_the_declared_main_path():
    from kesu.demo import CASE_PATH, CASE_WEIGHTS

    assert CASE_PATH == STATUSES["case"].path
    assert set(CASE_WEIGHTS) == set(STATUSES["case"].keys)


def test_a_clerk_edits_neither_department_nor_8d_fields_because_the_declaration_says_so(app, staff, login_as):
    with app.app_context():
        case_id = make_case().id
    from kesu.admin.cases import NEW_CUSTOMER_FIELDS  # the create form's only

    page = login_as("clerk").get(f"/admin/case/edit/?id={case_id}").get_data(as_text=True)
    for name in set(STATUSES["case"].group("registration").fields[1:]) - set(NEW_CUSTOMER_FIELDS):
        assert f'name="{name}"' in page or f'id="{name}"' in page, name
    for name in ("department", "root_cause", "corrective_action"):
        assert f'name="{name}"' not in page, name


def test_the_propose_dialog_insists_on_a_plan_description_though_perform_does_not(app, staff, login_as):
    transition = MACHINES[Case].transitions["propose"]
    assert "comment" not in transition.required
    with app.app_context():
        case = make_case(root_cause="来料不良", corrective_action="更换批次")
        case.status, case.handler_id = "investigating", user("handler").id
        db.session.commit()
        case_id, version = case.id, case.version
    page = login_as("handler").post_form(f"/admin/case/workflow/propose/?id={case_id}",
                                         {"version": str(version), "resolution_type": "repair", "comment": ""})
    assert "请填写方案说明。" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Case, case_id).status == "investigating"
