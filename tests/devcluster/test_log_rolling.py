"""The dev cluster's log4j2 rolling appender, run by a real log4j2 (the cluster's own jars)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from squall.devcluster._config import log4j_xml, rolling_appender
from squall.devcluster._paths import default_cache_root

pytestmark = pytest.mark.slow

SOURCE = """
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

public class Roll {
    public static void main(String[] args) {
        Logger log = LogManager.getLogger("roll");
        String line = "x".repeat(200);
        for (int i = 0; i < 5000; i++) log.info(line);
        LogManager.shutdown();
    }
}
"""


def _log4j_jars() -> list[Path]:
    found = sorted(default_cache_root().glob("storm-*/lib/log4j-*-2.*.jar"))
    jars = [j for j in found if j.name.startswith(("log4j-api-", "log4j-core-"))]
    if shutil.which("java") is None or len(jars) < 2:
        pytest.skip("needs java and the dev cluster's cached Storm jars")
    return jars[-2:]


def test_a_log_past_its_size_rolls_and_old_files_are_capped(tmp_path):
    jars = _log4j_jars()
    log = tmp_path / "daemon.log"
    config = tmp_path / "log4j2.xml"
    config.write_text(log4j_xml("test", rolling_appender("daemon", str(log), ("100 KB", 3)), {}))
    (tmp_path / "Roll.java").write_text(SOURCE)
    subprocess.run(["java", "-cp", ":".join(map(str, jars)), f"-Dlog4j.configurationFile={config}",
                    "Roll.java"], cwd=tmp_path, check=True, capture_output=True, timeout=120)
    files = sorted(p.name for p in tmp_path.glob("daemon.log*"))
    assert files == ["daemon.log", "daemon.log.1", "daemon.log.2", "daemon.log.3"]
    assert all(p.stat().st_size <= 110_000 for p in tmp_path.glob("daemon.log*"))
