"""Two cases naming one new place at once make one setting, so the place's cluster is
found: before, each made its own, and three cases at one venue on one day were two
settings and no cluster."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.utils import timezone

from cases.models import ExposureSetting, SettingKind
from cases.workitem import Status
from tests import factories as f
from work.casework import VisitDetails, case_visit_add

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("requires_postgres", "committed_db"),
]

ROUNDS = 5


def test_one_new_place_named_by_cases_at_once_is_one_setting():
    day = timezone.localdate()
    for n in range(ROUNDS):
        cases = [f.CaseFactory(status=Status.REACHED) for _ in range(3)]
        name = f"The Crown Inn {n}"
        start = threading.Barrier(len(cases))
        errors: list[BaseException] = []

        def visit(case, name=name, start=start, errors=errors) -> None:
            try:
                start.wait()
                case_visit_add(
                    case=case,
                    details=VisitDetails(
                        name=name, kind=SettingKind.VENUE, visited_on=day
                    ),
                    by=None,
                )
            except BaseException as exc:  # reported in the test thread
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=visit, args=(c,)) for c in cases]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert not errors, errors
        (setting,) = ExposureSetting.objects.filter(name=name)
        assert setting.visits.count() == 3
