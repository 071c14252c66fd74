"""Task log files roll by size: NAME -> NAME.1 -> NAME.2, the oldest beyond the backups dropped."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from squall import Bolt, Grouping, Topology
from squall.engine import run_local
from squall.engine._conf import DEFAULTS, LOG_BACKUPS, LOG_MAX_BYTES, task_settings
from squall.engine._tasklog import TaskLog
from squall.errors import ConfigError
from squall.multilang import _logfile
from tests.engine.components import Numbers

LINE = "x" * 99 + "\n"  # 100 bytes


def _files(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.glob(path.name + "*"))


def test_writes_past_the_limit_roll_and_keep_the_newest_backups(tmp_path: Path) -> None:
    path = tmp_path / "count-3.log"
    log = TaskLog(path, max_bytes=1000, backups=2)
    for n in range(35):  # 3500 bytes: three rolls, the oldest file dropped
        log.write(f"{n:02d}" + LINE[2:])
    log.close()
    assert _files(path) == ["count-3.log", "count-3.log.1", "count-3.log.2"]
    firsts = [int(Path(f"{path}{suffix}").read_text()[:2]) for suffix in (".2", ".1", "")]
    assert firsts == [10, 20, 30]  # newest last, in order, nothing older than the backups
    assert all(os.path.getsize(f"{path}{s}") <= 1000 + len(LINE) for s in (".2", ".1", ""))


@pytest.mark.parametrize(("max_bytes", "backups"), [(0, 3), (1000, 0)])
def test_zero_size_or_zero_backups_never_rolls(tmp_path: Path, max_bytes: int, backups: int) -> None:
    log = TaskLog(tmp_path / "t.log", max_bytes=max_bytes, backups=backups)
    for _ in range(30):
        log.write(LINE)
    assert not log.roll_if_due()
    log.close()
    assert _files(tmp_path / "t.log") == ["t.log"]


def test_stdio_pointing_at_the_log_moves_to_the_new_file(tmp_path: Path) -> None:
    path = tmp_path / "t.log"
    log = TaskLog(path, max_bytes=50, backups=1)
    saved = os.dup(2)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    os.dup2(fd, 2)  # as redirect_stdio does in a task process (fd 2 only: pytest holds fd 1)
    os.close(fd)
    try:
        os.write(2, b"printed before the roll\n" * 3)  # grows the file behind write()'s back
        assert log.roll_if_due()  # the housekeeping check sees it
        os.write(2, b"printed after the roll\n")
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        log.close()
    assert "printed before" in Path(f"{path}.1").read_text()
    assert path.read_text() == "printed after the roll\n"


def test_the_keys_share_the_multilang_runtimes_defaults() -> None:
    assert DEFAULTS[LOG_MAX_BYTES] == _logfile.DEFAULT_MAX_BYTES
    assert DEFAULTS[LOG_BACKUPS] == _logfile.DEFAULT_BACKUP_COUNT


def test_a_bad_value_is_a_one_line_error() -> None:
    with pytest.raises(ConfigError, match=r"^conf 'squall.log.max_bytes' must be a finite "
                                          r"number >= 0, got '10MB'$"):
        task_settings({LOG_MAX_BYTES: "10MB"})


class Chatty(Bolt):
    """Log a 100-byte line and print another for every tuple."""

    def process(self, tup):
        self.log(f"logged {tup.values[0]:05d} " + "y" * 80)
        print(f"printed {tup.values[0]:05d} " + "z" * 80)


class ChattyTopology(Topology):
    numbers = Numbers.spec()
    chatty = Chatty.spec(inputs={numbers: Grouping.SHUFFLE})


def test_a_running_tasks_log_rolls_and_keeps_both_writers(opts, tmp_path: Path) -> None:
    options = dict(opts, **{"test.count": 2000, LOG_MAX_BYTES: 20_000, LOG_BACKUPS: 3})
    result = run_local(ChattyTopology, options=options, until_idle=True, idle_secs=0.5,
                       log_dir=tmp_path / "run")
    assert result["chatty"].executed == 2000
    live = tmp_path / "run" / "chatty-1.log"
    # about 400 kB written: rolled many times, only the 3 newest backups kept
    assert _files(live) == ["chatty-1.log", "chatty-1.log.1", "chatty-1.log.2", "chatty-1.log.3"]
    text = "".join(Path(f"{live}{s}").read_text() for s in (".3", ".2", ".1", ""))
    assert "logged 01999" in text and "printed 01999" in text  # both writers follow the roll
    assert "exiting with code 0" in live.read_text()
    assert "logged 00000" not in text  # the oldest files were dropped
    # write() checks the size every max_bytes / 8 it wrote, and print()s add as much again
    assert all(os.path.getsize(f"{live}.{n}") <= 20_000 + 2 * 2_500 for n in (1, 2, 3))
