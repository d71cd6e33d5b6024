"""A fresh machine gets what CI tested: every install goes through requirements.lock."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
LOCK_LINE = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;#]+)")


def locked() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        match = LOCK_LINE.match(line)
        if match:
            pins[canonicalize_name(match[1])] = match[2]
    return pins


def declared() -> list[Requirement]:
    return [Requirement(r) for r in
            [*PROJECT["dependencies"], *PROJECT["optional-dependencies"]["test"]]]


def test_every_declared_dependency_is_pinned_within_its_declared_range():
    pins = locked()
    for requirement in declared():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in requirements.lock: refresh it (README)"
        assert requirement.specifier.contains(pins[name]), \
            f"{name}=={pins[name]} is outside pyproject's {requirement.specifier}"


def test_every_declared_dependency_has_an_upper_bound():
    for requirement in declared():
        assert any(spec.operator in ("<", "<=", "==", "~=") for spec in requirement.specifier), \
            f"{requirement} has no upper bound: a new major release would install untested"


def test_the_environment_running_these_tests_is_the_locked_one():
    """What these tests passed on is what the lock gives a fresh machine."""
    different = {}
    for name, version in locked().items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            different[name] = (version, "not installed")
            continue
        if installed != version:
            different[name] = (version, installed)
    assert not different, f"lock vs installed: {different}; install with -c requirements.lock"


def test_every_install_command_uses_the_lock():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = [line for line in readme.splitlines() if line.startswith("python3 -m venv")]
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    commands += [" ".join(service.get("command", [])) for service in
                 compose["services"].values()]
    commands += [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
                 if "pip install" in line]
    installs = [c for c in commands if "pip install" in c]
    assert len(installs) >= 5  # two README commands, the API and dashboards images, CI
    for command in installs:
        assert "-c requirements.lock" in command, command
