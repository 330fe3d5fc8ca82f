"""docs/notebooks/tour.ipynb runs from top to bottom, exports, and its outputs show the pictures.

The notebook is executed afresh (nbclient, a real IPython kernel) on a copy in a temporary
directory; the stored outputs are never trusted. Its outputs must contain the rendered
HTML of a sample (the image with its label drawn over it), of a sample queryset (the
thumbnails), of a dataset (the status bar) and the DataFrame of ``to_pandas``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(autouse=True, scope="module")
def _a_kernel_can_run_the_tour() -> None:
    """Skip the module without what running the notebook needs.

    Checked when a test runs, not at collection: every xdist worker collects this file
    and one runs it, and these cost ~0.8 s to import.
    """
    for module in ("nbformat", "nbclient", "ipykernel", "pandas", "PIL"):
        pytest.importorskip(module)


NOTEBOOK = Path(__file__).resolve().parents[2] / "docs" / "notebooks" / "tour.ipynb"


def _html_outputs(notebook: object) -> list[str]:
    found = []
    for cell in notebook.cells:  # type: ignore[attr-defined]
        for output in cell.get("outputs", []):
            html = output.get("data", {}).get("text/html")
            if html:
                found.append(html if isinstance(html, str) else "".join(html))
    return found


def test_the_tour_notebook_runs_and_shows_the_pictures(tmp_path: Path) -> None:
    copy = tmp_path / "tour.ipynb"
    shutil.copy(NOTEBOOK, copy)
    import nbclient
    import nbformat

    notebook = nbformat.read(copy, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []  # only what this run produces counts
    client = nbclient.NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError, with the cell, if any cell fails
    html = _html_outputs(notebook)
    sample = [h for h in html if 'class="segments-orm-sample"' in h]
    assert sample, "no sample picture in the outputs"
    assert "<svg" in sample[0] and "<rect" in sample[0]  # the car's box over the image
    assert 'stroke="#e61e1e"' in sample[0]  # in the colour the task attributes give cars
    assert "data:image/png;base64," in sample[0]  # the image itself, kept in the notebook
    assert any('class="segments-orm-grid"' in h and h.count("<img ") == 6 for h in html)
    assert any('class="segments-orm-bar"' in h and "UNLABELED 2" in h for h in html)
    frames = [h for h in html if 'class="dataframe"' in h]
    assert frames and "label_status" in frames[0] and "count_car" in frames[0]
    printed = "".join(
        output.get("text", "")
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream"
    )
    assert "Traceback" not in printed
    # The export step: the two LABELED samples, a box and a point each, in COCO and YOLO.
    assert "2 labeled samples; 4 COCO annotations; 2 YOLO files" in printed
    assert (tmp_path / "export" / "yolo").is_dir()  # under the folder the notebook named


def test_the_stored_notebook_was_executed() -> None:
    import nbformat

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    html = _html_outputs(notebook)
    assert any('class="segments-orm-sample"' in h for h in html), (
        "docs/notebooks/tour.ipynb is stored without outputs: run "
        "`jupyter execute --inplace docs/notebooks/tour.ipynb`"
    )
