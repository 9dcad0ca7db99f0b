"""The app's settings for bench/load.py's server: everything as the app has it, read
from the same environment, but with the benchmark's URLs at the root
(bench/urls_load.py), so the bare views run in the same server as the pages and are
never part of the app's own URLs.
"""

from tracing.settings import *  # noqa: F403 - the app's settings, unchanged

ROOT_URLCONF = "bench.urls_load"
