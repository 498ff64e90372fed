"""Users of the service (issue 8): a role, a region scope, an argon2 password hash.

The roles and what each may do are one table (``PERMISSIONS``), which the API and the web UI
both check. A region scope is a city (with its counties) or one county of the region hierarchy
in the policy data (``Policy.within``); a user reaches the people enrolled within it only.
Passwords are never stored or logged in clear: argon2id hashes (argon2-cffi's defaults).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, insert, select

from canbao.adapters import tables as t
from canbao.adapters.database import UnitOfWork
from canbao.policy import Policy, load_policy
from canbao.services.review import Refused

#: Roles: code → name as the offices say it.
ROLES = {
    "clerk": "经办员",
    "reviewer": "审核员",
    "city_admin": "市级管理员",
    "tax": "税务接口",
    "analyst": "分析员",
}

#: What each permission allows, and the roles that have it.
PERMISSIONS: dict[str, frozenset[str]] = {
    # Any signed-in user: the engine's decisions (no personal data) and the health check.
    "decide": frozenset(ROLES),
    # A person's full record (1101 status): audited.
    "person.read": frozenset({"clerk", "reviewer", "city_admin", "tax"}),
    # Lists of persons; identity numbers, phones and accounts masked unless ``unmasked``.
    "person.list": frozenset({"clerk", "reviewer", "city_admin", "analyst"}),
    # Registration, change, stop, scheme switching, units, imports of the 登记表.
    "person.write": frozenset({"clerk", "city_admin"}),
    # The yearly assessment (W2).
    "collection.assess": frozenset({"clerk", "city_admin"}),
    # The 应征数据 file and the deduction feedback: the tax bureau's exchange (K1).
    "collection.exchange": frozenset({"tax", "clerk", "city_admin"}),
    # Hardship lists: import (maker) and confirm (checker); funding requests.
    "hardship.import": frozenset({"clerk", "city_admin"}),
    "hardship.confirm": frozenset({"reviewer", "city_admin"}),
    "hardship.funding": frozenset({"clerk", "reviewer", "city_admin", "analyst"}),
    # Refunds: apply and pay (maker), confirm (checker: never the applicant, services.review).
    "refund.apply": frozenset({"clerk", "city_admin"}),
    "refund.confirm": frozenset({"reviewer", "city_admin"}),
    "refund.pay": frozenset({"clerk", "city_admin"}),
    # The list of refund cases by state (the makers' and the checkers' work).
    "refund.list": frozenset({"clerk", "reviewer", "city_admin"}),
    # Duplicate enrollments (W7): detect, record the person's commitment and apply the
    # confirmed proposals (maker); confirm or reject (checker: never the proposer); the list.
    "duplicates.propose": frozenset({"clerk", "city_admin"}),
    "duplicates.review": frozenset({"reviewer", "city_admin"}),
    "duplicates.list": frozenset({"clerk", "reviewer", "city_admin", "analyst"}),
    # Matching a roster against the registry of the scope (SPEC section 7).
    "match": frozenset({"clerk", "reviewer", "city_admin"}),
    # What-if assessments (W11): totals only.
    "whatif": frozenset({"analyst", "city_admin"}),
    # Coverage against the targets (T1) and the compulsory-education students (T3): counts.
    "targets.read": frozenset({"clerk", "reviewer", "city_admin", "analyst"}),
}

#: Roles that see identity numbers, phones and bank accounts in lists (their work needs them).
UNMASKED = frozenset({"clerk", "reviewer", "city_admin", "tax"})

#: The demo users ``canbao serve`` creates on an empty database: a city scope (every role) and
#: a county scope (the roles that work in a county office).
DEMO_SCOPES = (("520100", tuple(ROLES)), ("440783", ("clerk", "reviewer", "tax", "analyst")))


@dataclass(frozen=True)
class User:
    """A signed-in user: ``region`` is the scope (a city with its counties, or one county)."""

    name: str
    role: str
    region: str

    def may(self, permission: str) -> bool:
        return self.role in PERMISSIONS.get(permission, frozenset())

    @property
    def unmasked(self) -> bool:
        return self.role in UNMASKED


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def add_user(
    uow: UnitOfWork,
    name: str,
    role: str,
    region: str,
    password: str,
    policy: Policy | None = None,
) -> User:
    """A new user with the password's argon2 hash; refused for an unknown role, a region that
    is neither a city nor a county of the hierarchy, a short password or a name taken."""
    policy = policy or load_policy()
    if not name or len(name) > 64 or not name.isprintable() or name != name.strip():
        raise Refused("用户名应为1至64个可打印字符，首尾不含空格。")
    if role not in ROLES:
        raise Refused(
            f"角色 {role!r} 不存在（{'、'.join(f'{k} {v}' for k, v in ROLES.items())}）。"
        )
    level = policy.regions[region].level if region in policy.regions else None
    if level not in ("city", "county"):
        raise Refused(f"区划 {region!r} 不是政策数据中的市或县（区）。")
    if len(password) < 10:
        raise Refused("密码至少10个字符。")
    if find_user(uow.connection, name) is not None:
        raise Refused(f"用户 {name} 已存在。")
    change_id = uow.record("user_add", reason=f"用户 {name}：{ROLES[role]}，{region}")
    uow.connection.execute(
        insert(t.app_user).values(
            username=name,
            password_hash=_hasher().hash(password),
            role=role,
            admdvs=region,
            change_id=change_id,
        )
    )
    return User(name, role, region)


def find_user(connection: Connection, name: str) -> User | None:
    row = connection.execute(
        select(t.app_user.c.role, t.app_user.c.admdvs).where(t.app_user.c.username == name)
    ).first()
    return None if row is None else User(name, row.role, row.admdvs)


def authenticate(connection: Connection, name: str, password: str) -> User | None:
    """The user whose password this is, or None (unknown name or wrong password: the same
    answer, and the same work, so that a name cannot be told from the time taken)."""
    row = (
        connection.execute(select(t.app_user).where(t.app_user.c.username == name))
        .mappings()
        .first()
    )
    stored = row["password_hash"] if row is not None else _unknown_hash()
    try:
        _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    return None if row is None else User(name, row["role"], row["admdvs"])


@cache
def _unknown_hash() -> str:
    return _hasher().hash(secrets.token_urlsafe(16))


def has_users(connection: Connection) -> bool:
    return connection.execute(select(t.app_user.c.username).limit(1)).first() is not None


def add_demo_users(uow: UnitOfWork, policy: Policy | None = None) -> list[tuple[User, str]]:
    """One user per role and scope of ``DEMO_SCOPES`` (named ``<role>-<region>``), each with a
    new random password, returned once to be shown; only the hashes are kept."""
    created = []
    for region, roles in DEMO_SCOPES:
        for role in roles:
            password = secrets.token_urlsafe(12)
            created.append((add_user(uow, f"{role}-{region}", role, region, password, policy),
                            password))  # fmt: skip
    return created


def first_start(url: str, persons: int, policy: Policy | None = None) -> list[tuple[User, str]]:
    """On a database that holds nothing yet (no change ever recorded): the demo population
    (``services.demo``, ``persons`` persons), its collection year with targets
    (``services.demo_year``) and the demo users, whose passwords are returned
    once. On any other database: nothing is loaded, and nothing returned."""
    from canbao.adapters.database import Actor, ready, unit_of_work
    from canbao.services import demo, demo_year

    policy = policy or load_policy()
    with ready(url).connect() as connection:
        if connection.execute(select(t.change_log.c.id).limit(1)).first() is not None:
            return []
    with unit_of_work(url, Actor(demo.ACTOR)) as uow:
        demo.load(uow, persons)
    with unit_of_work(url, Actor(demo.ACTOR)) as uow:
        demo_year.load(uow, policy)
    with unit_of_work(url, Actor("serve")) as uow:
        return add_demo_users(uow, policy)
