"""The embedded default's broker (`make run`): kombu's filesystem transport, with
each message written whole before a worker can see it.

kombu's own creates the message file under its final name, then locks and writes it,
while a worker reads the folder without the lock: a worker polling it could take a
file still empty, fail to parse it and stop (celery/kombu#1551), and `make run` (whose
processes stop together) went down with it, nine minutes into a demo under load.
Here a message is written under a name no worker reads, then renamed into place,
which one filesystem does at once."""

from __future__ import annotations

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

# Not a message to a worker: its name does not end in ".<queue>.msg".
PARTIAL = ".part"


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        """Put `payload` onto `queue`: written, then renamed into view."""
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = final + PARTIAL
        try:
            with open(partial, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
