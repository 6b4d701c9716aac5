"""Domain errors raised by services; the API maps each to one status, pages to a message."""


class DomainError(Exception):
    status_code = 400
    code = "invalid"

    def __init__(self, message, *, fields=None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class InvalidInput(DomainError):
    """Bad input: `fields` maps a field name to its messages."""


class NotAllowed(DomainError):
    status_code = 403
    code = "permission_denied"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class TransitionNotAllowed(DomainError):
    """The lead's state does not allow the move (or it already happened)."""

    status_code = 409
    code = "conflict"
