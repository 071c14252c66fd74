"""The committed Java serializer jar is what java/msgpack-serializer builds today.

The jar ships inside the Python package (``squall/storm/_java``) so clients need no JDK;
this rebuilds it from source with Maven (offline once ``~/.m2`` is warm: ``.ci/run``
builds it first) and compares every class byte for byte: timestamps do not count.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from squall.storm._serializer_jar import SERIALIZER_JAR

SOURCE = Path(__file__).resolve().parents[2] / "java" / "msgpack-serializer"


def _contents(jar: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(jar) as archive:
        return {i.filename: archive.read(i) for i in archive.infolist()
                if not i.is_dir() and not i.filename.startswith("META-INF/")}


@pytest.mark.slow
def test_the_committed_jar_holds_the_classes_the_source_builds(tmp_path):
    if shutil.which("mvn") is None:
        if os.environ.get("CI"):
            pytest.fail("mvn not on PATH: .ci/run must install Maven")
        pytest.skip("mvn not on PATH")
    build = tmp_path / "build"
    subprocess.run(["mvn", "-B", "-q", "-o", "-DskipTests", f"-Dsquall.build.dir={build}", "-f",
                    str(SOURCE / "pom.xml"), "package"], check=True, timeout=280)
    built = _contents(build / "squall-msgpack-serializer.jar")
    committed = _contents(SERIALIZER_JAR)
    assert "squall/storm/MsgpackSerializer.class" in built
    stale = sorted(n for n in built.keys() | committed.keys() if built.get(n) != committed.get(n))
    assert not stale, (
        f"{SERIALIZER_JAR.name} is stale ({stale[:3]}...): run `mvn -q -f java/msgpack-serializer/pom.xml "
        f"package` and copy target/squall-msgpack-serializer.jar to {SERIALIZER_JAR.parent}")
