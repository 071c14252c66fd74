"""Recognise files that hold secrets, so a topology jar never carries one by accident.

Names are compared case-insensitively (``ID_RSA``, ``.ENV`` and ``key.PEM`` are
secrets too). JSON files are also read: a Google Cloud service-account key is a
JSON object with a ``private_key``; and any small file holding a PEM private key
block is a secret whatever its name.
"""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

# Exact file names (lower case).
SECRET_NAMES = frozenset({
    ".env", ".envrc", "credentials", "credentials.json", "application_default_credentials.json",
    ".netrc", "_netrc", ".pypirc", ".npmrc", ".pgpass", ".git-credentials", ".s3cfg", ".boto",
    ".my.cnf", ".htpasswd", ".vault-token", ".dockercfg", "terraform.tfstate",
    "terraform.tfstate.backup", "secring.gpg", "pubring.kbx", ".bash_history", ".zsh_history",
    ".sh_history", ".history", ".python_history", ".psql_history", ".mysql_history",
    ".node_repl_history", ".sqlite_history", ".rediscli_history",
})
# File name patterns (lower case).
SECRET_PATTERNS = (
    ".env.*", "*.env", "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*", "deploy_key*",
    "*.pem", "*.key", "*.p12", "*.pfx", "*.jks", "*.keystore", "*.ppk", "*.kdbx", "*.tfstate",
    "*.tfstate.*", "*_history", "*service-account*.json", "*service_account*.json",
    "client_secret*.json",
)
# Paths (lower case) whose tail marks a secret wherever the folder sits.
SECRET_TAILS = (".kube/config", ".docker/config.json", ".config/gcloud/")
# Folders whose every file is a secret.
SECRET_DIRS = frozenset({".ssh", ".aws", ".gnupg", ".azure", ".kube"})
# Harmless companions of secret-looking names: templates and public keys.
_HARMLESS_SUFFIXES = (".example", ".sample", ".template", ".dist")
_SNIFF_LIMIT = 1024 * 1024
# A PEM private key block: the header line, then base64 on the next line.
_PEM_KEY = re.compile(rb"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----\r?\n(?:[A-Za-z-]+: .*\r?\n)*\r?\n?[A-Za-z0-9+/=]{16}")


def secret_reason(rel: str, path: Path | None = None) -> str | None:
    """Return why the project file ``rel`` (posix, relative) is a secret, or None.

    With ``path`` (the file on disk), small files are also read (the content checks).

    >>> secret_reason("deploy/ID_RSA")
    "its name is a credential's"
    """
    lower = rel.lower()
    name = lower.rsplit("/", 1)[-1]
    if name.endswith(_HARMLESS_SUFFIXES):
        return None
    if any(part in SECRET_DIRS for part in lower.split("/")[:-1]):
        return "a file in a credentials folder"
    if name in SECRET_NAMES or any(fnmatch.fnmatchcase(name, p) for p in SECRET_PATTERNS):
        return "its name is a credential's"
    if any(_has_tail("/" + lower, tail) for tail in SECRET_TAILS):
        return "its path is a credential's"
    return _content_reason(name, path) if path is not None else None


def _has_tail(path: str, tail: str) -> bool:
    return f"/{tail}" in path if tail.endswith("/") else path.endswith(f"/{tail}")


def _content_reason(name: str, path: Path) -> str | None:
    try:
        if path.stat().st_size > _SNIFF_LIMIT:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if _PEM_KEY.search(data):
        return "it holds a PEM private key"
    if name.endswith(".json") and b'"private_key"' in data:
        return "it holds a private_key (a service-account key?)"
    return None
