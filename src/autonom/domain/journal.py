"""The fiscal journal's chain (R4.1, invariant 5): each entry's hash covers the previous
hash, its sequence, its kind and its payload, so a change, removal or reordering of any
entry breaks every hash after it. Signing the hashes is added by the fiscal part."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

GENESIS = "0" * 64


@dataclass(frozen=True)
class JournalEntry:
    seq: int
    kind: str
    payload: str  # canonical JSON of the operation
    prev_hash: str
    hash: str


def chain_hash(prev_hash: str, seq: int, kind: str, payload: str) -> str:
    """The hash of an entry, given the hash of the entry before it."""
    material = f"{prev_hash}\n{seq}\n{kind}\n{payload}".encode()
    return hashlib.sha256(material).hexdigest()


def next_entry(prev: JournalEntry | None, kind: str, payload: str) -> JournalEntry:
    """The entry that follows ``prev`` (``None`` for the first entry of a journal)."""
    prev_hash = prev.hash if prev else GENESIS
    seq = prev.seq + 1 if prev else 1
    return JournalEntry(seq, kind, payload, prev_hash, chain_hash(prev_hash, seq, kind, payload))


def first_break(entries: Iterable[JournalEntry]) -> int | None:
    """The sequence of the first entry that does not chain, or ``None`` if all do."""
    prev_hash, expected_seq = GENESIS, 1
    for entry in entries:
        if entry.seq != expected_seq or entry.prev_hash != prev_hash:
            return expected_seq
        if entry.hash != chain_hash(entry.prev_hash, entry.seq, entry.kind, entry.payload):
            return entry.seq
        prev_hash, expected_seq = entry.hash, expected_seq + 1
    return None
