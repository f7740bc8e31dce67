"""Dependencies: compatible ranges in pyproject.toml, and one constraints file that CI and the image install.

A fresh machine must get what CI tested: every direct dependency has an upper bound (the next major
version, or the next minor one for 0.x releases), and ``constraints.txt`` pins it to a version inside
that range; ``.ci/run`` and the Dockerfile install with ``-c constraints.txt``.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _requirements() -> list[Requirement]:
    project = _pyproject()["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    for extra in project.get("optional-dependencies", {}).values():
        reqs += [Requirement(r) for r in extra]
    return reqs


def _pins() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for raw in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        assert m, f"constraints.txt: not a NAME==VERSION pin: {raw!r}"
        name = canonicalize_name(m.group(1))
        assert name not in pins, f"constraints.txt pins {name} twice"
        pins[name] = Version(m.group(2))
    return pins


def _upper_bound(req: Requirement) -> Version | None:
    uppers = [Version(s.version) for s in req.specifier if s.operator in ("<", "<=", "==", "~=")]
    return min(uppers) if uppers else None


@pytest.mark.parametrize("req", _requirements(), ids=lambda r: r.name)
def test_dependency_has_a_compatible_range_and_a_pin_inside_it(req: Requirement) -> None:
    upper = _upper_bound(req)
    assert upper is not None, f"{req} has no upper bound (use >=X.Y,<X+1)"
    lowers = [Version(s.version) for s in req.specifier if s.operator in (">=", ">")]
    assert lowers, f"{req} has no lower bound"
    low = max(lowers)
    # no wider than one major version (one minor version for 0.x releases)
    limit = Version(f"0.{low.minor + 1}") if low.major == 0 else Version(f"{low.major + 1}")
    assert upper <= limit, f"{req}: the range is wider than {low} … <{limit}"
    pins = _pins()
    name = canonicalize_name(req.name)
    assert name in pins, f"{req.name} is not pinned in constraints.txt"
    assert req.specifier.contains(pins[name], prereleases=True), (
        f"constraints.txt pins {req.name}=={pins[name]}, outside {req.specifier}"
    )
    for extra in req.extras:  # psycopg[binary] → psycopg-binary, celery[redis] → redis
        if extra == "binary":
            assert canonicalize_name(f"{req.name}-binary") in pins


def test_build_requirement_is_bounded_too() -> None:
    for raw in _pyproject()["build-system"]["requires"]:
        assert _upper_bound(Requirement(raw)) is not None, f"build requirement {raw} has no upper bound"


def test_ci_and_image_install_from_the_constraints_file() -> None:
    install = re.compile(r"pip install[^\n]*-c constraints\.txt")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert install.search(ci), ".ci/run does not install with -c constraints.txt"
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert install.search(dockerfile), "the Dockerfile does not install with -c constraints.txt"
    assert re.search(r"^COPY[^\n]*constraints\.txt", dockerfile, re.M), (
        "the Dockerfile does not copy constraints.txt"
    )


def test_constraints_are_for_python_3_11() -> None:
    head = (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()[:10]
    assert any("3.11" in line for line in head), "constraints.txt does not say which Python it was made with"
