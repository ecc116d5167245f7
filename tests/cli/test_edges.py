"""Edge cases a user hits at the CLI (found in review): each ends in one clear line and exit
2, or a named DataError, never a traceback or a wrong run. Their data and API counterparts are
in tests/data/test_data_edges.py and tests/ops/test_api_edges.py."""
import json

import pytest

from numpy_softmax import DataError


@pytest.mark.parametrize("args,needle", [
    (["explain", "--no-tf", "--seed", "-1"], "--seed"),
    (["explain", "--no-tf", "--toy", "--lr", "-1"], "--lr"),
    (["explain", "--no-tf", "--toy", "--lr", "nan"], "--lr"),
    (["train", "--epochs", "0"], "--epochs"),
    (["train", "--epochs", "1", "--lr", "inf"], "--lr"),
    (["bench", "--train-size", "10", "--sections", "epochs"], "--train-size"),
    (["trian"], "invalid choice"),
])
def test_bad_flags_are_one_line_and_exit_2(cli, args, needle):
    r = cli(*args)
    assert r.code == 2, r.err
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in r.err


def test_a_logdir_that_cannot_be_made_is_named_as_logdir(cli, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = cli("train", "--epochs", "1", "--logdir", str(blocker / "sub"))
    assert r.code == 2 and "--logdir" in r.err and "--out" not in r.err


def test_a_cache_dir_that_is_a_file_is_refused(cli, tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    r = cli("data", "--cache-dir", str(f))
    assert r.code == 2 and "--cache-dir" in r.err


def test_a_run_record_that_is_not_an_object_is_refused(tmp_path):
    (tmp_path / "run.json").write_text(json.dumps([1, 2, 3]))
    from softmax_parity.runrecord import read_run
    with pytest.raises(DataError, match="not a run record"):
        read_run(tmp_path)
