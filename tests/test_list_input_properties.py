"""Property: whatever arrives in a list's parameters — page, page size, sort, search, any filter and value, the
export of that list, a saved filter of it, the foreign-key lookups' query, limit and offset, the record ids of
the detail, edit and bulk-delete requests — no admin view answers with a server error, as admin.

The views, their filters and their lookups are read from the registered admin, so a new view is covered
without touching this file.
"""
from __future__ import annotations

from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from kesu.admin import VIEWS
from kesu.admin.filters_arguments import MAX_FILTERS
from kesu.extensions import db
from kesu.models import SavedFilter
from tests.factories import make_case, make_claim, make_contact_log, make_customer

ENDPOINTS = [model.__name__.lower() for _view, model, *_rest in VIEWS]
SETTINGS = settings(max_examples=10, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=30)
#: Beyond 32 and 64 bits, either sign: what broke paging, integer filters and ids before.
HUGE = st.sampled_from([2**63, 10**20, 10**30, -(2**63) - 1, 2**31, -(2**31) - 1])
NUMBERS = st.one_of(HUGE, st.integers()).map(str)
NOT_QUITE_NUMBERS = st.one_of(
    st.sampled_from(["NaN", "sNaN", "-Infinity", "Infinity", "1e999999", "1.5", "1,2,abc", "１２", "²", ""]),
    st.decimals(allow_nan=True, allow_infinity=True).map(str), st.floats().map(str))
DATES = st.one_of(
    st.sampled_from(["0001-01-01", "9999-12-31 23:59:59", "2026-02-30", "2026-01-01 to 2025-01-01"]),
    st.dates().map(str), st.datetimes().map(lambda moment: moment.strftime("%Y-%m-%d %H:%M:%S")))
TEXTS = st.one_of(TEXT, st.sampled_from(["%", "_", "\\", "/", "a\x00b", "\x00", "x " * 200, "长" * 300]))
VALUES = st.one_of(NUMBERS, NOT_QUITE_NUMBERS, DATES, TEXTS)
IDS = st.one_of(st.integers(min_value=1, max_value=5).map(str), VALUES)


def admin_view(app, endpoint: str):
    return next(view for view in app.extensions["admin"][0]._views if getattr(view, "endpoint", None) == endpoint)


@st.composite
def visits(draw, view) -> list[tuple[str, str, dict]]:
    """One example: a request for every parameter of ``view`` with a generated value. The list is asked with
    its own arguments and its filters, all of them, :data:`MAX_FILTERS` a request (more would be cut), plus
    unknown ones; the export and a saved filter with the same; a record page, an edit page and a bulk delete
    with generated ids; and each foreign-key lookup with a generated query, limit and offset."""
    base = f"/admin/{view.endpoint}"
    own = draw(st.fixed_dictionaries({name: VALUES for name in ("page", "page_size", "sort", "desc", "search")}))
    keys = list(view._filter_args or {})
    values = draw(st.lists(VALUES, min_size=len(keys), max_size=len(keys)))
    unknown = draw(st.dictionaries(st.builds("flt{}_{}".format, st.one_of(st.integers(0, 99), TEXT), TEXT),
                                   VALUES, max_size=2))
    chunks = [dict(unknown)] + [{f"flt{position}_{key}": value for position, (key, value)
                                 in enumerate(list(zip(keys, values))[start:start + MAX_FILTERS])}
                                for start in range(0, len(keys), MAX_FILTERS)]
    export = draw(st.sampled_from(["csv", "xlsx"]))
    visited = [("GET", f"{base}/", {**own, **chunk}) for chunk in chunks]
    visited += [("GET", f"{base}/export/{export}/", {**own, **chunks[-1]}),
                ("SAVE", f"{base}/saved-filters/", {**own, **chunks[-1]}),
                ("GET", f"{base}/details/", {"id": draw(IDS)}), ("GET", f"{base}/edit/", {"id": draw(IDS)}),
                ("POST", f"{base}/action/", {"action": "delete", "rowid": draw(st.lists(IDS, max_size=4))})]
    for name in [*(view._form_ajax_refs or {}), draw(TEXT)]:
        lookup = draw(st.fixed_dictionaries({"name": st.just(name), "query": VALUES},
                                            optional={"limit": VALUES, "offset": VALUES}))
        visited.append(("GET", f"{base}/ajax/lookup/", lookup))
    return visited


@pytest.fixture
def admin(app, staff, login_as):
    """Admin, with a case, its customer, a contact log and a claim to list, look up and filter."""
    with app.app_context():
        case = make_case(customer=make_customer("王芳", "13900002222"))
        make_contact_log(case)
        make_claim(case)
    return login_as("admin")


def send(app, client, method: str, path: str, arguments: dict):
    if method == "GET":
        return client.get(path, query_string=arguments)
    if method == "POST":
        return client.post_form(path, arguments)
    response = client.post_form(path, {"name": "性质测试", "query": urlencode(arguments)})
    with app.app_context():
        saved = db.session.scalar(select(SavedFilter.id).where(SavedFilter.list_endpoint == path.split("/")[2]))
    return client.get(f"{path}{saved}/", follow_redirects=True) if saved else response


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@SETTINGS
@given(data=st.data())
def test_no_list_parameter_gives_a_server_error(app, admin, endpoint, data):
    for method, path, arguments in data.draw(visits(admin_view(app, endpoint)), label="requests"):
        response = send(app, admin, method, path, arguments)
        response.get_data()  # a streamed export fails while it is read
        assert response.status_code < 500, (method, path, arguments)
