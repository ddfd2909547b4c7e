"""What a browser downloads: the app's static files beside two JavaScript consent managers."""

from __future__ import annotations

import gzip
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

STATIC_DIR = "cookie_consent/static/cookie_consent"

# The files each library's documentation has a site include, from its npm package.
LIBRARIES = (
    (
        "vanilla-cookieconsent@3.1.0",
        ("package/dist/cookieconsent.umd.js", "package/dist/cookieconsent.css"),
        15_400,
    ),
    # klaro.js is the default build, its CSS inside the script.
    ("klaro@0.7.22", ("package/dist/klaro.js",), 69_000),
)


@dataclass(frozen=True)
class Asset:
    name: str
    raw: int
    gzipped: int


@dataclass(frozen=True)
class Bundle:
    name: str
    assets: tuple[Asset, ...]
    # Set when the figure is the documented fallback, not a measurement.
    note: str = ""

    @property
    def raw(self) -> int:
        return sum(asset.raw for asset in self.assets)

    @property
    def gzipped(self) -> int:
        return sum(asset.gzipped for asset in self.assets)


def gzipped_size(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def shipped(repo: Path) -> Bundle:
    """Every .js and .css file the app ships, each compressed on its own, as served."""
    static_dir = repo / STATIC_DIR
    assets = []
    for path in sorted(p for p in static_dir.rglob("*") if p.suffix in (".js", ".css")):
        data = path.read_bytes()
        assets.append(Asset(str(path.relative_to(static_dir)), len(data), gzipped_size(data)))
    return Bundle(f"django-cookie-guard ({STATIC_DIR}/)", tuple(assets))


def library(spec: str, members: tuple[str, ...], fallback: int) -> Bundle:
    """``npm pack`` the package into a temporary folder and measure ``members``."""
    npm = shutil.which("npm")
    with tempfile.TemporaryDirectory() as folder:
        try:
            if npm is None:
                raise OSError("npm is not installed")
            done = subprocess.run(
                [npm, "pack", spec, "--pack-destination", folder, "--silent"],
                capture_output=True,
                text=True,
                timeout=180,
                check=True,
            )
            archive = Path(folder) / done.stdout.strip().splitlines()[-1]
            with tarfile.open(archive) as tar:
                assets = []
                for member in members:
                    extracted = tar.extractfile(member)
                    assert extracted is not None, member
                    data = extracted.read()
                    assets.append(
                        Asset(member.removeprefix("package/"), len(data), gzipped_size(data))
                    )
        except (OSError, subprocess.SubprocessError, KeyError, tarfile.TarError) as error:
            note = f"npm unreachable ({error}); documented figure used instead"
            return Bundle(spec, (Asset(", ".join(members), 0, fallback),), note)
    return Bundle(spec, tuple(assets))


def all_bundles(repo: Path) -> list[Bundle]:
    return [shipped(repo)] + [library(*entry) for entry in LIBRARIES]
