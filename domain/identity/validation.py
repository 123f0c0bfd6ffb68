"""Pure input rules for accounts."""

from __future__ import annotations

import re

from domain.identity.errors import InvalidAccountInput

PASSWORD_MIN = 10
PASSWORD_MAX = 256  # hashing a megabyte "password" is a cheap denial of service
NAME_MAX = 100

_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")


def normalise_email(email: str, *, field: str = "email") -> str:
    value = email.strip().lower()
    if len(value) > 254 or not _EMAIL.match(value):
        raise InvalidAccountInput(f"{email!r} is not an email address", field=field)
    return value


def check_password(password: str, *, field: str = "password") -> str:
    if len(password) < PASSWORD_MIN:
        raise InvalidAccountInput(
            f"the password must be at least {PASSWORD_MIN} characters", field=field
        )
    if len(password) > PASSWORD_MAX:
        raise InvalidAccountInput(
            f"the password must be at most {PASSWORD_MAX} characters", field=field
        )
    return password


def check_name(name: str, *, field: str = "name") -> str:
    value = " ".join(name.split())
    if not value:
        raise InvalidAccountInput("a name is required", field=field)
    if len(value) > NAME_MAX:
        raise InvalidAccountInput(f"the name must be at most {NAME_MAX} characters", field=field)
    return value
