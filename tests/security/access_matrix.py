"""The access matrix of docs/access.md as a table the tests hold every URL against.

One row per URL name (``namespace:name``), one column per role. The URL list is read
from the URL configuration (test_access_matrix.py): a URL pattern with no row here,
and not under one of NAMESPACE_RULES, fails the test by name.

Each row names the method it is checked with, the kind of object its ``<pk>`` stands
for (None when it has none), and a cell per role:

    ok       allowed: not 401/403/404/405, not sent to sign in (400 for an empty
             form is fine; a redirect to the role's own landing page is fine). With an
             object: allowed for the object the role may see AND for the one it may
             not (the role sees everything), and a missing id is a 404 (for
             records and staff; not for the rota's open slots or the admin).
    own      allowed for the role's object; the other object is a 404 (not visible,
             its existence not confirmed); a missing id is a 404.
    own/403  allowed for the role's object; the other is a 403 (the desk's case and
             contact pages: work.access.cases.get_case_to_work says "not yours").
    403/404  the role's object is visible but not theirs to act on: 403; the other
             object is not visible: 404.
    403      refused, with the reason (both objects).
    404      not found (both objects: the role sees none of them).
    login    redirected to /accounts/login/ (anonymous visitors; API tokens, which
             are not sessions, on the web pages).
    admin    redirected to the admin's sign-in, or 403 (the admin site).
    401      the API's answer to a request with no credentials.
    none     an API list answered 200 that shows neither object.
    ok/msg   allowed for the role's object; the other is refused with a message on
             the page (a redirect back, nothing written), as the rota's booking does.

For API lists the objects are looked for in the page of results: "ok" both listed,
"own" only the role's, "none" neither. Every refusal (anything but "ok") is also
checked to have written nothing.

Methods: "GET"; "POST" (a state-changing URL that only takes POST: it is POSTed with
an empty or minimal body, and a GET must be refused); "GET+POST" (both, same cell);
"PATCH" (an API change to part of a record: as "POST", with PATCH).
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = (
    "anonymous",  # anon: not signed in
    "caseworker",  # cw: tier 2 caseworker
    "call_handler",  # ch: tier 3 call handler
    "supervisor",  # sup: national clinical (tier 2) supervisor
    "calls_supervisor",  # csup: national call-handler (tier 3) supervisor
    "local_team_member",  # lt: Sheffield's local team (tier 1)
    "local_team_supervisor",  # lts: Sheffield's local team supervisor
    "admin",  # adm: administrator (superuser, no staff profile)
    "outsider",  # out: signed in, no staff profile
    "api_local_team",  # api_lt: API client bound to Sheffield's team (casework)
    "api_national",  # api_nat: national API client, every scope
)

OK = "ok"
OWN = "own"
OWN_403 = "own/403"
F403_404 = "403/404"
F403 = "403"
F404 = "404"
LOGIN = "login"
ADMIN = "admin"
F401 = "401"
NONE = "none"
OK_MSG = "ok/msg"

CELLS = {OK, OWN, OWN_403, F403_404, F403, F404, LOGIN, ADMIN, F401, NONE, OK_MSG}


@dataclass(frozen=True)
class Row:
    name: str
    method: str
    kind: str | None
    cells: dict[str, str]
    listing: bool = False


def _rows(*lines: tuple) -> dict[str, Row]:
    table: dict[str, Row] = {}
    for name, method, kind, *cells in lines:
        assert len(cells) == len(ROLES), f"{name}: {len(cells)} cells"
        assert set(cells) <= CELLS, f"{name}: unknown cell in {cells}"
        assert method in ("GET", "POST", "GET+POST", "PATCH"), name
        assert name not in table, f"{name} twice"
        listing = kind is not None and kind.endswith("[]")
        table[name] = Row(
            name=name,
            method=method,
            kind=kind.removesuffix("[]") if kind else None,
            cells=dict(zip(ROLES, cells, strict=True)),
            listing=listing,
        )
    return table


# Objects: case (Sheffield case held by the caseworker / Leeds case held by another),
# contact (Sheffield contact of that case held by the call handler / Leeds one held by
# another), call (a call to each of those contacts), escalation (Sheffield's / Leeds's,
# of a contact), case_escalation (Sheffield's / Leeds's, of a complex case),
# cluster (at a Sheffield setting / a Leeds one), person (the Sheffield case's / the
# Leeds case's), pair (a possible duplicate of each of those people), member (a new
# starter in the supervisor's own team / in the other supervisor's team), review (a call of each of those starters), team_shift (each
# starter's shift), slot (an open slot of the role's own team / of a team no role is
# in), own_shift (the role's own booked shift next week / another person's), and one
# object each for the admin's change pages. A kind ending in [] is an API list.

# fmt: off
MATRIX: dict[str, Row] = _rows(
   # name                                        method      object              anon   cw        ch       sup     csup    lt        lts       adm   out    api_lt api_nat
    # --- landing, health, signing in -----------------------------------------------------------------------------------------------------------------------------------
    ("home",                                    "GET",      None,               LOGIN, OK,       OK,      OK,     OK,     OK,       OK,       OK,   OK,    LOGIN, LOGIN),
    ("health",                                  "GET",      None,               OK,    OK,       OK,      OK,     OK,     OK,       OK,       OK,   OK,    OK,    OK),
    ("login",                                   "GET+POST", None,               OK,    OK,       OK,      OK,     OK,     OK,       OK,       OK,   OK,    OK,    OK),
    ("logout",                                  "POST",     None,               OK,    OK,       OK,      OK,     OK,     OK,       OK,       OK,   OK,    OK,    OK),
    ("keep_alive",                              "POST",     None,               F401,  OK,       OK,      OK,     OK,     OK,       OK,       OK,   OK,    F401,  F401),
    ("session_left",                            "GET",      None,               F401,  OK,       OK,      OK,     OK,     OK,       OK,       OK,   OK,    F401,  F401),
    ("two_factor",                              "GET+POST", None,               LOGIN, OK,       OK,      OK,     OK,     OK,       OK,       OK,   OK,    LOGIN, LOGIN),
    ("two_factor_setup",                        "GET+POST", None,               LOGIN, OK,       OK,      OK,     OK,     OK,       OK,       OK,   OK,    LOGIN, LOGIN),
    ("password_reset",                          "GET+POST", None,               OK,    OK,       OK,      OK,     OK,     OK,       OK,       OK,   OK,    OK,    OK),
    ("password_reset_done",                     "GET",      None,               OK,    OK,       OK,      OK,     OK,     OK,       OK,       OK,   OK,    OK,    OK),
    ("password_reset_confirm",                  "GET",      "reset_link",       OK,    OK,       OK,      OK,     OK,     OK,       OK,       OK,   OK,    OK,    OK),
    ("password_reset_complete",                 "GET",      None,               OK,    OK,       OK,      OK,     OK,     OK,       OK,       OK,   OK,    OK,    OK),
    ("password_change",                         "GET+POST", None,               LOGIN, OK,       OK,      OK,     OK,     OK,       OK,       OK,   OK,    LOGIN, LOGIN),
    ("password_change_done",                    "GET",      None,               LOGIN, OK,       OK,      OK,     OK,     OK,       OK,       OK,   OK,    LOGIN, LOGIN),
    # --- the desk: My work, the case page (tier 2), the contact page (tier 3) ------------------------------------------------------------------------------------------
    ("cases:queue",                             "GET",      None,               LOGIN, OK,       OK,      OK,     OK,     OK,       OK,       OK,   OK,    LOGIN, LOGIN),
    ("cases:next",                              "POST",     None,               LOGIN, OK,       OK,      OK,     OK,     OK,       OK,       OK,   OK,    LOGIN, LOGIN),
    ("cases:detail",                            "GET",      "case",             LOGIN, OWN_403,  F403,    OK,     OK,     F403,     F403,     OK,   F403,  LOGIN, LOGIN),
    ("cases:call",                              "POST",     "case",             LOGIN, OWN_403,  F403,    OK,     OK,     F403,     F403,     OK,   F403,  LOGIN, LOGIN),
    ("cases:assessment",                        "POST",     "case",             LOGIN, OWN_403,  F403,    OK,     OK,     F403,     F403,     OK,   F403,  LOGIN, LOGIN),
    ("cases:contacts",                          "POST",     "case",             LOGIN, OWN_403,  F403,    OK,     OK,     F403,     F403,     OK,   F403,  LOGIN, LOGIN),
    ("cases:visit",                             "POST",     "case",             LOGIN, OWN_403,  F403,    OK,     OK,     F403,     F403,     OK,   F403,  LOGIN, LOGIN),
    ("cases:draft",                             "POST",     "case",             LOGIN, OWN_403,  F403,    OK,     OK,     F403,     F403,     OK,   F403,  LOGIN, LOGIN),
    ("cases:complete",                          "POST",     "case",             LOGIN, OWN_403,  F403,    OK,     OK,     F403,     F403,     OK,   F403,  LOGIN, LOGIN),
    ("cases:online_resend",                     "POST",     "case",             LOGIN, OWN_403,  F403,    OK,     OK,     F403,     F403,     OK,   F403,  LOGIN, LOGIN),
    # A clinician's override of an isolation end date: tier 2 only (a call handler, a calls supervisor, a local team, an administrator: 403 with the reason).
    ("cases:isolation",                         "GET+POST", "case",             LOGIN, OWN_403,  F403,    OK,     F403,   F403,     F403,     F403, F403,  LOGIN, LOGIN),
    # A positive result withdrawn (sent in error): a tier 2 supervisor with a verified registration only (403 with the reason for everyone else).
    ("cases:withdraw",                          "GET+POST", "case",             LOGIN, F403,     F403,    OK,     F403,   F403,     F403,     F403, F403,  LOGIN, LOGIN),
    ("contacts:detail",                         "GET",      "contact",          LOGIN, F403,     OWN_403, OK,     OK,     F403,     F403,     OK,   F403,  LOGIN, LOGIN),
    ("contacts:call",                           "POST",     "contact",          LOGIN, F403,     OWN_403, OK,     OK,     F403,     F403,     OK,   F403,  LOGIN, LOGIN),
    # Correcting the outcome of a call (work.calls.call_correct): the page opens for those who see the item, and says why when it is not theirs to correct (the caller or a supervisor of their tier).
    ("cases:call_correction",                   "GET+POST", "case_call",        LOGIN, OWN,      F404,    OK,     OK,     OWN,      OWN,      OK,   F404,  LOGIN, LOGIN),
    ("contacts:call_correction",                "GET+POST", "contact_call",     LOGIN, OWN,      OWN,     OK,     OK,     OWN,      OWN,      OK,   F404,  LOGIN, LOGIN),
    ("contacts:online_resend",                  "POST",     "contact",          LOGIN, F403,     OWN_403, OK,     OK,     F403,     F403,     OK,   F403,  LOGIN, LOGIN),
    # A person's details corrected on the phone ("Their details"): whoever may work the item (work.person_details).
    ("cases:person_details",                    "POST",     "case",             LOGIN, OWN_403,  F403,    OK,     OK,     F403,     F403,     OK,   F403,  LOGIN, LOGIN),
    ("contacts:person_details",                 "POST",     "contact",          LOGIN, F403,     OWN_403, OK,     OK,     F403,     F403,     OK,   F403,  LOGIN, LOGIN),
    ("contacts:isolation",                      "GET+POST", "contact",          LOGIN, OWN,      F403,    OK,     F403,   F403,     F403,     F403, F403,  LOGIN, LOGIN),
    ("calls:knowledge",                         "GET",      None,               LOGIN, OK,       OK,      OK,     OK,     OK,       OK,       OK,   F403,  LOGIN, LOGIN),
    # --- staffing: the supervisor's pages (national supervisors of their own team), and everyone's own shifts and training ---------------------------------------------
    ("staffing:dashboard",                      "GET",      None,               LOGIN, F403,     F403,    OK,     OK,     F403,     F403,     F403, F403,  LOGIN, LOGIN),
    ("staffing:work",                           "GET+POST", None,               LOGIN, F403,     F403,    OK,     OK,     F403,     F403,     F403, F403,  LOGIN, LOGIN),
    ("staffing:my_shifts",                      "GET",      None,               LOGIN, OK,       OK,      OK,     OK,     OK,       OK,       F403, F403,  LOGIN, LOGIN),
    ("staffing:shift_book",                     "POST",     "slot",             LOGIN, OK_MSG,   OK_MSG,  OK_MSG, OK_MSG, OK_MSG,   OK_MSG,   F403, F403,  LOGIN, LOGIN),
    ("staffing:shift_release",                  "POST",     "own_shift",        LOGIN, OWN,      OWN,     OWN,    OWN,    OWN,      OWN,      F403, F403,  LOGIN, LOGIN),
    ("staffing:my_training",                    "GET+POST", None,               LOGIN, OK,       OK,      OK,     OK,     OK,       OK,       F403, F403,  LOGIN, LOGIN),
    ("staffing:team",                           "GET",      None,               LOGIN, F403,     F403,    OK,     OK,     F403,     F403,     F403, F403,  LOGIN, LOGIN),
    ("staffing:hours_cap",                      "GET+POST", "member",           LOGIN, F403,     F403,    OWN,    OWN,    F403,     F403,     F403, F403,  LOGIN, LOGIN),
    ("staffing:member_training",                "GET+POST", "member",           LOGIN, F403,     F403,    OWN,    OWN,    F403,     F403,     F403, F403,  LOGIN, LOGIN),
    ("staffing:sign_off",                       "POST",     "member",           LOGIN, F403,     F403,    OWN,    OWN,    F403,     F403,     F403, F403,  LOGIN, LOGIN),
    ("staffing:team_shifts",                    "GET",      None,               LOGIN, F403,     F403,    OK,     OK,     F403,     F403,     F403, F403,  LOGIN, LOGIN),
    ("staffing:shifts_publish",                 "GET+POST", None,               LOGIN, F403,     F403,    OK,     OK,     F403,     F403,     F403, F403,  LOGIN, LOGIN),
    ("staffing:shift_cancel",                   "GET+POST", "team_shift",       LOGIN, F403,     F403,    OWN,    OWN,    F403,     F403,     F403, F403,  LOGIN, LOGIN),
    ("staffing:registrations",                  "GET",      None,               LOGIN, F403,     F403,    OK,     OK,     F403,     F403,     F403, F403,  LOGIN, LOGIN),
    ("staffing:registration_verify",            "GET+POST", "member",           LOGIN, F403,     F403,    OWN,    OWN,    F403,     F403,     F403, F403,  LOGIN, LOGIN),
    ("staffing:reviews",                        "GET+POST", None,               LOGIN, F403,     F403,    OK,     OK,     F403,     F403,     F403, F403,  LOGIN, LOGIN),
    ("staffing:review",                         "POST",     "review",           LOGIN, F403,     F403,    OWN,    OWN,    F403,     F403,     F403, F403,  LOGIN, LOGIN),
    ("staffing:utilisation",                    "GET",      None,               LOGIN, F403,     F403,    OK,     OK,     F403,     F403,     F403, F403,  LOGIN, LOGIN),
    ("staffing:utilisation_csv",                "GET",      None,               LOGIN, F403,     F403,    OK,     OK,     F403,     F403,     F403, F403,  LOGIN, LOGIN),
    ("staffing:capacity",                       "GET",      None,               LOGIN, F403,     F403,    OK,     OK,     F403,     F403,     F403, F403,  LOGIN, LOGIN),
    ("staffing:capacity_slots",                 "POST",     None,               LOGIN, F403,     F403,    OK,     OK,     F403,     F403,     F403, F403,  LOGIN, LOGIN),
    # --- the audit trail: who has seen a person (national supervisors, administrators); the search (administrators) ----------------------------------------------------
    ("staffing:person_audit",                   "GET",      "person",           LOGIN, F403,     F403,    OK,     OK,     F403,     F403,     OK,   F403,  LOGIN, LOGIN),
    ("staffing:audit_search",                   "GET",      None,               LOGIN, F403,     F403,    F403,   F403,   F403,     F403,     OK,   F403,  LOGIN, LOGIN),
    ("staffing:people_search",                  "GET",      None,               LOGIN, OK,       OK,      OK,     OK,     OK,       OK,       OK,   F403,  LOGIN, LOGIN),
    # --- possible duplicates: the list, a pair, merge and "not the same person" (national supervisors and administrators) -----------------------------------------------
    ("staffing:duplicates",                     "GET",      None,               LOGIN, F403,     F403,    OK,     OK,     F403,     F403,     OK,   F403,  LOGIN, LOGIN),
    ("staffing:duplicate",                      "GET",      "pair",             LOGIN, F403,     F403,    OK,     OK,     F403,     F403,     OK,   F403,  LOGIN, LOGIN),
    ("staffing:duplicate_merge",                "POST",     "pair",             LOGIN, F403,     F403,    OK,     OK,     F403,     F403,     OK,   F403,  LOGIN, LOGIN),
    ("staffing:duplicate_not_same",             "POST",     "pair",             LOGIN, F403,     F403,    OK,     OK,     F403,     F403,     OK,   F403,  LOGIN, LOGIN),
    # --- a CSV of test results from a lab with no feed: upload and preview, confirm, what it made (national supervisors) ---------------------------------------------------
    ("staffing:results_upload",                 "GET+POST", None,               LOGIN, F403,     F403,    OK,     OK,     F403,     F403,     F403, F403,  LOGIN, LOGIN),
    ("staffing:results_upload_confirm",         "POST",     None,               LOGIN, F403,     F403,    OK,     OK,     F403,     F403,     F403, F403,  LOGIN, LOGIN),
    ("staffing:results_upload_done",            "GET",      None,               LOGIN, F403,     F403,    OK,     OK,     F403,     F403,     F403, F403,  LOGIN, LOGIN),
    # --- the local team's pages (tier 1 and administrators; another team's escalation or cluster is a 404) -------------------------------------------------------------
    ("escalations:queue",                       "GET",      None,               LOGIN, F403,     F403,    F403,   F403,   OK,       OK,       OK,   F403,  LOGIN, LOGIN),
    ("escalations:complex",                     "GET",      None,               LOGIN, F403,     F403,    F403,   F403,   OK,       OK,       OK,   F403,  LOGIN, LOGIN),
    ("escalations:export",                      "GET",      None,               LOGIN, F403,     F403,    F403,   F403,   OK,       OK,       OK,   F403,  LOGIN, LOGIN),
    ("escalations:detail",                      "GET",      "escalation",       LOGIN, F403,     F403,    F403,   F403,   OWN,      OWN,      OK,   F403,  LOGIN, LOGIN),
    ("escalations:claim",                       "POST",     "escalation",       LOGIN, F403,     F403,    F403,   F403,   OWN,      OWN,      OK,   F403,  LOGIN, LOGIN),
    ("escalations:action",                      "POST",     "escalation",       LOGIN, F403,     F403,    F403,   F403,   OWN,      OWN,      OK,   F403,  LOGIN, LOGIN),
    ("escalations:close",                       "POST",     "escalation",       LOGIN, F403,     F403,    F403,   F403,   OWN,      OWN,      OK,   F403,  LOGIN, LOGIN),
    ("escalations:return",                      "POST",     "escalation",       LOGIN, F403,     F403,    F403,   F403,   OWN,      OWN,      OK,   F403,  LOGIN, LOGIN),
    # The contacts a case names to its team, on its escalation's page (a contact's escalation is a 404: contacts name no contacts).
    ("escalations:contacts",                    "POST",     "case_escalation",  LOGIN, F403,     F403,    F403,   F403,   OWN,      OWN,      OK,   F403,  LOGIN, LOGIN),
    # The person's details corrected from an open escalation's page, by whoever may work it.
    ("escalations:details",                     "POST",     "escalation",       LOGIN, F403,     F403,    F403,   F403,   OWN,      OWN,      OK,   F403,  LOGIN, LOGIN),
    ("escalations:reopen",                      "POST",     "escalation",       LOGIN, F403,     F403,    F403,   F403,   OWN,      OWN,      OK,   F403,  LOGIN, LOGIN),
    ("escalations:reassign",                    "POST",     "escalation",       LOGIN, F403,     F403,    F403,   F403,   F403_404, OWN,      OK,   F403,  LOGIN, LOGIN),
    ("escalations:clusters",                    "GET",      None,               LOGIN, F403,     F403,    F403,   F403,   OK,       OK,       OK,   F403,  LOGIN, LOGIN),
    ("escalations:cluster",                     "GET",      "cluster",          LOGIN, F403,     F403,    F403,   F403,   OWN,      OWN,      OK,   F403,  LOGIN, LOGIN),
    ("escalations:cluster_reviewed",            "POST",     "cluster",          LOGIN, F403,     F403,    F403,   F403,   OWN,      OWN,      OK,   F403,  LOGIN, LOGIN),
    # --- the weekly figures (national supervisors and administrators: England and every team; a local team: its own team and areas, the default scope) -----------------
    ("figures:weekly",                          "GET",      None,               LOGIN, F403,     F403,    OK,     OK,     OK,       OK,       OK,   F403,  LOGIN, LOGIN),
    ("figures:weekly_csv",                      "GET",      None,               LOGIN, F403,     F403,    OK,     OK,     OK,       OK,       OK,   F403,  LOGIN, LOGIN),
    # --- the API (staff sessions and client tokens alike) --------------------------------------------------------------------------------------------------------------
    ("api-root",                                "GET",      None,               F401,  OK,       OK,      OK,     OK,     OK,       OK,       OK,   OK,    OK,    OK),
    ("api-test-results",                        "POST",     None,               F401,  F403,     F403,    OK,     OK,     F403,     F403,     OK,   F403,  F403,  OK),
    # The lab withdrawing a result sent in error (scope intake): a tier 2 supervisor signed in may too; a calls supervisor or an administrator may send results, not withdraw them.
    ("api-test-result-withdrawal",              "POST",     "case_ref",         F401,  F403,     F403,    OK,     F403,   F403,     F403,     F403, F403,  F403,  OK),
    ("api-figures-weekly",                      "GET",      None,               F401,  F403,     F403,    OK,     OK,     OK,       OK,       OK,   F403,  F403,  OK),
    # GOV.UK Notify's delivery receipts: only its own bearer token (NOTIFY_CALLBACK_TOKEN) opens it, never a session or a client token (tests/notify).
    ("api-notify-receipt",                      "POST",     None,               F401,  F401,     F401,    F401,   F401,   F401,     F401,     F401, F401,  F401,  F401),
    ("api-case-list",                           "GET",      "case[]",           F401,  OWN,      NONE,    OK,     OK,     OWN,      OWN,      OK,   F403,  OWN,   OK),
    ("api-case-detail",                         "GET",      "case",             F401,  OWN,      F404,    OK,     OK,     OWN,      OWN,      OK,   F403,  OWN,   OK),
    ("api-case-add-contact",                    "POST",     "case",             F401,  OWN,      F404,    OK,     OK,     F403_404, F403_404, OK,   F403,  OWN,   OK),
    ("api-case-record-call",                    "POST",     "case",             F401,  OWN,      F404,    OK,     OK,     F403_404, F403_404, OK,   F403,  OWN,   OK),
    ("api-case-override-isolation",             "POST",     "case",             F401,  OWN,      F404,    OK,     F403,   F403_404, F403_404, F403, F403,  OWN,   OK),
    ("api-contact-list",                        "GET",      "contact[]",        F401,  OWN,      OWN,     OK,     OK,     OWN,      OWN,      OK,   F403,  OWN,   OK),
    ("api-contact-detail",                      "GET",      "contact",          F401,  OWN,      OWN,     OK,     OK,     OWN,      OWN,      OK,   F403,  OWN,   OK),
    ("api-contact-record-call",                 "POST",     "contact",          F401,  F403_404, OWN,     OK,     OK,     F403_404, F403_404, OK,   F403,  OWN,   OK),
    ("api-contact-override-isolation",          "POST",     "contact",          F401,  OWN,      F403_404, OK,    F403,   F403_404, F403_404, F403, F403,  OWN,   OK),
    # The same correction of the person's details (PATCH): 404 for an item not seen, 403 for one seen and not theirs to work, before the body is read.
    ("api-case-person",                         "PATCH",    "case",             F401,  OWN,      F404,    OK,     OK,     F403_404, F403_404, OK,   F403,  OWN,   OK),
    ("api-contact-person",                      "PATCH",    "contact",          F401,  F403_404, OWN,     OK,     OK,     F403_404, F403_404, OK,   F403,  OWN,   OK),
    ("api-call-list",                           "GET",      "call[]",           F401,  OWN,      OWN,     OK,     OK,     OWN,      OWN,      OK,   F403,  OWN,   OK),
    ("api-call-detail",                         "GET",      "call",             F401,  OWN,      OWN,     OK,     OK,     OWN,      OWN,      OK,   F403,  OWN,   OK),
    # A call's outcome corrected: an empty body is a 400 to those who see the item; the operation then refuses anyone but the caller or a supervisor of their tier (403, with the reason).
    ("api-case-call-correction",                "POST",     "case_call",        F401,  OWN,      F404,    OK,     OK,     OWN,      OWN,      OK,   F403,  OWN,   OK),
    ("api-contact-call-correction",             "POST",     "contact_call",     F401,  OWN,      OWN,     OK,     OK,     OWN,      OWN,      OK,   F403,  OWN,   OK),
    ("api-escalation-list",                     "GET",      "escalation[]",     F401,  NONE,     NONE,    NONE,   NONE,   OWN,      OWN,      OK,   F403,  OWN,   OK),
    ("api-escalation-detail",                   "GET",      "escalation",       F401,  F404,     F404,    F404,   F404,   OWN,      OWN,      OK,   F403,  OWN,   OK),
    ("api-escalation-claim",                    "POST",     "escalation",       F401,  F404,     F404,    F404,   F404,   OWN,      OWN,      OK,   F403,  OWN,   OK),
    ("api-escalation-actions",                  "POST",     "escalation",       F401,  F404,     F404,    F404,   F404,   OWN,      OWN,      OK,   F403,  OWN,   OK),
    ("api-escalation-close",                    "POST",     "escalation",       F401,  F404,     F404,    F404,   F404,   OWN,      OWN,      OK,   F403,  OWN,   OK),
    ("api-escalation-send-back",                "POST",     "escalation",       F401,  F404,     F404,    F404,   F404,   OWN,      OWN,      OK,   F403,  OWN,   OK),
    ("api-escalation-reopen",                   "POST",     "escalation",       F401,  F404,     F404,    F404,   F404,   OWN,      OWN,      OK,   F403,  OWN,   OK),
    # The schema and its docs describe the API and hold no records: open to all.
    ("api-schema",                              "GET",      None,               OK,    OK,       OK,      OK,     OK,     OK,       OK,       OK,   OK,    OK,    OK),
    ("api-docs",                                "GET",      None,               OK,    OK,       OK,      OK,     OK,     OK,       OK,       OK,   OK,    OK,    OK),
    ("api-redoc",                               "GET",      None,               OK,    OK,       OK,      OK,     OK,     OK,       OK,       OK,   OK,    OK,    OK),
    # --- the admin: a sample of the "admin:" rule below (index, and a changelist and a change page per kind of record) -------------------------------------------------
    ("admin:index",                             "GET",      None,               ADMIN, ADMIN,    ADMIN,   ADMIN,  ADMIN,  ADMIN,    ADMIN,    OK,   ADMIN, ADMIN, ADMIN),
    ("admin:cases_case_changelist",             "GET",      None,               ADMIN, ADMIN,    ADMIN,   ADMIN,  ADMIN,  ADMIN,    ADMIN,    OK,   ADMIN, ADMIN, ADMIN),
    ("admin:cases_case_change",                 "GET",      "admin_case",       ADMIN, ADMIN,    ADMIN,   ADMIN,  ADMIN,  ADMIN,    ADMIN,    OK,   ADMIN, ADMIN, ADMIN),
    ("admin:contacts_contact_changelist",       "GET",      None,               ADMIN, ADMIN,    ADMIN,   ADMIN,  ADMIN,  ADMIN,    ADMIN,    OK,   ADMIN, ADMIN, ADMIN),
    ("admin:contacts_contact_change",           "GET",      "admin_contact",    ADMIN, ADMIN,    ADMIN,   ADMIN,  ADMIN,  ADMIN,    ADMIN,    OK,   ADMIN, ADMIN, ADMIN),
    ("admin:people_person_changelist",          "GET",      None,               ADMIN, ADMIN,    ADMIN,   ADMIN,  ADMIN,  ADMIN,    ADMIN,    OK,   ADMIN, ADMIN, ADMIN),
    ("admin:people_person_change",              "GET",      "admin_person",     ADMIN, ADMIN,    ADMIN,   ADMIN,  ADMIN,  ADMIN,    ADMIN,    OK,   ADMIN, ADMIN, ADMIN),
    # A person's subject access export (everything held about them), as a page to print and as JSON: administrators only.
    ("admin:people_person_subject_access",      "GET",      "admin_person",     ADMIN, ADMIN,    ADMIN,   ADMIN,  ADMIN,  ADMIN,    ADMIN,    OK,   ADMIN, ADMIN, ADMIN),
    ("admin:people_person_subject_access_json", "GET",      "admin_person",     ADMIN, ADMIN,    ADMIN,   ADMIN,  ADMIN,  ADMIN,    ADMIN,    OK,   ADMIN, ADMIN, ADMIN),
    ("admin:escalations_escalation_changelist", "GET",      None,               ADMIN, ADMIN,    ADMIN,   ADMIN,  ADMIN,  ADMIN,    ADMIN,    OK,   ADMIN, ADMIN, ADMIN),
    ("admin:escalations_escalation_change",     "GET",      "admin_escalation", ADMIN, ADMIN,    ADMIN,   ADMIN,  ADMIN,  ADMIN,    ADMIN,    OK,   ADMIN, ADMIN, ADMIN),
    ("admin:audit_auditevent_changelist",       "GET",      None,               ADMIN, ADMIN,    ADMIN,   ADMIN,  ADMIN,  ADMIN,    ADMIN,    OK,   ADMIN, ADMIN, ADMIN),
    ("admin:audit_auditevent_change",           "GET",      "admin_auditevent", ADMIN, ADMIN,    ADMIN,   ADMIN,  ADMIN,  ADMIN,    ADMIN,    OK,   ADMIN, ADMIN, ADMIN),
)
# fmt: on

# URL patterns covered by one rule rather than a row each: every page of the admin
# site is for administrators only (the sample rows above are what is requested).
NAMESPACE_RULES = {
    "admin:": "the admin site: administrators only; everyone else is sent to the "
    "admin's sign-in or refused (sampled by the admin:* rows)",
    "online:": "the pages a texted link opens: no sign-in, the unguessable token is "
    "the only authority, the same for every role and none (wrong, expired, used and "
    "tampered tokens alike: tests/online/test_pages.py)",
}
