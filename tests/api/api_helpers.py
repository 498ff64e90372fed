"""What the API tests share: the residents and regions of ``conftest.url``, the app's
settings, and tokens signed with the app's key for any role and scope (``auth``), so that the
tests do not pay an argon2 verification per request; the token route itself is tested with
real users (test_login.py)."""

from __future__ import annotations

from datetime import date

from canbao.api.security import issue_token
from canbao.api.settings import ApiSettings
from canbao.certno import check_character
from canbao.domain.registry import NEW, Registration
from canbao.services.users import User

JIANGMEN, KAIPING, GUIYANG, NANMING = "440700", "440783", "520100", "520102"
SECRET = "the tests' signing key"


def certno(region: str, serial: int) -> str:
    first17 = f"{region}19800101{serial:03d}"
    return first17 + check_character(first17)


WANG, LI, ZHAO = certno(KAIPING, 1), certno(KAIPING, 2), certno(NANMING, 1)
#: Not in the registry.
NOBODY = certno(KAIPING, 9)


def resident(number: str, name: str, region: str) -> Registration:
    return Registration(
        chg_type=NEW,
        psn_name=name,
        certno=number,
        gend="1",
        brdy=date(1980, 1, 1),
        insuplc_admdvs=region,
        hukou_admdvs=region,
        accepted_on=date(2021, 10, 15),
        tel="13800138000",
        bank_acct="6222000011112222333",
    )


def settings_for(url: str) -> ApiSettings:
    return ApiSettings(database_url=url, secret_key=SECRET, login_failures=2)


def auth(role: str, region: str, name: str | None = None) -> dict[str, str]:
    """The Authorization header of a user of ``role`` and scope ``region``."""
    user = User(name or f"{role}-{region}", role, region)
    return {"Authorization": f"Bearer {issue_token(ApiSettings(secret_key=SECRET), user)}"}
