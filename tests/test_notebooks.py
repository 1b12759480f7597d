"""Every notebook in notebooks/ runs from top to bottom without an error, so none goes stale.

Each notebook is executed with nbclient in a fresh kernel started from this interpreter
(so it imports the imuhinge under test, whatever kernels the machine has installed), with
notebooks/ as its working directory, as Jupyter would run it. nbclient, nbformat and
ipykernel are test dependencies: this test never skips.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
NOTEBOOK_PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
CELL_TIMEOUT_S = 120
KERNEL_NAME = "python3"


class _ThisInterpreter(KernelSpecManager):
    """Resolves the ``python3`` kernel to an ipykernel run by the interpreter running pytest."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        return KernelSpec(
            argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            display_name="Python 3 (tests)",
            language="python",
        )


@functools.cache
def execute(path: Path) -> nbformat.NotebookNode:
    """Run the notebook at ``path`` (once per test session); raise nbclient's
    CellExecutionError on any cell error."""
    notebook = nbformat.read(path, as_version=4)
    kernel = KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=_ThisInterpreter())
    client = NotebookClient(
        notebook,
        km=kernel,
        kernel_name=KERNEL_NAME,
        timeout=CELL_TIMEOUT_S,
        allow_errors=False,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()
    return notebook


def test_there_are_notebooks():
    assert NOTEBOOK_PATHS, f"no notebooks found in {NOTEBOOKS}"


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=[p.name for p in NOTEBOOK_PATHS])
def test_notebook_is_committed_without_outputs(path: Path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    with_outputs = [
        index for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not with_outputs, f"{path.name}: clear the outputs of code cells {with_outputs} before committing"


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=[p.name for p in NOTEBOOK_PATHS])
def test_notebook_runs_without_errors(path: Path):
    notebook = execute(path)
    errors = [
        output for cell in notebook.cells if cell.cell_type == "code"
        for output in cell.outputs if output.output_type == "error"
    ]
    assert not errors


def test_session_notebook_shows_the_plot_and_the_tables():
    notebook = execute(NOTEBOOKS / "analyse_a_session.ipynb")
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    data = [output.get("data", {}) for output in outputs]
    assert any("image/png" in item for item in data), "the session plot was not displayed"
    tables = [item["text/html"] for item in data if "<table" in item.get("text/html", "")]
    assert any("one sensor, estimated" in table for table in tables), "the comparison table is missing"
