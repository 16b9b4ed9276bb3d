import shutil
from pathlib import Path

import pytest

MINI = Path(__file__).parent / "fixtures" / "mini"


@pytest.fixture()
def mini(tmp_path) -> Path:
    """A private copy of the small test library, rules, checklist and people."""
    target = tmp_path / "mini"
    shutil.copytree(MINI, target)
    return target
