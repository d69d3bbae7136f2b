from __future__ import annotations

from pathlib import Path

import pytest

from .fixtures import Rows


@pytest.fixture
def rows(tmp_path: Path):
    made = Rows(tmp_path)
    yield made
    made.close()
