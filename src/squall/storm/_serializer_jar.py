"""The Java half of the msgpack serializer, shipped built inside squall.

``_java/squall-msgpack-serializer.jar`` is built from ``java/msgpack-serializer`` (squall's
``squall.storm.MsgpackSerializer`` plus msgpack-core, relocated under
``squall.storm.shaded``) and committed, so a client without a JDK can submit msgpack
topologies; ``tests/storm/test_serializer_jar.py`` rebuilds it from source and checks the
committed classes are current. ``squall jar``/``squall submit`` copy its classes to the
root of a msgpack topology's jar, which Storm puts on the worker classpath.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

from squall.errors import PackagingError

SERIALIZER_JAR = Path(__file__).resolve().parent / "_java" / "squall-msgpack-serializer.jar"


def serializer_classes(jar: Path = SERIALIZER_JAR) -> Iterator[tuple[str, bytes]]:
    """Yield ``(entry name, bytes)`` of every class (and resource) the serializer needs.

    Leaves out directories and the jar's own META-INF (manifest, Maven metadata).
    Raises PackagingError naming the fix if the jar is missing or unreadable.

    >>> sorted(name for name, _ in serializer_classes())[0]   # doctest: +SKIP
    'squall/storm/MsgpackSerializer.class'
    """
    try:
        with zipfile.ZipFile(jar) as archive:
            for info in archive.infolist():
                if info.is_dir() or info.filename.startswith("META-INF/"):
                    continue
                yield info.filename, archive.read(info)
    except (OSError, zipfile.BadZipFile) as exc:
        raise PackagingError(
            f"squall's msgpack serializer jar {str(jar)!r} is missing or unreadable ({exc}); "
            "reinstall squall, or rebuild it with `mvn -q -f java/msgpack-serializer/pom.xml "
            "package` and copy target/squall-msgpack-serializer.jar there"
        ) from exc
