"""Settings (pydantic-settings): environment variables ``CANBAO_*``, read when asked for.

``CANBAO_DATABASE_URL`` selects the database; the default is a SQLite file in the user's data
folder (``platformdirs``), so that every command works on a fresh machine.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from platformdirs import user_data_dir
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_database_url() -> str:
    folder = Path(user_data_dir("canbao", appauthor=False))
    return f"sqlite:///{folder / 'canbao.db'}"


class Settings(BaseSettings):
    """Attributes:
    database_url: SQLAlchemy URL (``sqlite:///…`` or ``postgresql+psycopg://…``).
    actor: who the command line acts as, recorded with every change it makes.
    """

    model_config = SettingsConfigDict(env_prefix="CANBAO_")

    database_url: str = ""
    actor: str = "cli"

    def url(self) -> str:
        return self.database_url or default_database_url()


@cache
def settings() -> Settings:
    return Settings()
