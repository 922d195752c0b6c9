"""Who may use the workbench: users, their roles and hashed passwords from a YAML file.

    users:
      a.moreau: {role: analyst, password_hash: "scrypt:32768:8:1$..."}
      j.berg:   {role: supervisor, password_hash: "..."}
      k.olsen:  {role: auditor, password_hash: "..."}

Hashes are werkzeug.security's (scrypt by default); make one with
`.venv/bin/python -m workbench.auth hash` (reads the password without echo). Roles, each with the
rights of the ones before it where that makes sense:

- auditor: reads everything (queue, cases, rule sets, health, the audit log), changes nothing;
- analyst: also records control results and runs backtests;
- supervisor: also publishes rule sets.
"""
from __future__ import annotations

import getpass
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml
from werkzeug.security import check_password_hash, generate_password_hash

ROLES = ("analyst", "supervisor", "auditor")
# right -> roles that hold it; every route names the right it needs (workbench/server.py)
RIGHTS = {
    "read": {"analyst", "supervisor", "auditor"},
    "record": {"analyst", "supervisor"},
    "backtest": {"analyst", "supervisor"},
    "publish": {"supervisor"},
    "audit": {"supervisor", "auditor"},
}
# Checked against when the user name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a password")


class ConfigError(ValueError):
    """A users file that cannot be used."""


@dataclass(frozen=True)
class User:
    name: str
    role: str

    def can(self, right: str) -> bool:
        return self.role in RIGHTS[right]


class Users:
    def __init__(self, users: dict[str, tuple[str, str]]):
        self._users = users  # name -> (role, hash)

    @classmethod
    def load(cls, path: str | Path) -> "Users":
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"no users file at {path}") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path} is not valid YAML: {exc}") from None
        entries = (data or {}).get("users") if isinstance(data, dict) else None
        if not isinstance(entries, dict) or not entries:
            raise ConfigError(f"{path}: expected a mapping `users:` of name -> {{role, password_hash}}")
        users = {}
        for name, entry in entries.items():
            if not isinstance(entry, dict):
                raise ConfigError(f"{path}: users.{name}: expected {{role, password_hash}}")
            role, hashed = entry.get("role"), entry.get("password_hash")
            if role not in ROLES:
                raise ConfigError(f"{path}: users.{name}.role: {role!r} is not one of {', '.join(ROLES)}")
            if not isinstance(hashed, str) or "$" not in hashed:
                raise ConfigError(f"{path}: users.{name}.password_hash: expected a werkzeug.security hash "
                                  f"(python -m workbench.auth hash), never a plain password")
            users[str(name)] = (role, hashed)
        return cls(users)

    def authenticate(self, name: str, password: str) -> User | None:
        role, hashed = self._users.get(name, (None, _DUMMY_HASH))
        ok = check_password_hash(hashed, password)
        return User(name, role) if ok and role else None

    def get(self, name: str) -> User | None:
        entry = self._users.get(name)
        return User(name, entry[0]) if entry else None


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv != ["hash"]:
        print("usage: python -m workbench.auth hash   (prints a password hash for the users file)", file=sys.stderr)
        return 2
    password = getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    if not password:
        print("workbench.auth: empty password", file=sys.stderr)
        return 2
    print(generate_password_hash(password))
    return 0


if __name__ == "__main__":
    sys.exit(main())
