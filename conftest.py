"""Import the real packages before pytest names test modules after their paths: a test folder
such as shared/tests would otherwise make pytest invent an empty `shared` module."""

import shared.db  # noqa: F401
