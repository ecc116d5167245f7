"""examples/autograder: the Gradescope autograder and the nbgrader cell, run on a correct, a
wrong and a broken CS231n-style submission; Gradescope's results.json schema checked."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AUTOGRADER = ROOT / "examples" / "autograder"
SHAPES = ROOT / "examples" / "shapes"


def _grade(tmp_path, source: Path | str) -> tuple:
    sub = tmp_path / "submission"
    sub.mkdir()
    if isinstance(source, Path):
        shutil.copy(source, sub / "softmax.py")
    else:
        (sub / "softmax.py").write_text(source)
    env = dict(os.environ, AUTOGRADER_ROOT=str(tmp_path),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    p = subprocess.run(["bash", str(AUTOGRADER / "run_autograder")], env=env,
                       capture_output=True, text=True, timeout=600)
    return p.returncode, json.loads((tmp_path / "results" / "results.json").read_text())


def _wrong_submission() -> str:
    """cs231n_model.py with its vectorized loss replaced by the one that forgot / N (a later
    def wins), as one self-contained file."""
    mistake = (SHAPES / "mistake_cs231n_no_mean.py").read_text()
    return ((SHAPES / "cs231n_model.py").read_text() + "\n\n"
            + mistake[mistake.index("def softmax_loss_vectorized"):])


def _schema(results: dict) -> None:
    assert isinstance(results["score"], float) and isinstance(results["tests"], list)
    for t in results["tests"]:
        assert set(t) >= {"name", "score", "max_score", "status", "output"}
        assert t["status"] in ("passed", "failed") and 0 <= t["score"] <= t["max_score"]


def test_a_correct_submission_scores_every_point(tmp_path):
    rc, results = _grade(tmp_path, SHAPES / "cs231n_model.py")
    _schema(results)
    assert rc == 0
    names = [t["name"] for t in results["tests"]]
    assert names == ["softmax_loss_naive (loss_and_grads)",
                     "softmax_loss_vectorized (loss_and_grads)"]
    assert results["score"] == 2.0 and all(t["status"] == "passed" for t in results["tests"])


def test_a_wrong_function_loses_its_point_and_its_output_names_the_mistake(tmp_path):
    rc, results = _grade(tmp_path, _wrong_submission())
    _schema(results)
    by = {t["name"].split()[0]: t for t in results["tests"]}
    assert rc == 0 and results["score"] == 1.0
    assert by["softmax_loss_naive"]["status"] == "passed"
    assert by["softmax_loss_vectorized"]["status"] == "failed"
    assert "sum-not-mean" in by["softmax_loss_vectorized"]["output"]


def test_a_submission_that_does_not_load_scores_0_with_the_reason(tmp_path):
    rc, results = _grade(tmp_path, "def softmax_loss_naive(W, X, y, reg)\n    pass\n")
    assert rc == 0 and results["score"] == 0.0 and results["tests"] == []
    assert "softmax.py:1" in results["output"]


def test_the_ordinary_l2_constant_other_than_the_assignments_fails_the_l2_test(tmp_path):
    rc, results = _grade(tmp_path, SHAPES / "cs231n_2015_layout.py")  # 0.5 * reg, (C, D)
    assert results["score"] == 0.0, results


@pytest.mark.parametrize("passes", [True, False])
def test_the_nbgrader_cell_passes_a_correct_file_and_fails_a_wrong_one(tmp_path, monkeypatch,
                                                                        passes):
    (tmp_path / "softmax.py").write_text((SHAPES / "cs231n_model.py").read_text() if passes
                                         else _wrong_submission())
    monkeypatch.chdir(tmp_path)
    cell = (AUTOGRADER / "nbgrader_cell.py").read_text()
    if passes:
        exec(compile(cell, "nbgrader_cell.py", "exec"), {})
    else:
        with pytest.raises(AssertionError, match="sum-not-mean"):
            exec(compile(cell, "nbgrader_cell.py", "exec"), {})
