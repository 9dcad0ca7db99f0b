"""Shared fixtures, named for the people who use the service."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import TransactionTestCase
from playwright.sync_api import Error as PlaywrightError

from figures.capacity_selectors import forget_cached_forecasts
from figures.weekly import forget_cached_figures
from tests import factories as f
from tests import fast_flush
from work.pool_counts import forget_pool_count

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

LONDON = ZoneInfo("Europe/London")
# A Tuesday morning at the winter peak, in GMT (no clock change near it).
NOW = dt.datetime(2021, 1, 12, 10, 0, tzinfo=LONDON)


@pytest.fixture
def clock(request):
    """The one test clock: it stands still at NOW until the test moves it
    (`clock.shift(...)`, `clock.move_to(...)`). A test, module or folder that needs
    another moment says so with `@pytest.mark.now(datetime)`."""
    marker = request.node.get_closest_marker("now")
    start = marker.args[0] if marker else NOW
    with time_machine.travel(start, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _calls_at_any_hour_off_the_test_clock(request, settings):
    """A test on the wall clock runs at whatever hour the suite does: the calling
    hours (work/rules.py) would change what it sees when run at night, so it calls
    at any hour. A test on the test clock (`clock`, a `now` mark) keeps them."""
    if "clock" in request.fixturenames or request.node.get_closest_marker("now"):
        return
    settings.TRACING_CALLING_HOURS = {"opens": "00:00", "closes": "00:00"}


@pytest.fixture(autouse=True)
def _messages_in_a_folder_of_the_tests_own(settings, tmp_path):
    """Texts and emails sent by a test go to its own folder (the file backend), never
    into the working copy's var/messages."""
    settings.NOTIFY_FILE_DIR = str(tmp_path / "messages")


@pytest.fixture(autouse=True)
def _no_cached_figures_from_another_test():
    """Closed weeks' figures, the capacity forecast and the beat's count of the pool
    are cached (in the shared Redis, under the test database's name): each test
    starts from none, whatever another test cached."""
    forget_cached_figures()
    forget_cached_forecasts()
    forget_pool_count()


@pytest.fixture(autouse=True)
def _force_login_gives_the_second_factor(monkeypatch):
    """`client.force_login(user)` signs in as if the user had also given their second
    factor where their role needs one (the two-factor tests sign in through the
    pages, and the browser tests type a real code)."""
    from django.contrib.auth.signals import user_logged_in
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts.policy import two_factor_required
    from accounts.signals import _signed_in

    original = Client.force_login

    def force_login(self, user, backend=None):
        # A test's shortcut to "already signed in": not a sign-in to audit.
        user_logged_in.disconnect(dispatch_uid="audit_sign_in")
        try:
            original(self, user, backend)
        finally:
            user_logged_in.connect(_signed_in, dispatch_uid="audit_sign_in")
        if two_factor_required(user):
            device = enrolled_device(user)
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    monkeypatch.setattr(Client, "force_login", force_login)


def enrolled_device(user):
    """The user's confirmed authenticator, made if they have none."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(
        user=user, name="authenticator app", confirmed=True
    )


def current_code(device) -> str:
    """The code the user's authenticator app shows now."""
    from django_otp.oath import totp

    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real hashing costs about a second a user; tests need no protection from it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """A transactional test's flush empties the ONS areas the migration loaded; with
    --reuse-db the next run would start without them, so put them back. Then keep
    every table's rows as they are now, for the transactional tests' teardowns to
    put back in milliseconds (tests/fast_flush.py)."""
    with django_db_blocker.unblock():
        ensure_ons_areas()
        fast_flush.keep_after_migrate()
    original = fast_flush.install()
    yield
    TransactionTestCase._fixture_teardown = original  # type: ignore[method-assign]


def ensure_ons_areas() -> None:
    """Load the ONS areas and teams the data migration made, and the Welsh language
    row (people's 0008), if a flush took them."""
    from areas.models import Area
    from areas.services import areas_load
    from people.models import Language

    if not Area.objects.exists():
        areas_load()
    Language.objects.get_or_create(code="cy", defaults={"name": "Welsh"})


def _flushes_database(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        return True
    names = getattr(item, "fixturenames", ())
    return any(n in names for n in ("transactional_db", "live_server"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    """After a transactional test's flush, put the ONS areas back for the next test.

    (The flush empties every table, including the reference data the migration
    loaded; tests later in the same worker rely on it.)
    """
    yield
    if nextitem is None or not _flushes_database(item):
        return
    from pytest_django.plugin import blocking_manager_key

    with item.config.stash[blocking_manager_key].unblock():
        ensure_ons_areas()


@pytest.fixture(autouse=True)
def _live_server_quiet_before_the_flush(request):
    """A browser test may end while the live server still answers a request the page
    sent last (a board's own refresh): the flush after the test then truncates the
    tables that request holds, and PostgreSQL ends one of the two as a deadlock (seen
    as an error at teardown). Before the flush, wait for the server's connections to
    this database to leave their transactions."""
    if "live_server" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("transactional_db")
    yield
    if connection.vendor != "postgresql":
        return
    deadline = time.monotonic() + 10
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname ="
                " current_database() AND pid <> pg_backend_pid() AND state IN"
                " ('active', 'idle in transaction', 'idle in transaction (aborted)')"
            )
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)


@pytest.fixture
def requires_postgres(db):
    """Tests of locking and concurrency need PostgreSQL; in CI its absence fails."""
    if connection.vendor != "postgresql":
        if IN_CI:
            pytest.fail("CI must run against PostgreSQL (set DATABASE_URL).")
        pytest.skip("needs PostgreSQL: set DATABASE_URL")


@pytest.fixture
def redis_url():
    """A Redis that answers; in CI its absence fails rather than skips."""
    import redis

    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if IN_CI:
            pytest.fail(f"CI needs Redis at {url}: {exc}")
        pytest.skip(f"needs Redis at {url}")
    return url


@pytest.fixture
def run_tasks_here(django_capture_on_commit_callbacks):
    """`with run_tasks_here():` runs the after-commit Celery tasks of what happens
    inside, in the test, as a worker would once the transaction commits (for tests of
    what those tasks do; the worker itself has its own tests)."""
    from tracing.celery import app

    app.conf.task_always_eager = True
    try:
        yield lambda: django_capture_on_commit_callbacks(execute=True)
    finally:
        app.conf.task_always_eager = False


@pytest.fixture
def caseworker(db):
    """A verified tier 2 clinical caseworker on shift now."""
    profile = f.StaffProfileFactory(clinical=True, user__username="caseworker")
    f.ShiftFactory(staff=profile)
    return profile.user


@pytest.fixture
def call_handler(db):
    """A signed-off tier 3 call handler on shift now."""
    profile = f.StaffProfileFactory(user__username="call_handler")
    f.ShiftFactory(staff=profile)
    return profile.user


@pytest.fixture
def supervisor(db):
    profile = f.StaffProfileFactory(
        clinical=True, is_supervisor=True, user__username="supervisor"
    )
    return profile.user


@pytest.fixture
def local_team_member(db):
    """A member of Sheffield's public health team."""
    profile = f.StaffProfileFactory(local=True, user__username="local_member")
    return profile.user


@pytest.fixture
def outsider(db):
    """Signed in, but with no staff profile: sees nothing."""
    return f.UserFactory(username="outsider")


# --- Browser tests: Debian's Chromium driven by Playwright ----------------------------
# Playwright's sync API runs an event loop in the test thread; Django's async-safety
# check would refuse the ORM calls the fixtures make beside it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    chromium = shutil.which("chromium")
    if chromium is None:
        if IN_CI:
            pytest.fail("CI needs Debian's chromium for the browser tests.")
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": chromium,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def screenshot():
    """Save a full-page screenshot under tests/artifacts/ for a person to look at."""

    def take(page, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        # Chromium now and then refuses a full-page capture while the page is
        # still laying out ("Unable to capture screenshot"): the picture is for a
        # person to look at, so try again once the page has settled, then take
        # the visible part, rather than fail a test for the renderer's hiccup.
        for attempt in range(3):
            try:
                page.screenshot(path=str(path), full_page=attempt < 2)
                return path
            except PlaywrightError:
                if attempt == 2:
                    raise
                page.wait_for_load_state()
                page.wait_for_timeout(250)
        return path

    return take


@pytest.fixture
def sign_in(live_server):
    """Sign a user in through the real login page."""

    from accounts.policy import two_factor_required

    def do(page, user, password: str = f.PASSWORD) -> None:
        device = enrolled_device(user) if two_factor_required(user) else None
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password)
        page.click("main button[type=submit]")
        page.wait_for_load_state()
        if device is not None:
            # The second step, with the code the user's app would show.
            page.fill("#id_code", current_code(device))
            page.click("main button[type=submit]")
            page.wait_for_load_state()

    return do


# Tests that must share one worker: the module's costly fixture is then loaded once.
# (pytest-xdist's own `xdist_group` mark works by rewriting each test's id, which
# pytest 9 no longer reads: with it alone, both workers loaded the scaled-down peak
# and cleared it again, some two minutes of the suite.)
WORKER_GROUPS = {
    "tests/scale/": "scale_peak",
    # Modules loading their data once for all their tests (a module fixture): kept
    # together, or a worker taking one test of theirs between others' loads it again.
    "tests/assignment/test_pool_plans.py": "pool_plans",
    "tests/test_seed_demo.py": "seed_demo",
    "tests/test_seed_demo_realistic.py": "seed_demo_realistic",
}


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """`--dist loadgroup`, grouping the tests under WORKER_GROUPS' paths."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByGroup(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            for path, group in WORKER_GROUPS.items():
                if nodeid.startswith(path):
                    return group
            return nodeid

    return ByGroup(config, log)


def clear_own_cache_keys() -> None:
    """Empty this test process's cache keys only. Parallel test processes share one
    Redis (each its own KEY_PREFIX): the cache's clear() flushes the whole database,
    wiping another process's rate counts or kept typing in the middle of its test."""
    from django.conf import settings
    from django.core.cache import cache

    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    if "RedisCache" not in settings.CACHES["default"]["BACKEND"]:
        cache.clear()
        return
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)
