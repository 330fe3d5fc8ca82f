"""Ingest a folder of images into a dataset: run it again after any crash or Ctrl-C.

Usage: python ingest_folder.py OWNER/DATASET FOLDER

It connects with SEGMENTS_API_KEY (and SEGMENTS_API_URL, when set). Killed at any moment
and run again, it leaves every image once in the dataset: the journal file next to the
images keeps uploads from being repeated, and existing sample names are skipped.
"""

from __future__ import annotations

import sys
from pathlib import Path

import segments_orm as so


def ingest(client: so.Client, dataset_name: str, folder: Path) -> so.BulkResults:
    """Upload every ``*.jpg`` of ``folder`` once and make it a sample of the dataset."""
    dataset = client.datasets.get(dataset_name)
    paths = sorted(folder.glob("*.jpg"))
    assets = client.assets.upload_many(paths, journal=folder / ".segments-uploads.jsonl")
    samples = [
        {"name": path.name, "attributes": {"image": {"url": asset.url}}}
        for path, asset in zip(paths, assets)
    ]
    return dataset.samples.bulk_create(samples, on_existing="skip")


if __name__ == "__main__":
    with so.Client() as client:
        result = ingest(client, sys.argv[1], Path(sys.argv[2]))
    print(result.counts())
