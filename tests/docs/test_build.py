"""The docs site builds with --strict, and its generated pages cover every command and API name."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytest.importorskip("mkdocs", reason="the docs extra is not installed: pip install -e '.[docs]'")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return out


def test_cli_reference_lists_every_command(site):
    from squall.cli import main

    page = (site / "cli" / "index.html").read_text()
    for name, command in main.commands.items():
        assert f"squall {name}" in page, name
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--"):
                    assert opt in page, f"squall {name} {opt}"


def test_api_reference_has_the_public_testing_api(site):
    import squall.testing

    page = (site / "api" / "index.html").read_text()
    for name in ("BoltHarness", "SpoutHarness", "run_topology", "TopologyResult", "make_tuple"):
        assert name in squall.testing.__all__ and f"squall.testing.{name}" in page


def test_nav_holds_every_page():
    import yaml

    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text().replace("!!python/name:", ""))["nav"]
    flat = []

    def walk(items):
        for item in items:
            for value in item.values():
                walk(value) if isinstance(value, list) else flat.append(value)

    walk(nav)
    assert sorted(flat) == sorted(p.name for p in (ROOT / "docs").glob("*.md"))
