"""Errors users see: each names what went wrong and where, so the message alone is actionable."""


class MopsError(Exception):
    """Base for errors reported to users without a traceback."""


class RefusedFile(MopsError):
    """A landing file that cannot be loaded; nothing of it was written."""

    def __init__(self, path: str, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"refused {path}: {reason}")


class WarehouseError(MopsError):
    """A warehouse that cannot be reached, or a relation that cannot be resolved or read."""


class WarehouseBypass(MopsError):
    """Agent code opened its own connection to the warehouse instead of going through the runtime."""


class WarehouseBusy(MopsError):
    """The embedded warehouse is open read-write in another process."""


class WarehouseMissing(MopsError, FileNotFoundError):
    """The warehouse file does not exist yet (nothing ingested or built)."""
