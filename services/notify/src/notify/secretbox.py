"""Webhook secrets encrypted at rest: a copy of the database alone cannot forge signatures."""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr


def _keys(value: str) -> list[str]:
    return [key.strip() for key in value.split(",") if key.strip()]


def key_problem(value: str) -> str | None:
    """Why `value` is not a usable key list, or None. Generate a key with Fernet.generate_key()."""
    keys = _keys(value)
    if not keys:
        return "secret_key is empty"
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            return f"key {position} is not a Fernet key (32 url-safe base64-encoded bytes)"
    return None


class SecretBox:
    """Several keys allow key rotation: the first encrypts, any of them decrypts."""

    def __init__(self, secret_key: SecretStr | None) -> None:
        if secret_key is None:
            raise RuntimeError(
                "NOTIFY_SECRET_KEY is not set: notify refuses to store webhook secrets unencrypted. "
                "Generate one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'"
            )
        self._fernet = MultiFernet([Fernet(key) for key in _keys(secret_key.get_secret_value())])

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def open(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise RuntimeError("a stored webhook secret does not decrypt with NOTIFY_SECRET_KEY") from None
