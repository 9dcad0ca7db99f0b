"""The desk's addresses: My work and the case pages (namespace "cases"), the contact
pages ("contacts"), the knowledge search ("calls")."""

from django.urls import path

from . import calls, cases, contacts, details, isolation, withdraw

case_urls = (
    [
        path("work/", cases.my_work, name="queue"),
        path("work/next/", cases.next_item, name="next"),
        path("cases/<int:pk>/", cases.case_detail, name="detail"),
        path("cases/<int:pk>/calls/", cases.case_call, name="call"),
        path(
            "cases/<int:pk>/calls/<int:call_id>/correction/",
            calls.case_call_correction,
            name="call_correction",
        ),
        path("cases/<int:pk>/assessment/", cases.case_assessment, name="assessment"),
        path("cases/<int:pk>/contacts/", cases.case_contacts, name="contacts"),
        path("cases/<int:pk>/visits/", cases.case_visit, name="visit"),
        path("cases/<int:pk>/complete/", cases.case_complete, name="complete"),
        path("cases/<int:pk>/draft/", cases.case_draft, name="draft"),
        path("cases/<int:pk>/isolation/", isolation.case_isolation, name="isolation"),
        path("cases/<int:pk>/withdraw/", withdraw.case_withdraw_page, name="withdraw"),
        path(
            "cases/<int:pk>/details/",
            details.case_person_details,
            name="person_details",
        ),
        path(
            "cases/<int:pk>/online/resend/",
            cases.case_online_resend,
            name="online_resend",
        ),
    ],
    "cases",
)

contact_urls = (
    [
        path("contacts/<int:pk>/", contacts.contact_detail, name="detail"),
        path("contacts/<int:pk>/calls/", contacts.contact_call, name="call"),
        path(
            "contacts/<int:pk>/calls/<int:call_id>/correction/",
            calls.contact_call_correction,
            name="call_correction",
        ),
        path(
            "contacts/<int:pk>/isolation/",
            isolation.contact_isolation,
            name="isolation",
        ),
        path(
            "contacts/<int:pk>/online/resend/",
            contacts.contact_online_resend,
            name="online_resend",
        ),
        path(
            "contacts/<int:pk>/details/",
            details.contact_person_details,
            name="person_details",
        ),
    ],
    "contacts",
)

knowledge_urls = (
    [path("knowledge/", calls.knowledge_search, name="knowledge")],
    "calls",
)
