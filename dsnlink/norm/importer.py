"""Installing a norm version from the official workbook: `dsnlink norm import WORKBOOK.xlsx`.

The catalogue is written into `data_dir/norm/PxxVyy.json`, where the validator looks for
catalogues besides the shipped ones (an imported version overrides a shipped one). Every control
listed in dsnlink/norm/rules/ whose id the new catalogue keeps runs for it unchanged.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from dsnlink.norm.catalogue import clear_catalogue_cache, imported_dir
from dsnlink.norm.workbook import catalogue_document, dump_catalogue, read_workbook


@dataclass(frozen=True, slots=True)
class ImportResult:
    version: str
    path: Path
    blocks: int
    rubrics: int
    messages: int
    today: date


def import_workbook(
    workbook: str | Path, *, data_dir: str | Path, today: date | None = None
) -> ImportResult:
    """Read a GIP-MDS dsn-datatypes workbook and install its catalogue under data_dir/norm/.

    Raises WorkbookError (an InputError) when the file is not such a workbook.
    """
    document = catalogue_document(read_workbook(workbook))
    target_dir = imported_dir(data_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{document['version']}.json"
    # Written next to its final place then renamed: a validation never reads half a file.
    fd, tmp = tempfile.mkstemp(prefix=".import-", suffix=".json", dir=target_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(dump_catalogue(document))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    clear_catalogue_cache()
    return ImportResult(
        version=document["version"],
        path=target,
        blocks=len(document["blocks"]),
        rubrics=len(document["rubrics"]),
        messages=len(document["messages"]),
        today=today or date.today(),
    )
