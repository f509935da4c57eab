"""The one error documents raise: its message is a Chinese sentence shown to the user as it is."""


class DocumentError(Exception):
    pass
