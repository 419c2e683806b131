"""Errors with a code, the place they concern, and what to do next.

Codes are stable so that users can search for them; messages say which
file (and line or task) was wrong and what to do about it.
"""
from __future__ import annotations


class ObligationsError(Exception):
    """Base class: ``code`` (e.g. ``E101``), a message, and a hint."""

    code = "E000"

    def __init__(self, message: str, *, hint: str = "", path: str = "", line: int | None = None):
        self.message = message
        self.hint = hint
        self.path = path
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path + (f":{self.line}" if self.line is not None else "")
        text = f"[{self.code}] " + (f"{where}: " if where else "") + self.message
        return text + (f" ({self.hint})" if self.hint else "")


class UsageError(ObligationsError):
    """Bad command-line usage or configuration (exit code 2)."""

    code = "E001"


class ParamsError(UsageError):
    """params.yaml names an unknown key or a value of the wrong type."""

    code = "E002"


class IngestError(ObligationsError):
    """A page could not be read; it becomes a documents row with this status."""

    code = "E100"
    status = "error"


class EmptyFile(IngestError):
    code = "E101"
    status = "empty"


class BinaryFile(IngestError):
    code = "E102"
    status = "binary"


class UndecodableFile(IngestError):
    code = "E103"
    status = "undecodable"


class UnsupportedFormat(IngestError):
    code = "E104"
    status = "unsupported"


class TooLarge(IngestError):
    code = "E105"
    status = "too_large"


class NoBody(IngestError):
    """The page decoded, but nothing but boilerplate was left."""

    code = "E106"
    status = "empty"


class ModelMissing(ObligationsError):
    """A component needs weights that are not on disk (nothing is ever downloaded)."""

    code = "E200"


class ModelInvalid(ObligationsError):
    code = "E201"


class AnnotationError(ObligationsError):
    """A gold or Label Studio file is malformed."""

    code = "E300"
