"""R4.1, invariant 5: any change, removal or reordering of a journal entry is detected."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from autonom.domain.journal import JournalEntry, first_break, next_entry


def journal(n: int) -> list[JournalEntry]:
    entries: list[JournalEntry] = []
    for i in range(n):
        entries.append(next_entry(entries[-1] if entries else None, "op", f'{{"i":{i}}}'))
    return entries


def test_an_untouched_journal_verifies() -> None:
    assert first_break(journal(50)) is None


@given(st.integers(2, 30), st.data())
def test_a_changed_payload_is_detected_at_its_entry(n: int, data: st.DataObject) -> None:
    entries = journal(n)
    i = data.draw(st.integers(0, n - 1))
    entries[i] = replace(entries[i], payload=entries[i].payload + " ")
    assert first_break(entries) == i + 1


@given(st.integers(2, 30), st.data())
def test_a_removed_entry_is_detected(n: int, data: st.DataObject) -> None:
    entries = journal(n)
    i = data.draw(st.integers(0, n - 2))
    del entries[i]
    assert first_break(entries) == i + 1


@given(st.integers(3, 30), st.data())
def test_swapped_entries_are_detected(n: int, data: st.DataObject) -> None:
    entries = journal(n)
    i = data.draw(st.integers(0, n - 2))
    entries[i], entries[i + 1] = entries[i + 1], entries[i]
    assert first_break(entries) == i + 1
