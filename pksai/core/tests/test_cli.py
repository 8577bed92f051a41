import subprocess
import sys


def test_console_command_wraps_management_commands():
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "pksai", "help", "load-areas"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Load every official area of Indonesia" in result.stdout
