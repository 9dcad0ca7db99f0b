"""The embedded default's broker (`make run`) never hands a worker a message not yet
written: kombu's filesystem transport did, under load, and the worker stopped on
the empty file, taking the whole of `make run` down with it (tracing/broker.py)."""

from __future__ import annotations

import json
import threading
import time
from queue import Empty

from kombu import Connection, Exchange, Queue

import tracing  # noqa: F401 (the Celery app, which names the transport)

SECONDS = 3


def test_a_worker_reading_as_messages_are_written_never_reads_half_a_message(
    tmp_path,
):
    for folder in ("out", "processed", "control"):
        (tmp_path / folder).mkdir()
    options = {
        "data_folder_in": str(tmp_path / "out"),
        "data_folder_out": str(tmp_path / "out"),
        "processed_folder": str(tmp_path / "processed"),
        "control_folder": str(tmp_path / "control"),
        "store_processed": False,
    }
    queue = Queue("celery", Exchange("celery", "direct"), routing_key="celery")
    stop = threading.Event()
    half_read: list[Exception] = []
    read = [0]

    def worker() -> None:
        with Connection("filesystem://", transport_options=options) as connection:
            channel = connection.channel()
            while not stop.is_set():
                try:
                    channel._get("celery")
                    read[0] += 1
                except json.JSONDecodeError as exc:
                    half_read.append(exc)
                except Empty:  # nothing in the folder yet: look again
                    continue

    def web() -> None:
        with Connection("filesystem://", transport_options=options) as connection:
            producer = connection.Producer()
            while not stop.is_set():
                producer.publish(
                    {"task": "x" * 2000},
                    exchange=queue.exchange,
                    routing_key="celery",
                    declare=[queue],
                    serializer="json",
                )

    threads = [threading.Thread(target=worker), threading.Thread(target=web)]
    for thread in threads:
        thread.start()
    time.sleep(SECONDS)
    stop.set()
    for thread in threads:
        thread.join()

    assert read[0] > 100  # it did read, under load
    assert half_read == []
