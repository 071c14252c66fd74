"""Which project files go into a jar: git's or .gitignore's allowlist, never secrets or links out."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from squall.errors import PackagingError
from squall.storm import build_jar
from squall.storm._files import select_project_files
from tests.storm._project import make_project

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

# Every secret the issue lists, with content that is not itself recognisable.
SECRETS = [
    "credentials", ".aws/credentials", ".kube/config", ".docker/config.json", "_netrc", ".netrc",
    ".s3cfg", ".boto", ".my.cnf", ".htpasswd", "terraform.tfstate", "putty.ppk", "deploy_key",
    ".bash_history", ".zsh_history", ".ENV", "ID_RSA", "key.PEM", "prod.env", ".env.production",
    "conf/.pgpass", ".git-credentials", ".npmrc", ".pypirc", ".envrc", "certs/tls.key",
    "ops/id_ed25519", "ssh/.ssh/config", "store.jks", "client_secret_123.apps.json",
]


def _names(jar: Path) -> set[str]:
    with zipfile.ZipFile(jar) as zf:
        return {n.removeprefix("resources/") for n in zf.namelist()}


def _write(root: Path, rel: str, text: str = "x = 1\n") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


@pytest.fixture()
def project(tmp_path: Path):
    root = tmp_path / "proj"
    _, module = make_project(root)
    return root, module


@pytest.fixture()
def git_project(project):
    root, module = project
    _git(root, "init", "-q")
    return root, module


def _build(root: Path, module, tmp_path: Path, **kwargs) -> set[str]:
    return _names(build_jar(module.Demo.model, root, tmp_path / "out.jar", vendor=False, **kwargs))


@needs_git
def test_git_checkout_packs_tracked_and_would_be_tracked_files_only(git_project, tmp_path):
    root, module = git_project
    _write(root, ".gitignore", "data/big/\n*.parquet\n")
    _write(root, "tracked.txt")
    _write(root, "untracked_but_not_ignored.txt")
    _write(root, "data/big/huge.csv")
    _write(root, "data/small.csv")
    _write(root, "table.parquet")
    _git(root, "add", ".gitignore", "tracked.txt")
    names = _build(root, module, tmp_path)
    assert {"tracked.txt", "untracked_but_not_ignored.txt", "data/small.csv", ".gitignore"} <= names
    assert "data/big/huge.csv" not in names and "table.parquet" not in names
    assert select_project_files(root).source == "git"


@needs_git
def test_git_checkout_never_packs_squall_runs_logs_or_pictures_even_when_tracked(git_project, tmp_path):
    root, module = git_project
    for rel in (".squall/runs/Demo-1/engine.log", "logs/a.txt", "docs/topology.png", "run.log"):
        _write(root, rel)
    _git(root, "add", "-f", ".")
    names = _build(root, module, tmp_path)
    assert not [n for n in names if n.startswith((".squall/", "logs/", "docs/")) or n == "run.log"]


@needs_git
def test_git_checkout_tolerates_a_tracked_file_deleted_from_disk(git_project, tmp_path):
    root, module = git_project
    _write(root, "gone.txt")
    _git(root, "add", "gone.txt")
    (root / "gone.txt").unlink()
    assert "gone.txt" not in _build(root, module, tmp_path)


def test_outside_git_nested_gitignores_decide_like_git(project, tmp_path):
    root, module = project
    _write(root, ".gitignore", "*.csv\n!keep.csv\nscratch/\n")
    _write(root, "data/.gitignore", "!*.csv\nlocal.csv\n")
    for rel in ("a.csv", "keep.csv", "scratch/notes.txt", "data/b.csv", "data/local.csv",
                "sub/c.csv", "code.txt"):
        _write(root, rel)
    names = _build(root, module, tmp_path)
    assert {"keep.csv", "data/b.csv", "code.txt"} <= names
    assert not {"a.csv", "scratch/notes.txt", "data/local.csv", "sub/c.csv"} & names
    assert select_project_files(root).source == "ignore files"


def test_squallignore_leaves_out_more(project, tmp_path):
    root, module = project
    _write(root, ".squallignore", "fixtures/\n*.bin\n")
    _write(root, "fixtures/sample.txt")
    _write(root, "model.bin")
    _write(root, "kept.txt")
    names = _build(root, module, tmp_path)
    assert "kept.txt" in names and "model.bin" not in names and "fixtures/sample.txt" not in names


@pytest.mark.parametrize("absolute", [False, True])
def test_symlinks_resolving_outside_the_project_are_left_out_with_a_warning(project, tmp_path, absolute):
    root, module = project
    secret = _write(tmp_path / "outside", "secret.txt", "TOP SECRET")
    (root / "leak.txt").symlink_to(secret if absolute else Path("..") / "outside" / "secret.txt")
    (root / "leakdir").symlink_to(tmp_path / "outside", target_is_directory=True)
    _write(root, "real.txt", "fine")
    (root / "alias.txt").symlink_to("real.txt")
    seen: list[str] = []
    jar = build_jar(module.Demo.model, root, tmp_path / "out.jar", vendor=False, progress=seen.append)
    names = _names(jar)
    assert "leak.txt" not in names and not any(n.startswith("leakdir") for n in names)
    assert "alias.txt" in names and "real.txt" in names
    with zipfile.ZipFile(jar) as zf:
        assert not any(b"TOP SECRET" in zf.read(n) for n in zf.namelist())
    assert f"warning: left leak.txt out of the jar: a symlink to {secret}, outside the project" in seen


@pytest.mark.parametrize("rel", SECRETS)
def test_secrets_are_refused_naming_the_file_and_the_fix(project, tmp_path, rel):
    root, module = project
    _write(root, rel, "hunter2\n")
    expected = (f"refusing to pack '{rel}' into the jar: .*; leave it out with a line '/{re.escape(rel)}' "
                f"in .gitignore or .squallignore, or include it deliberately with a line "
                f"'!/{re.escape(rel)}' in .squallignore$")
    with pytest.raises(PackagingError, match=expected):
        _build(root, module, tmp_path)


@needs_git
@pytest.mark.parametrize("rel", ["prod.env", ".kube/config", "ID_RSA"])
def test_secrets_git_would_track_are_refused_too(git_project, tmp_path, rel):
    root, module = git_project
    _write(root, rel, "hunter2\n")
    with pytest.raises(PackagingError, match=f"refusing to pack '{re.escape(rel)}'"):
        _build(root, module, tmp_path)


@pytest.mark.parametrize("name, text, why", [
    ("my-project-4f2a.json", '{"type": "service_account", "private_key": "-----BEGIN"}',
     "it holds a private_key"),
    ("notes.txt", "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1x\n-----END RSA PRIVATE KEY-----\n",
     "it holds a PEM private key"),
])
def test_secrets_are_recognised_by_content(project, tmp_path, name, text, why):
    root, module = project
    _write(root, name, text)
    with pytest.raises(PackagingError, match=f"refusing to pack '{re.escape(name)}' into the jar: {why}"):
        _build(root, module, tmp_path)


def test_code_that_only_names_the_pem_markers_is_no_secret(project, tmp_path):
    root, module = project
    _write(root, "check.py", 'MARK = b"-----BEGIN RSA PRIVATE KEY-----"  # then base64\n')
    assert "check.py" in _build(root, module, tmp_path)


def test_several_secrets_are_named_in_one_line(project, tmp_path):
    root, module = project
    for rel in ("a.pem", "b.pem", ".env"):
        _write(root, rel)
    with pytest.raises(PackagingError, match=r"refusing to pack '.env' .* \(and 2 more: a.pem, b.pem\)") as err:
        _build(root, module, tmp_path)
    assert "\n" not in str(err.value)


def test_a_secret_included_deliberately_is_packed(project, tmp_path):
    root, module = project
    _write(root, "prod.env", "LEVEL=debug\n")
    _write(root, ".squallignore", "!/prod.env\n")
    assert "prod.env" in _build(root, module, tmp_path)


def test_ignored_secrets_and_templates_are_no_error(project, tmp_path):
    root, module = project
    _write(root, ".gitignore", ".env\n")
    _write(root, ".env", "TOKEN=1\n")
    _write(root, ".env.example", "TOKEN=\n")
    names = _build(root, module, tmp_path)
    assert ".env" not in names and ".env.example" in names


def test_a_symlink_to_an_ignored_secret_is_refused(project, tmp_path):
    root, module = project
    _write(root, ".gitignore", ".env\n")
    _write(root, ".env", "TOKEN=1\n")
    os.symlink(".env", root / "settings.txt")
    with pytest.raises(PackagingError, match=r"refusing to pack 'settings.txt' .*a symlink to .env"):
        _build(root, module, tmp_path)
