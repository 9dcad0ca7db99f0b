"""Stand-ins for the tests: a backend that records its calls and answers as told."""

from __future__ import annotations

from typing import ClassVar

from notify.backends import Backend
from people.models import Message


class RecordingBackend(Backend):
    """Records each call (the message's id and the status its row had then) and
    answers with the next of `script` (an exception is raised; a string is the
    provider's id), or a made-up id once the script is used up."""

    calls: ClassVar[list[tuple[int, str]]] = []
    script: ClassVar[list[Exception | str]] = []

    @classmethod
    def reset(cls, *script: Exception | str) -> None:
        cls.calls.clear()
        cls.script[:] = list(script)

    def send(self, message: Message) -> str:
        status = Message.objects.values_list("status", flat=True).get(pk=message.pk)
        self.calls.append((message.pk, status))
        answer = self.script.pop(0) if self.script else f"fake-{len(self.calls)}"
        if isinstance(answer, Exception):
            raise answer
        return answer
