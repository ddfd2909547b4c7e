"""``pip install .`` into a new virtualenv, then a new project with the quickstart lines.

A plain virtualenv (no system site-packages) so that a dependency missing from
pyproject.toml, or a file missing from the wheel, fails here rather than on a user's
machine. The sources are copied first: building in the working tree would leave build/
and *.egg-info behind in it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]

DEFAULT_CATEGORIES = ["necessary", "statistics", "first_party", "third_party"]
# The cookies Django and the app set in a startproject site, messages included because
# startproject leaves MESSAGE_STORAGE at its default, which falls back to a cookie.
NECESSARY_COOKIES = {"csrftoken", "django_language", "cookies_preferences", "messages"}

QUICKSTART = """
INSTALLED_APPS += ["cookie_consent"]
SESSION_COOKIE_NAME = "mysite_session"
"""

# Run by ``manage.py shell -c``; the last line it prints is the report.
INSPECT = """
import json

import cookie_consent
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from cookie_consent.catalogue.snapshot import get_catalogue
from cookie_consent.models import Cookie

catalogue = get_catalogue()
user_model = get_user_model()
admin = user_model.objects.filter(username="admin").first()
if admin is None:
    admin = user_model.objects.create_superuser("admin", "admin@example.com", "admin")
# startproject's ALLOWED_HOSTS is empty: with DEBUG, Django then accepts localhost only.
client = Client(HTTP_HOST="localhost")
client.force_login(admin)
categories_page = client.get(reverse("admin:cookie_consent_cookiecategory_changelist"))
cookies_page = client.get(reverse("admin:cookie_consent_cookie_changelist"))
report = {
    "module": cookie_consent.__file__,
    "categories": [
        {"slug": c.slug, "required": c.required, "needs_consent": c.needs_consent}
        for c in catalogue.categories
    ],
    "cookies": {c.name: c.category for cat in catalogue.categories for c in cat.cookies},
    "cookie_rows": list(Cookie.objects.values_list("name", flat=True)),
    "categories_status": categories_page.status_code,
    "cookies_status": cookies_page.status_code,
    "cookies_html": cookies_page.content.decode(),
}
print("REPORT " + json.dumps(report))
"""

IGNORED_SOURCES = shutil.ignore_patterns(
    ".git",
    ".venv",
    ".nox",
    "__pycache__",
    "*.pyc",
    "*_cache",
    ".hypothesis",
    "build",
    "dist",
    "*.egg-info",
    "db.sqlite3",
)


def run(*command: str | Path, cwd: Path, timeout: float = 120) -> str:
    env = {**os.environ}
    # Nothing from the surrounding test run may leak into the new project.
    for name in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE", "VIRTUAL_ENV"):
        env.pop(name, None)
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, (
        f"{' '.join(map(str, command))} failed ({result.returncode}):\n"
        f"{result.stdout}\n{result.stderr}"
    )
    return result.stdout


def inspect_site(python: Path, site: Path) -> dict[str, Any]:
    output = run(python, "manage.py", "shell", "-c", INSPECT, cwd=site)
    reports = [line for line in output.splitlines() if line.startswith("REPORT ")]
    assert reports, f"no report in the shell's output:\n{output}"
    report: dict[str, Any] = json.loads(reports[-1].removeprefix("REPORT "))
    return report


def assert_default_catalogue(report: dict[str, Any], session_cookie: str) -> None:
    assert [c["slug"] for c in report["categories"]] == DEFAULT_CATEGORIES
    flags = {c["slug"]: (c["required"], c["needs_consent"]) for c in report["categories"]}
    assert flags["necessary"] == (True, False)
    assert all(flags[slug] == (False, True) for slug in DEFAULT_CATEGORIES[1:])
    cookies = report["cookies"]
    for name in {*NECESSARY_COOKIES, session_cookie}:
        assert cookies.get(name) == "necessary", f"{name} not declared as necessary: {cookies}"
    # Django's default name must not be declared when the project renamed it.
    assert "sessionid" not in cookies
    duplicates = [name for name, n in Counter(report["cookie_rows"]).items() if n > 1]
    assert duplicates == []


def test_pip_install_and_startproject_give_the_default_catalogue(tmp_path: Path) -> None:
    source = tmp_path / "source"
    shutil.copytree(REPO_ROOT, source, ignore=IGNORED_SOURCES)
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    run(python, "-m", "pip", "install", "--no-input", source, cwd=tmp_path, timeout=600)

    site_packages = Path(
        run(
            python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path
        ).strip()
    )
    installed = site_packages / "cookie_consent"
    for packaged in ("py.typed", "data/reference-catalogue.json", "migrations/0001_initial.py"):
        assert (installed / packaged).is_file(), f"{packaged} is missing from the wheel"
    assert (installed / "migrations" / "__init__.py").is_file()

    site = tmp_path / "site"
    site.mkdir()
    run(venv / "bin" / "django-admin", "startproject", "mysite", site, cwd=tmp_path)
    settings_file = site / "mysite" / "settings.py"
    settings_file.write_text(settings_file.read_text() + QUICKSTART)

    run(python, "manage.py", "migrate", "--noinput", cwd=site)
    run(python, "manage.py", "check", cwd=site)
    report = inspect_site(python, site)

    # The app must come from the wheel, not from the sources next to the test.
    assert Path(report["module"]).is_relative_to(site_packages)
    assert_default_catalogue(report, "mysite_session")
    assert report["categories_status"] == 200
    assert report["cookies_status"] == 200
    assert "mysite_session" in report["cookies_html"]

    # A renamed session cookie is declared at the next migrate, next to the old name.
    settings_file.write_text(
        settings_file.read_text().replace('"mysite_session"', '"renamed_session"')
    )
    run(python, "manage.py", "migrate", "--noinput", cwd=site)
    renamed = inspect_site(python, site)

    assert_default_catalogue(renamed, "renamed_session")
    assert renamed["cookies"]["mysite_session"] == "necessary"
    assert renamed["cookies_status"] == 200
    assert "renamed_session" in renamed["cookies_html"]
