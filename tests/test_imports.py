"""What each command imports: a command pays only for the libraries it
uses (speed of the commands analysts run most, issue 12)."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys

from .conftest import DATA, ROOT

HEAVY = ("pandas", "numpy", "matplotlib", "weasyprint", "jinja2", "babel")


def _modules_after(argv: list[str], env_cache: str | None = None) -> tuple[int, set[str]]:
    """Run the CLI's entry point in a fresh interpreter; its exit status and
    the top-level packages it imported."""
    script = (
        "import json, sys\n"
        "from pipeline.cli import main\n"
        "try:\n"
        f"    status = main({argv!r})\n"
        "except SystemExit as exc:\n"
        "    status = exc.code\n"
        "print(json.dumps([status, sorted({m.split('.')[0] for m in sys.modules})]))\n"
    )
    env = None if env_cache is None else {**os.environ, "PIPELINE_CACHE": env_cache}
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, env=env,
                          check=True)
    status, modules = json.loads(proc.stdout.splitlines()[-1])
    return status, set(modules)


def test_help_imports_nothing_heavy():
    status, modules = _modules_after(["--help"])
    assert status == 0
    assert not modules & set(HEAVY), modules & set(HEAVY)


def test_check_imports_neither_weasyprint_nor_matplotlib():
    status, modules = _modules_after(["check", "--data", str(DATA)])
    assert status == 0
    assert "pandas" in modules  # it does read and check the data
    assert not modules & {"weasyprint", "matplotlib", "jinja2"}, modules


def test_build_with_charts_in_cache_does_not_import_matplotlib(tmp_path):
    cache = str(tmp_path / "cache")
    out = str(tmp_path / "output")
    first, modules = _modules_after(["build", "--data", str(DATA), "--anno", "2021", "--out", out], env_cache=cache)
    assert first == 0 and "matplotlib" in modules  # drawn, and kept in the cache
    again, modules = _modules_after(["build", "--data", str(DATA), "--anno", "2021", "--out", out],
                                    env_cache=cache)
    assert again == 0
    assert "matplotlib" not in modules
    assert "weasyprint" in modules  # the PDF is still rendered


def test_cli_leaves_the_garbage_collector_as_it_found_it():
    """A build pauses the cyclic collector while it runs (speed), and gives
    an in-process caller (tests, a preview server) its setting back."""
    from pipeline.cli import main
    assert gc.isenabled()
    assert main(["check", "--data", str(DATA), "--anno", "2021"]) == 0
    assert gc.isenabled()
    gc.disable()
    try:
        assert main(["check", "--data", str(DATA), "--anno", "2021"]) == 0
        assert not gc.isenabled()
    finally:
        gc.enable()
