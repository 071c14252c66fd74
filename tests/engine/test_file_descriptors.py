"""Each task holds only the sockets it uses: 300 tasks run within `ulimit -n 1024`."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from squall import Bolt, Grouping, Topology
from tests.engine.components import Numbers, read, record


class CountsDescriptors(Bolt):
    """Record how many file descriptors this task process holds once initialized."""

    def initialize(self, conf: Any, context: Any) -> None:
        record(conf, "fds", task=self.task_id, fds=len(os.listdir("/proc/self/fd")))

    def process(self, tup: Any) -> None:
        pass


class Wide(Topology):
    numbers = Numbers.spec()
    wide = CountsDescriptors.spec(inputs={numbers: Grouping.SHUFFLE}, par=299)


SCRIPT = textwrap.dedent('''
    import resource, sys
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))
    sys.path.insert(0, {root!r})
    from squall.engine import run_local
    from tests.engine.test_file_descriptors import Wide
    result = run_local(Wide, options={{"test.dir": {out!r}, "test.count": 600}}, until_idle=True,
                       idle_secs=1.0, log_dir={logs!r})
    print("acked", result["numbers"].acked, "crashes", len(result.crashes))
''')


def test_300_tasks_run_with_1024_open_files_at_most(opts: dict[str, Any], tmp_path: Path) -> None:
    root = str(Path(__file__).resolve().parents[2])
    script = SCRIPT.format(root=root, out=opts["test.dir"], logs=str(tmp_path / "r"))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split() == ["acked", "600", "crashes", "0"], out.stdout
    fds = [r["fds"] for r in read(opts["test.dir"], "fds")]
    assert len(fds) == 299 and max(fds) < 40, sorted(fds)[-5:]  # not the engine's ~900
