import shutil
import signal
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests must not fail at random in CI: every test draws the same examples on every run
# (derandomize), and no example database carries one machine's history into another run. Examples a
# test ever found stay in that test as explicit @example cases.
settings.register_profile("assembler", derandomize=True, database=None)
settings.load_profile("assembler")


def pytest_configure(config):
    """Tests send Ctrl-C (SIGINT) to commands they start. A shell that runs the suite in the
    background (``pytest &`` in a script) starts it with SIGINT ignored, and children inherit
    that: put the normal handler back, so that they get the signal as a user's terminal sends it."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


MINI = Path(__file__).parent / "fixtures" / "mini"


@pytest.fixture()
def mini(tmp_path) -> Path:
    """A private copy of the small test library, rules, checklist and people."""
    target = tmp_path / "mini"
    shutil.copytree(MINI, target)
    return target
