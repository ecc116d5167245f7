"""docs/walkthrough.ipynb runs from top to bottom in a fresh kernel (nbclient), so it cannot rot."""
import pathlib

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = pathlib.Path(__file__).resolve().parents[2] / "docs" / "walkthrough.ipynb"
CELL_TIMEOUT = 900  # seconds per cell: a generous bound for a loaded 2-core machine, not a goal


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    # the kernel is "python3" from this interpreter's environment (ipykernel installed here)
    NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path_factory.mktemp("nb"))}}).execute()
    return nb


def outputs(nb, kind):
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
            if o.output_type == kind]


def text_of(nb) -> str:
    return "".join(o.get("text", "") for o in outputs(nb, "stream"))


def test_every_cell_runs_without_error(executed):
    code = [c for c in executed.cells if c.cell_type == "code"]
    assert code and all(c.execution_count is not None for c in code)
    assert outputs(executed, "error") == []


def test_it_shows_the_figures(executed):
    pngs = [o for kind in ("display_data", "execute_result") for o in outputs(executed, kind)
            if "image/png" in o.get("data", {})]
    assert len(pngs) == 6  # log-odds, normalisation, history, weights, confusion, misclassified


def test_it_trains_all_backends_and_they_agree(executed):
    text = text_of(executed)
    for name in ("numpy", "tf-graph", "tf-function"):
        assert f"\n{name} " in "\n" + text
    assert "tf-graph: test accuracy" in text and "tf-function: test accuracy" in text
    assert text.count("all checks pass: True") == 2
    assert "differing test predictions 0" in text
    assert "tensorboard --logdir" in text and "events.out.tfevents" in text


def test_the_stored_notebook_has_no_outputs():
    """Stored clean: small, readable diffs; CI makes the outputs."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    for c in nb.cells:
        if c.cell_type == "code":
            assert c.outputs == [] and c.execution_count is None
