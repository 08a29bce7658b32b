"""A push the server refused, in plain words: what happened and what to do (issue 9,
point 1). The cashier page and the back office show the same words for the same code; the
till keeps selling meanwhile, its operations stay in its outbox until the push is placed."""

from __future__ import annotations

from dataclasses import dataclass

from autonom.domain import errors


@dataclass(frozen=True)
class PushAdvice:
    """What a person reads about a refused push."""

    happened: str
    to_do: str
    mends_itself: bool  # the till mends it by itself (it realigns, or retries soon)


MANAGER_INSTALLS = (
    "In the back office, open this till's page and issue a new credential; then a manager "
    "installs it on the till (its page, or `autonom till credential`). The till sends at once."
)

ADVICE: dict[str, PushAdvice] = {
    errors.BAD_CREDENTIAL: PushAdvice(
        "The server does not accept this till's credential (it was renewed, or the till was "
        "never registered with this server).",
        MANAGER_INSTALLS,
        False,
    ),
    errors.WRONG_TILL: PushAdvice(
        "The server says these operations belong to another till (its credential or an "
        "event names another till number).",
        "Check that the till runs with its own number and its own data folder; call support "
        "before anything is changed. Nothing is lost: the operations wait on the till.",
        False,
    ),
    errors.FOREIGN_RANGE: PushAdvice(
        "A receipt number is not from this till's range.",
        "Call support: the till's number or its receipt ranges do not match the server. "
        "Nothing is lost: the operations wait on the till.",
        False,
    ),
    errors.SEQUENCE_GAP: PushAdvice(
        "The server holds less of this till's log than the till thought.",
        "Nothing: the till asks the server where it stands and sends from there.",
        True,
    ),
    errors.SEQUENCE_CONFLICT: PushAdvice(
        "The server holds other operations at the same place in this till's log (a restored "
        "backup, or two tills with one number).",
        "Call support before selling on a second till with this number. If this till was "
        "restored from a backup, " + MANAGER_INSTALLS[0].lower() + MANAGER_INSTALLS[1:],
        False,
    ),
    errors.LOG_MISMATCH: PushAdvice(
        "This till's database is not the one the server knows for this till number (a "
        "replaced or restored till), and its credential is older than the server's log.",
        MANAGER_INSTALLS,
        False,
    ),
    errors.CONTRACT_TOO_NEW: PushAdvice(
        "This till speaks a newer version of the protocol than the server.",
        "Update the server; the till sends by itself once it is updated.",
        False,
    ),
    errors.BODY_TOO_LARGE: PushAdvice(
        "The batch was larger than the server accepts.",
        "Nothing: the till sends smaller batches by itself. Call support if this stays.",
        True,
    ),
    errors.INVALID_INPUT: PushAdvice(
        "The server refused a value in the operations (it names the field).",
        "Call support with the message: the till and the server disagree about a field. "
        "Nothing is lost: the operations wait on the till.",
        False,
    ),
    errors.MALFORMED_JSON: PushAdvice(
        "The server could not read what the till sent.",
        "Call support. Nothing is lost: the operations wait on the till.",
        False,
    ),
}

UNKNOWN = PushAdvice(
    "The server refused the operations.",
    "Call support with the code and the message. Nothing is lost: the operations wait on the till.",
    False,
)


def push_advice(code: str) -> PushAdvice:
    """What happened and what to do for a push refused with ``code``."""
    return ADVICE.get(code, UNKNOWN)
