"""What a REPL or notebook user sees: completion, HTML tables, progress bars."""

from __future__ import annotations

import pytest

import segments_orm as so
from segments_orm.tour import sample_dataset


@pytest.fixture
def dataset(segments_client: so.Client) -> so.Dataset:
    return sample_dataset(segments_client)


def test_completion_shows_fields_relations_and_methods_not_internals(
    segments_client: so.Client, dataset: so.Dataset
) -> None:
    for obj in (segments_client, dataset, dataset.samples, dataset.samples.all()):
        assert [n for n in dir(obj) if n.startswith("_")] == [], obj
    assert {"datasets", "samples", "users", "assets", "ping"} <= set(dir(segments_client))
    assert {"name", "task_type", "metadata", "samples", "releases", "save", "clone"} <= set(
        dir(dataset)
    )
    manager = set(dir(dataset.samples))
    assert {"filter", "create", "bulk_create", "get", "count"} <= manager
    assert not manager & {"model", "list_path", "schema", "item_name", "queryset_class"}
    sample = dataset.samples.first()
    assert sample is not None
    assert {"name", "uuid", "attributes", "labels", "issues", "dataset"} <= set(dir(sample))


def test_a_querysets_html_is_a_table_of_the_first_rows_with_the_count(
    segments_client: so.Client, dataset: so.Dataset
) -> None:
    before = segments_client.transport.requests_sent
    html = dataset.samples.include_label("ground-truth")._repr_html_()
    assert segments_client.transport.requests_sent - before == 1  # one small page
    assert "samples: 4 in all" in html
    assert "<th>Sample</th>" in html
    assert "<th>label_status</th>" in html
    assert "<td>rose.png</td>" in html
    assert html.count("<td>LABELED</td>") == 2


def test_a_long_querysets_html_shows_ten_rows_and_says_there_are_more(
    dataset: so.Dataset,
) -> None:
    dataset.samples.bulk_create(
        {"name": f"extra-{i:02}.png", "attributes": {"image": {"url": "https://e.com/x.png"}}}
        for i in range(12)
    )
    html = dataset.samples.all()._repr_html_()
    assert "the first 10 (there are more)" in html
    assert html.count("<tr>") == 11  # the header and ten rows
    filtered = dataset.samples.filter(name__contains="extra-0")._repr_html_()
    assert "name__contains=&#x27;extra-0&#x27;: 10 in all" in filtered


def test_a_resources_html_lists_its_fields_readably(dataset: so.Dataset) -> None:
    html = dataset._repr_html_()
    assert "<caption>&lt;Dataset demo/flowers task_type=bboxes samples=4&gt;</caption>" in html
    assert "<tr><th>task_type</th><td>bboxes</td></tr>" in html
    assert "<tr><th>owner</th><td>demo</td></tr>" in html
    assert "None" not in html  # fields without a value are left out
    assert "TaskType." not in html


def test_a_managers_html_is_its_querysets_or_nothing(dataset: so.Dataset) -> None:
    html = dataset.labelsets._repr_html_()
    assert html is not None
    assert "labelsets: 1 in all" in html
    # The API cannot list collaborators: no table, a notebook shows the manager's repr.
    assert not hasattr(dataset.collaborators, "_repr_html_")


def test_bulk_work_and_release_waits_show_a_progress_bar_when_asked(
    dataset: so.Dataset, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("tqdm")
    dataset.samples.bulk_create(
        [{"name": "p.png", "attributes": {"image": {"url": "https://e.com/p.png"}}}],
        progress=True,
    )
    assert "samples" in capsys.readouterr().err
    dataset.releases.create("v1").wait(poll=0.05, progress=True)
    assert "release v1" in capsys.readouterr().err


def test_no_progress_bar_when_the_output_is_not_a_terminal(
    dataset: so.Dataset, capsys: pytest.CaptureFixture[str]
) -> None:
    dataset.samples.bulk_create(
        [{"name": "q.png", "attributes": {"image": {"url": "https://e.com/q.png"}}}]
    )
    dataset.releases.create("v1").wait(poll=0.05)
    assert capsys.readouterr().err == ""
