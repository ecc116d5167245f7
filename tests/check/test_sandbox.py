"""softmax_parity.check.sandbox: a learner's script, loaded and run contained.

Everything that runs a learner's file runs in a fresh `python -c` child under contain(), as the
checker's children do: its stdin is a pipe that never ends (so an input() that contain() did
not disarm would wait until the test's time limit), its output is captured (so a print that
reached the parent would show), and it answers through a file.
"""
from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import textwrap

import pytest

from softmax_parity.check import sandbox
from softmax_parity.errors import UsageError

LIMIT = 120  # seconds for one child: a generous bound for a loaded 2-core machine, not a goal

PRELUDE = """\
import json, os, sys
from softmax_parity.check import sandbox
sandbox.contain({limit})
def answer(value):
    with open({result!r}, "w") as f:
        json.dump(value, f)
"""

LOADED = """
module, skipped = sandbox.load({path!r}, {timeout})
answer({{"skipped": skipped, "name": module.__name__,
         "defined": sorted(n for n in vars(module) if not n.startswith("__"))}})
"""

DEFS = """\
import numpy as np
EPS = 1e-12
np_float = np.float32

def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
"""

MORE = """
def cross_entropy(p, y):
    return -np.log(p[np.arange(len(y)), y] + EPS).mean()
"""


def child(tmp_path, code: str, limit: str = "sandbox.DEFAULT_MEMORY"):
    """(completed process, its answer or None): `code` run after contain(limit)."""
    result = tmp_path / "answer.json"
    source = PRELUDE.format(limit=limit, result=str(result)) + textwrap.dedent(code)
    never, keep_open = os.pipe()  # a stdin that never reaches its end
    try:
        done = subprocess.run([sys.executable, "-c", source], stdin=never, capture_output=True,
                              text=True, timeout=LIMIT, cwd=tmp_path)
    finally:
        os.close(never)
        os.close(keep_open)
    return done, (json.loads(result.read_text()) if result.exists() else None)


def loaded(tmp_path, body: str, timeout: float = 10):
    """What sandbox.load made of a learner's file `body`, in a contained child."""
    path = tmp_path / "learner.py"
    path.write_text(body)
    done, got = child(tmp_path, LOADED.format(path=str(path), timeout=timeout))
    assert got is not None, done.stderr[-2000:]
    return got


def test_a_clean_file_loads_whole(tmp_path):
    got = loaded(tmp_path, DEFS + MORE + "W = np.zeros((3, 4))\n")
    assert got["skipped"] == []
    assert got["name"] == "_softmax_parity_check_target"
    assert {"softmax", "cross_entropy", "EPS", "W"} <= set(got["defined"])


def test_input_at_import_falls_back_to_the_definitions(tmp_path):
    got = loaded(tmp_path, DEFS + 'name = input("your name? ")\n' + MORE)
    assert got["skipped"][0].startswith("running the file failed at line 8: EOFError")
    assert "line 8: call name = input(...)" in got["skipped"]
    assert {"softmax", "cross_entropy", "EPS", "np_float", "np"} <= set(got["defined"])
    assert "name" not in got["defined"]


def test_endless_training_at_import_falls_back_after_the_timeout(tmp_path):
    training = ("W = np.zeros((3, 4))\n"
                "try:\n"
                "    while True:\n"
                "        W = W - 0.1 * softmax(W)\n"
                "except Exception:\n"  # a script's own handler does not swallow the deadline
                "    pass\n")
    got = loaded(tmp_path, DEFS + training + MORE, timeout=1)
    assert got["skipped"][0] == "running the file took over 1 s"
    assert "line 9: try block" in got["skipped"]
    assert {"softmax", "cross_entropy"} <= set(got["defined"])


def test_sys_exit_at_import_falls_back(tmp_path):
    got = loaded(tmp_path, DEFS + "import sys\nsys.exit('no data')\n" + MORE)
    assert got["skipped"][0] == "running the file failed at line 9: SystemExit: no data"
    assert got["skipped"][1:] == ["line 9: call sys.exit(...)"]
    assert {"softmax", "cross_entropy", "sys"} <= set(got["defined"])


def test_a_missing_data_file_falls_back_and_names_its_line(tmp_path):
    body = DEFS + 'data = np.load("mnist.npz")\nX = data["x"]\nimport not_a_module_xyz\n' + MORE
    got = loaded(tmp_path, body)
    assert got["skipped"][0].startswith("running the file failed at line 8: FileNotFoundError")
    assert got["skipped"][1:] == ["line 8: call data = np.load(...)", "line 9: X = data['x']",
                                  "line 10: import not_a_module_xyz (ModuleNotFoundError)"]
    assert {"softmax", "cross_entropy"} <= set(got["defined"])


def test_the_fallback_keeps_imports_definitions_and_simple_constants():
    tree = ast.parse(textwrap.dedent('''\
        """doc"""
        import numpy as np
        EPS = 1e-12
        np_float = np.float32
        relu = lambda x: np.maximum(x, 0)
        try:
            import torch
        except ImportError:
            torch = None
        data = load_mnist()
        X = data[0]
        @decorate
        def f(): pass
        if __name__ == "__main__":
            f()
        for i in range(3): pass
        '''))
    kept = {s.lineno: keep for s, keep in sandbox.kept_statements(tree)}
    assert kept == {1: None, 2: True, 3: True, 4: True, 5: True, 6: True, 10: False, 11: False,
                    13: True, 14: None, 16: False}


def test_memory_without_bound_is_a_memory_error(tmp_path):
    done, got = child(tmp_path, """
        import numpy as np
        out = []
        # 4 GiB reserved (np.empty) would succeed without the limit; 0.5 GiB written fits it
        for make, n in ((np.ones, 50 * 2**30), (np.empty, 4 * 2**30), (np.ones, 2**29)):
            try:
                make(n // 8)
                out.append("ok")
            except MemoryError:
                out.append("MemoryError")
        answer(out)
    """)
    assert got == ["MemoryError", "MemoryError", "ok"], done.stderr[-2000:]


def test_without_a_limit_the_address_space_is_free(tmp_path):
    done, got = child(tmp_path, """
        import numpy as np
        np.empty(4 * 2**30 // 8)  # reserved, never touched
        answer("ok")
    """, limit="None")
    assert got == "ok", done.stderr[-2000:]


def test_prints_of_megabytes_reach_nothing(tmp_path):
    done, got = child(tmp_path, """
        print("x" * 20_000_000)
        sys.stderr.write("e" * 1_000_000)
        os.write(1, b"fd 1\\n")
        os.write(2, b"fd 2\\n")
        sys.stdout.flush()
        answer("done")
    """)
    assert got == "done"
    assert (done.stdout, done.stderr) == ("", "")


def test_os_exit_is_named(tmp_path):
    done, got = child(tmp_path, "os._exit(3)")
    assert got is None and done.returncode == 3
    assert "os._exit(3)" in sandbox.describe_exit(done.returncode)


def test_a_kill_is_named_with_its_likely_cause():
    assert "killed by SIGKILL (out of memory?)" in sandbox.describe_exit(-9)
    assert "SIGTERM" in sandbox.describe_exit(-15)


def test_a_syntax_error_is_a_usage_error_with_file_and_line(tmp_path):
    path = tmp_path / "learner.py"
    path.write_text("import numpy as np\n\ndef softmax(z:\n    return z\n")
    with pytest.raises(UsageError, match="^" + re.escape(f"{path}:3: SyntaxError: ")):
        sandbox.load(str(path), 1)


def test_a_module_name_has_no_fallback():
    module, skipped = sandbox.load("json", 1)
    assert (module.__name__, skipped) == ("json", [])
    with pytest.raises(UsageError, match="no_such_module_xyz: no such file or module"):
        sandbox.load("no_such_module_xyz", 1)


def test_the_alarm_is_put_back(tmp_path):
    path = tmp_path / "learner.py"
    path.write_text(DEFS + "import time\ntime.sleep(60)\n")
    done, got = child(tmp_path, f"""
        import signal
        mine = lambda *a: None
        signal.signal(signal.SIGALRM, mine)
        signal.setitimer(signal.ITIMER_REAL, 100)
        module, skipped = sandbox.load({str(path)!r}, 0.5)
        answer([signal.getsignal(signal.SIGALRM) is mine,
                50 < signal.getitimer(signal.ITIMER_REAL)[0] <= 100, skipped[0]])
    """)
    assert got == [True, True, "running the file took over 0.5 s"], done.stderr[-2000:]
