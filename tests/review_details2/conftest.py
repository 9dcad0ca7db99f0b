"""The fixtures of tests/person_details (Jon Barker, his held case and contact)."""

from tests.person_details.conftest import held_case, held_contact, jon

__all__ = ["held_case", "held_contact", "jon"]
