"""The CLI as a user runs it: its output, its exit status, its files (in this process through
the `cli` fixture; `--help` once in a real process, as the installed command runs)."""
import json
import os

import pytest


def test_help_lists_the_commands(cli_process):
    r = cli_process("--help")
    assert r.code == 0
    for name in ("train", "data"):
        assert name in r.out


def test_train_prints_seed_lines_and_writes_a_run_record(cli, tmp_path):
    r = cli("train", "--epochs", "2", "--out", str(tmp_path / "run"))
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert any(line.startswith("Epoch 0  average loss: ") for line in lines)
    assert any(line.startswith("Epoch 1  average loss: ") for line in lines)
    assert any("Test accuracy (all 10000 test images)" in line for line in lines)
    rec = json.loads((tmp_path / "run" / "run.json").read_text())
    assert rec["config"]["epochs"] == 2 and rec["config"]["batch_size"] == 128
    assert [h["epoch"] for h in rec["history"]] == [0, 1]
    assert 1.25 <= rec["history"][0]["loss"] <= 1.33
    assert 0.8 < rec["final"]["test_accuracy"] < 0.95
    assert rec["versions"]["numpy"] and rec["data"]["content_sha256"]
    assert (tmp_path / "run" / "params.npz").exists()


def test_quiet_train_prints_one_summary_line(cli, tmp_path):
    r = cli("train", "--epochs", "1", "--quiet")
    assert r.code == 0, r.err
    assert len(r.out.strip().splitlines()) == 1 and "Test accuracy" in r.out


@pytest.mark.parametrize("args,needle", [
    (["train", "--lr", "-1"], "lr must be"),
    (["train", "--batch-size", "0"], "batch_size"),
    (["train", "--data-dir", "/definitely/not/here"], "no such file"),
    (["data", "--data-dir", "/definitely/not/here"], "no such file"),
])
def test_bad_input_is_one_line_on_stderr_and_exit_2(cli, args, needle):
    r = cli(*args)
    assert r.code == 2
    err = r.err.strip().splitlines()
    assert len(err) == 1 and needle in err[0] and "Traceback" not in r.err


def test_out_that_is_a_file_is_refused_before_training(cli, tmp_path):
    f = tmp_path / "afile"
    f.write_text("x")
    r = cli("train", "--epochs", "1", "--out", str(f))
    assert r.code == 2 and "not a folder" in r.err
    assert f.read_text() == "x"


def test_corrupt_data_dir_is_exit_2_naming_the_file(cli, tmp_path):
    (tmp_path / "mnist.npz").write_bytes(b"PK\x03\x04 not really")
    r = cli("data", "--data-dir", str(tmp_path))
    assert r.code == 2 and "mnist.npz" in r.err and "Traceback" not in r.err


def test_data_describes_the_cached_dataset(cli):
    r = cli("data")
    assert r.code == 0, r.err
    assert "verified: yes" in r.out
    assert "55000" in r.out and "10000" in r.out
    j = cli("data", "--json")
    d = json.loads(j.out)
    assert d["splits"]["validation"]["n"] == 5000


def test_cache_env_var_and_flag_choose_the_cache(tmp_path, monkeypatch):
    from numpy_softmax import DataError
    from numpy_softmax.data import default_cache_dir, fetch
    monkeypatch.setenv("SOFTMAX_PARITY_CACHE", str(tmp_path / "envcache"))
    assert default_cache_dir() == str(tmp_path / "envcache")
    with pytest.raises(DataError, match="envcache"):  # empty cache, downloads off
        fetch("mnist", download=False)
    with pytest.raises(DataError, match="flagcache"):  # the flag beats the env var
        fetch("mnist", cache_dir=tmp_path / "flagcache", download=False)
    monkeypatch.delenv("SOFTMAX_PARITY_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == os.path.join(str(tmp_path / "xdg"), "softmax-parity")
