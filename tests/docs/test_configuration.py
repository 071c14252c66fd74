"""docs/configuration.md lists every conf key squall's code reads, and only real ones."""

import re
from pathlib import Path

import tomllib

from squall.config._project import _ENV_KEYS, _TOP_KEYS

SRC = Path(__file__).resolve().parents[2] / "src" / "squall"
PAGE = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text()
KEY = re.compile(r"[\"'`]((?:topology|squall\.engine|squall\.log)\.[a-z0-9_.]+)[\"'`]")
NOT_CONF = {"squall.testing.feed.rows"}  # internal: the harness's own feed spout


def _keys_in_code():
    keys = set()
    for path in SRC.rglob("*.py"):
        if "devcluster" in path.parts or "testing" in path.parts:
            continue
        keys |= set(KEY.findall(path.read_text()))
    return {k for k in keys if not k.endswith(".")} - NOT_CONF


def _keys_in_page():
    return set(re.findall(r"^\| `([a-z0-9_.]+)` \|", PAGE, re.M))


def test_every_key_in_the_code_is_documented():
    missing = _keys_in_code() - _keys_in_page()
    assert not missing, f"add these keys to docs/configuration.md: {sorted(missing)}"


def test_every_documented_key_exists():
    code = "\n".join(p.read_text() for p in SRC.rglob("*.py"))
    unknown = {k for k in _keys_in_page() if k not in code}
    assert not unknown, f"docs/configuration.md lists keys squall never reads: {sorted(unknown)}"


def test_squall_toml_example_uses_every_key_and_only_known_ones():
    block = re.search(r"```toml\n(.*?)```", PAGE, re.S).group(1)
    data = tomllib.loads(block)
    assert set(data) == set(_TOP_KEYS)
    assert set(data["env"]["prod"]) == set(_ENV_KEYS)
