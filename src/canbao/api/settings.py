"""The service's settings: the registry's (``canbao.config``) and the API's own, from
``CANBAO_*`` environment variables."""

from __future__ import annotations

import secrets

from pydantic_settings import SettingsConfigDict

from canbao.config import Settings


class ApiSettings(Settings):
    """Attributes:
    secret_key: the key that signs access tokens (``CANBAO_SECRET_KEY``); when empty, a
      random key of the process: tokens then end with the process (fine for one server).
    token_minutes: how long an access token is valid.
    login_failures, login_window_seconds: at most this many failed logins per username and
      per client address within the window; more are refused (429) until it passes.
    """

    model_config = SettingsConfigDict(env_prefix="CANBAO_")

    secret_key: str = ""
    token_minutes: int = 480
    login_failures: int = 5
    login_window_seconds: int = 300

    def signing_key(self) -> bytes:
        return self.secret_key.encode() if self.secret_key else _process_key()


_KEY: list[bytes] = []


def _process_key() -> bytes:
    if not _KEY:
        _KEY.append(secrets.token_bytes(32))
    return _KEY[0]
