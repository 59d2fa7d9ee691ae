"""Typed errors. Every message is one line, names the problem, and carries no personal data."""


class SipolError(Exception):
    """Base of the errors the CLI turns into a one-line message and a non-zero exit."""

    exit_code = 2


class InputError(SipolError):
    """A run's inputs (URLs, schemas, party map, region file, settings) are unusable."""


class ConnectionFailed(SipolError):
    """A database could not be reached."""


class LedgerError(SipolError):
    """A ledger does not balance: some legacy row has no outcome, or more than one."""

    exit_code = 3


class InjectedFault(SipolError):
    """Raised by the test-only fault settings (see Settings.fault_*)."""

    exit_code = 9
