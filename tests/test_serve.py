"""The live preview, `python -m pipeline serve`, run as a writer runs it: a
process on a free port of 127.0.0.1, fed with saves to a copy of the data,
read over HTTP, stopped with Ctrl-C (SIGINT) through its handle."""

from __future__ import annotations

import html
import http.client
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from pipeline.serve import EVENTS, Preview, bind, error_page, with_script

ROOT = Path(__file__).resolve().parent.parent
PAGE_2021 = "2021/2-19-comunita-di-pratiche.html"
WAIT = 60  # s; generous: the machine running the tests may be busy


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Server:
    """A `serve` process and its output, read line by line."""

    def __init__(self, data: Path, out: Path, cwd: Path, port: int):
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "serve", "--data", str(data), "--out", str(out),
             "--port", str(port)], cwd=cwd, env={**env, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.url = self.wait_line(r"Anteprima pronta: (\S+)").group(1)

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_line(self, pattern: str) -> re.Match:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                assert self.proc.poll() is None, f"serve ended early: {self.seen}"
                continue
            self.seen.append(line)
            if found := re.search(pattern, line):
                return found
        raise AssertionError(f"no line matching {pattern!r} in {self.seen}")

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=WAIT) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def wait_for(self, path: str, predicate) -> str:
        """The page's text once `predicate(text)` holds."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            status, body = self.get(path)
            text = body.decode("utf-8")
            if predicate(text):
                return text
            time.sleep(0.05)
        raise AssertionError(f"{path} never became as expected; last:\n{text[:2000]}")


def _raw_status(url: str, target: str) -> int:
    """Status of a request sent with `target` exactly as written."""
    host, port = url.split("//")[1].rstrip("/").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=WAIT)
    connection.putrequest("GET", target, skip_accept_encoding=True)
    connection.endheaders()
    status = connection.getresponse().status
    connection.close()
    return status


def _cli_problem_lines(data: Path, out: Path, cwd: Path) -> list[str]:
    run = subprocess.run([sys.executable, "-m", "pipeline", "build", "--data", str(data), "--out", str(out)],
                         cwd=cwd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 1, run.stderr
    return [line.strip() for line in run.stderr.splitlines() if line.strip()]


def _reload_event(url: str, page: str, tag: str, result: list):
    """Waits (in a thread) for the server-sent `ricarica` event, as the
    page's script does."""
    with urllib.request.urlopen(f"{url}{EVENTS.lstrip('/')}?pagina=/{page}&impronta={tag}",
                                timeout=WAIT) as stream:
        for raw in stream:
            if raw.startswith(b"event: ricarica"):
                result.append(time.monotonic())
                return


def test_preview_follows_edits_errors_and_fixes(data_copy, tmp_path):
    out = tmp_path / "anteprima"
    server = _Server(data_copy, out, tmp_path, _free_port())
    try:
        status, page = server.get(PAGE_2021)
        assert status == 200
        text = page.decode("utf-8")
        assert "a causa dell’emergenza sanitaria" in text and "EventSource" in text
        tag = re.search(r"impronta=([0-9a-f]+)", text).group(1)
        events: list = []
        listener = threading.Thread(target=_reload_event, args=(server.url, PAGE_2021, tag, events), daemon=True)
        listener.start()
        time.sleep(0.3)

        # A text edit in edizione.toml: the open page is told to reload, and shows it.
        toml = data_copy / "2021" / "edizione.toml"
        toml.write_text(toml.read_text("utf-8").replace("a causa dell’emergenza sanitaria",
                                                        "per via della pandemia"), "utf-8")
        server.wait_for(PAGE_2021, lambda t: "per via della pandemia" in t)
        listener.join(WAIT)
        assert events, "no reload event was sent"

        # A broken record: every page shows the CLI's problems, same words and file:line.
        meetings = data_copy / "2021" / "incontri.csv"
        good = meetings.read_text("utf-8")
        first_date = re.search(r"\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4}", good.splitlines()[1]).group(0)
        meetings.write_text(good.replace(first_date, "31/02/2021", 1), "utf-8")
        broken = server.wait_for(PAGE_2021, lambda t: "L’anteprima non si è potuta aggiornare" in t)
        shown = html.unescape(broken)
        cli = _cli_problem_lines(data_copy, tmp_path / "cli-out", tmp_path)
        assert cli[0].startswith("Dati non validi: 1 problema")
        for line in cli:
            assert line in shown
        assert re.search(r"raw/2021/incontri\.csv:2: colonna \"data\"", shown)
        assert "Dati non validi" in server.get("index.html")[1].decode("utf-8")
        assert server.proc.poll() is None

        # Fixed: the page comes back by itself, with the earlier edit.
        meetings.write_text(good, "utf-8")
        server.wait_for(PAGE_2021, lambda t: "per via della pandemia" in t and "non si è potuta" not in t)

        # The PDF, redone in the background, is reachable; the files on
        # disk carry no preview script.
        status, pdf = server.get("2021/2-19-comunita-di-pratiche.pdf")
        assert status == 200 and pdf.startswith(b"%PDF")
        on_disk = (out / PAGE_2021).read_text("utf-8")
        assert "per via della pandemia" in on_disk and "EventSource" not in on_disk

        # Nothing outside the preview folder.
        (out / "fuori").symlink_to(data_copy)
        for target in ("/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/2021/..%2f..%2fraw/ente.toml",
                       "/fuori/ente.toml", "/.lock"):
            assert _raw_status(server.url, target) in (403, 404), target
        assert _raw_status(server.url, "/2021/dati/cifre.json") == 200
    finally:
        server.proc.send_signal(signal.SIGINT)  # Ctrl-C
        assert server.proc.wait(timeout=WAIT) == 0
    server.wait_line(r"Anteprima fermata\.")


def test_port_in_use_is_a_usage_error(data_copy, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = subprocess.run([sys.executable, "-m", "pipeline", "serve", "--data", str(data_copy),
                              "--out", str(tmp_path / "anteprima"), "--port", str(port)],
                             cwd=ROOT, capture_output=True, text=True, timeout=WAIT)
    assert run.returncode == 2
    assert f"la porta {port} è già in uso" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "anteprima").exists()


def test_listens_on_loopback_only():
    server = bind(0)
    try:
        assert server.server_address[0] == "127.0.0.1"
    finally:
        server.server_close()


def test_plan_redoes_the_edited_edition_and_the_one_comparing_with_it(data_copy, tmp_path):
    server = bind(0)
    try:
        preview = Preview(server, data_copy, tmp_path / "anteprima", None)
        assert preview._plan({data_copy / "2021" / "incontri.csv"}) == ([2021], [2021, 2022])
        assert preview._plan({data_copy / "2022" / "edizione.toml"}) == ([2022], [2022])
        # Shared files: every edition.
        assert preview._plan({data_copy / "ente.toml"}) == (None, None)
        assert preview._plan({ROOT / "templates" / "_sezione.html.j2"}) == (None, None)
        # An edition that comes: links between editions change.
        (data_copy / "2023").mkdir()
        assert preview._plan({data_copy / "2023"}) == (None, None)
        # Only the editions served are rebuilt.
        only = Preview(server, data_copy, tmp_path / "anteprima", [2022])
        assert only._plan({data_copy / "2021" / "temi.csv"}) == ([2022], [2022])
    finally:
        server.server_close()


def test_script_goes_before_the_end_of_the_body_and_error_page_escapes():
    page = with_script(b"<html><body><p>x</p></body></html>", "abc")
    assert page.index(b"EventSource") < page.index(b"</body>")
    assert b"impronta=abc" in page
    shown = error_page(["Dati non validi: 1 problema.", '  a.csv:2: colonna "x": "<script>"']).decode()
    assert "&lt;script&gt;" in shown and "<script>" not in shown


@pytest.mark.parametrize("source, line, detail", [
    ("<p>\n{{ c.titolo }\n</p>\n", 2, "errore nel modello"),   # syntax
    ("<p>\n\n{{ c.manca.qui }}</p>\n", 3, "manca"),             # an unknown name, at render time
])
def test_template_mistakes_are_reported_with_file_and_line(tmp_path, monkeypatch, source, line, detail):
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    from pipeline import render
    from pipeline.errors import TemplateError
    (tmp_path / "prova.html.j2").write_text(source, "utf-8")
    env = Environment(loader=FileSystemLoader(tmp_path), undefined=StrictUndefined)
    monkeypatch.setattr(render, "TEMPLATES", tmp_path)
    monkeypatch.setattr(render, "environment", lambda: env)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TemplateError) as raised:
        render._render("prova.html.j2", c={"titolo": "x"})
    [problem] = raised.value.problems
    assert (problem.path, problem.line) == ("prova.html.j2", line)
    assert detail in problem.message


def test_the_open_page_reloads_itself_at_the_same_place(data_copy, tmp_path):
    """In Chromium: a save reloads the open page by itself, scrolled where
    the reader was."""
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not Path(chromium).is_file():
        pytest.skip(f"Chromium non trovato in {chromium}: `make test` da root lo installa")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright non installato (`make test`)")
    server = _Server(data_copy, tmp_path / "anteprima", tmp_path, _free_port())
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True,
                                        args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
            page = browser.new_page(viewport={"width": 1280, "height": 700})

            def eventually(expression: str) -> None:
                """Wait until `expression` holds in the page, across the
                reloads the preview itself triggers (the quick page first,
                then again once the background PDF build has published)."""
                deadline = time.monotonic() + WAIT
                while True:
                    try:
                        page.wait_for_load_state("load")
                        if page.evaluate(expression):
                            return
                    except sync_api.Error:
                        pass  # the page was reloading
                    assert time.monotonic() < deadline, f"never true in the page: {expression}"
                    time.sleep(0.05)

            server.wait_line(r"PDF aggiornato")  # the first build is complete: no reload pending
            page.goto(server.url + PAGE_2021)
            page.evaluate("window.scrollTo(0, 1500)")
            before = page.evaluate("window.scrollY")
            assert before > 1000
            toml = data_copy / "2021" / "edizione.toml"
            toml.write_text(toml.read_text("utf-8").replace("Nel suo primo anno", "Nel suo anno d’esordio"),
                            "utf-8")
            eventually("document.body.innerText.includes('anno d’esordio')")
            server.wait_line(r"PDF aggiornato")  # the last reload this save causes
            eventually("document.body.innerText.includes('anno d’esordio')"
                       f" && Math.abs(window.scrollY - {before}) < 2")
            browser.close()
    finally:
        server.proc.send_signal(signal.SIGINT)
        assert server.proc.wait(timeout=WAIT) == 0
