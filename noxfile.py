"""Sessions for the supported matrix and the static checks: `nox -l` lists them.

The test sessions run on SQLite (the database matrix is `.ci/run`'s job); the interpreters
come from PATH, to which pyenv's versions are added when pyenv has them.
"""

from __future__ import annotations

import glob
import os

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
# A missing interpreter is a failure, not a silently skipped part of the matrix.
nox.options.error_on_missing_interpreters = True

for version in ("3.10", "3.11", "3.12", "3.13"):
    for bin_dir in sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin"))):
        os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"

# Django 6.x needs Python 3.12 or newer.
MATRIX = [
    ("3.11", "5.2"),
    ("3.12", "6.0"),
    ("3.13", "6.0"),
    ("3.12", "6.1"),
    ("3.13", "6.1"),
]


@nox.session
@nox.parametrize(("python", "django"), MATRIX)
def tests(session: nox.Session, django: str) -> None:
    session.install("-e", ".[test]", f"django~={django}.0")
    # The browser tests run once, in .ci/run's SQLite stage: the front end is the same here.
    markers = "not slow and not browser"
    session.run("python", "-m", "pytest", "-m", markers, "--cov", *session.posargs)


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python="3.12")
def types(session: nox.Session) -> None:
    session.install("-e", ".[dev]")
    session.run("mypy")


@nox.session(python="3.11")
def docs(session: nox.Session) -> None:
    session.install("sphinx", "furo", "myst-parser")
    session.run(
        "sphinx-build", "-W", "--keep-going", "-n", "-b", "html", "docs", "docs/_build/html"
    )
