"""Live preview: `python -m pipeline serve`.

One process, so the libraries are imported once. The editions are built by
the same `build()` as `make report`, into a preview folder, and a small HTTP
server on 127.0.0.1 serves that folder. A watcher (watchdog: inotify on
Linux) sees each save under the data folder or templates/; the builder
thread then redoes the editions the file belongs to, first without the PDF
(the page is back in a blink, with the PDF published before), then, in a
second thread, completely, PDF included. A newer save supersedes a
background build before it publishes.

Every HTML response carries a small script that listens to server-sent
events and reloads the page, at the same scroll position, once what the
server would send for that page has changed. A failed build is shown in
place of every page, in the words of the command line; the server keeps
running and the next good build brings the pages back. Nothing of this
reaches the files on disk.
"""

from __future__ import annotations

import errno
import hashlib
import html
import mimetypes
import re
import signal
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, unquote, urlsplit

from . import formatting
from .build import build
from .edition import editions_in
from .errors import InputError, UsageError, display_path
from .render import TEMPLATES

HOST = "127.0.0.1"  # never reachable from another machine
DEFAULT_PORT = 8000
EVENTS = "/__anteprima/eventi"
QUIET = 0.02  # s without further events before a save is taken as finished
PDF_WAIT = 120  # s a PDF request waits for the PDF being redone
_IGNORED = re.compile(r"^[.~#]|~$|\.(swp|swx|tmp|bak)$|^4913$")  # editors' and Office's scratch files


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    preview: "Preview"


def bind(port: int | None) -> _Server:
    """The listening socket, on 127.0.0.1 only: the given port, or 8000,
    or (when 8000 is taken and no port was asked for) any free one."""
    for candidate in ([port] if port is not None else [DEFAULT_PORT, 0]):
        try:
            return _Server((HOST, candidate), _Handler)
        except OverflowError:
            raise UsageError(f"--port vuole un numero da 1 a 65535 (ricevuto {port})") from None
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE and port is None:
                continue
            if exc.errno == errno.EADDRINUSE:
                raise UsageError(f"la porta {port} è già in uso su {HOST}: chiudere il programma che la usa "
                                 f"oppure sceglierne un’altra, per esempio --port {port + 1}") from None
            if exc.errno in (errno.EACCES, errno.EPERM):
                raise UsageError(f"la porta {port} richiede i permessi di amministratore: "
                                 f"sceglierne una da 1024 in su, per esempio --port 8000") from None
            raise
    raise AssertionError("port 0 is always free")


def problem_lines(exc: BaseException) -> list[str]:
    """A failed build as the command line reports it: a header, then one
    line per problem (or the traceback of an unexpected error)."""
    from .cli import problem_footer, problem_header
    if isinstance(exc, InputError):
        warnings = [f"Avvisi ({len(exc.warnings)}):"] + [f"  {p}" for p in exc.warnings] if exc.warnings else []
        return warnings + [problem_header(exc)] + [f"  {p}" for p in exc.problems] + [problem_footer(exc)]
    if isinstance(exc, UsageError):
        return [f"errore: {exc}"]
    return ["Errore interno del programma (non dei dati):"] + \
        "".join(traceback.format_exception(exc)).rstrip().splitlines()


def error_page(lines: list[str]) -> bytes:
    """What every page shows while the inputs cannot be built."""
    header, *rest = lines
    items = "\n".join(f"<li><code>{html.escape(line.strip())}</code></li>" for line in rest)
    return f"""<!DOCTYPE html>
<html lang="it">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Anteprima: da correggere</title>
<style>
body {{ font-family: system-ui, sans-serif; color: #1d1d1b; margin: 0; background: #fbf6f3; }}
main {{ max-width: 48rem; margin: 0 auto; padding: 2.5rem 1.25rem; }}
h1 {{ font-size: 1.5rem; color: #8a1c12; margin: 0 0 1rem; }}
p {{ line-height: 1.5; }}
ul {{ padding: 0; list-style: none; }}
li {{ background: #fff; border-left: 4px solid #b3261e; padding: .6rem .8rem; margin: .5rem 0;
      overflow-wrap: anywhere; }}
code {{ font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .95rem; white-space: pre-wrap; }}
</style>
</head>
<body>
<main>
<h1>L’anteprima non si è potuta aggiornare</h1>
<p><strong>{html.escape(header)}</strong></p>
<ul>
{items}
</ul>
<p>Correggere e salvare il file: questa pagina torna da sola all’anteprima.</p>
</main>
</body>
</html>
""".encode("utf-8")


_SCRIPT = """<script>
(function () {
  var key = "anteprima:" + location.pathname;
  if ("scrollRestoration" in history) history.scrollRestoration = "manual";
  var y = sessionStorage.getItem(key);
  if (y !== null) {
    sessionStorage.removeItem(key);
    window.scrollTo(0, Number(y));
    window.addEventListener("load", function () { window.scrollTo(0, Number(y)); });
  }
  var events = new EventSource("%s?pagina=" + encodeURIComponent(location.pathname) + "&impronta=%s");
  events.addEventListener("ricarica", function () {
    events.close();
    sessionStorage.setItem(key, String(window.scrollY));
    location.reload();
  });
})();
</script>
"""


def with_script(page: bytes, tag: str) -> bytes:
    """The page with the reloading script before its closing </body>."""
    script = (_SCRIPT % (EVENTS, tag)).encode("utf-8")
    end = page.rfind(b"</body>")
    return page + script if end < 0 else page[:end] + script + page[end:]


def tag(content: bytes | None) -> str:
    return hashlib.sha256(content).hexdigest()[:16] if content is not None else "assente"


class Preview:
    """The builder, the background PDF builder and what the HTTP handlers
    read. `start()` builds once and starts serving; `stop()` ends it all."""

    def __init__(self, server: _Server, data_dir: Path, out_dir: Path, years: list[int] | None,
                 pdf_variant: str | None = "pdf/ua-1", log: Callable[[str], None] = print, adopt: bool = False):
        self.server, self.data_dir, self.out_dir, self.adopt = server, data_dir, out_dir, adopt
        self.years, self.pdf_variant, self.log = years, pdf_variant, log
        server.preview = self
        self.root = out_dir.resolve()
        self.url = f"http://{HOST}:{server.server_address[1]}/"
        # What handlers read: a version bumped at each publication, the
        # failed build's lines (None when the last build succeeded).
        self.changed = threading.Condition()
        self.version = 0
        self.problems: list[str] | None = None
        self.pdf_ready = threading.Event()
        self.closing = False
        # Builder state.
        self.generation = 0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._pending: set[Path] = set()
        self._failed: set[int] | None = set()  # editions a failed build left out of date (None: all)
        self._known = editions_in(data_dir)
        self._job: tuple[int, list[int] | None, float] | None = None
        self._job_ready = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._observer = None
        self._memo: dict = {}  # editions' summaries, kept while their records do not change

    # -- lifecycle -------------------------------------------------------
    def start(self) -> None:
        """Build every edition served, then serve, watch and rebuild.
        Raises UsageError when the options are wrong (no such edition)."""
        self._quick(None, "avvio", first=True, everything=None)
        self._observer = self._watch()
        for target in (self.server.serve_forever, self._build_loop, self._background_loop):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self.closing = True
        if self._observer is not None:
            self._observer.stop()
        self._wake.set()
        with self._job_ready:
            self._job_ready.notify_all()
        with self.changed:
            self.changed.notify_all()
        if self._threads:
            self.server.shutdown()
        self.server.server_close()
        for thread in self._threads[1:2]:  # the builder: a quick build is short
            thread.join(timeout=5)
        if self._observer is not None:
            self._observer.join(timeout=5)

    # -- watching --------------------------------------------------------
    def _watch(self):
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        preview = self

        class Saved(FileSystemEventHandler):
            def on_any_event(self, event):
                if event.event_type in ("opened", "closed_no_write") or (
                        event.is_directory and event.event_type == "modified"):
                    return
                # A file saved by renaming a scratch file over it counts as itself.
                path = Path(event.dest_path if event.event_type == "moved" else event.src_path)
                if not _IGNORED.search(path.name):
                    preview.saved(path)

        observer = Observer()
        for folder in (self.data_dir, TEMPLATES):
            observer.schedule(Saved(), str(folder), recursive=True)
        observer.daemon = True
        observer.start()
        return observer

    def saved(self, path: Path) -> None:
        """A file under a watched folder changed."""
        with self._lock:
            self._pending.add(path)
        self._wake.set()

    # -- building --------------------------------------------------------
    def _plan(self, paths: set[Path]) -> tuple[list[int] | None, list[int] | None]:
        """The editions to redo for these saved files: those to show first
        (the edited ones) and all (with the editions compared with them).
        None means every edition served."""
        available = editions_in(self.data_dir)
        if available != self._known:  # an edition came or went: links and comparisons change
            self._known = available
            return None, None
        data = self.data_dir.resolve()
        edited: set[int] = set()
        for path in paths:
            try:
                first = path.resolve().relative_to(data).parts[0]
            except (ValueError, IndexError):
                return None, None  # templates/, ente.toml: every edition
            if not re.fullmatch(r"\d{4}", first):
                return None, None
            edited.add(int(first))
        failed = self._failed
        if failed is None:
            return None, None
        served = set(self.years or available)
        edited = (edited | failed) & set(available)
        later = {min((y for y in available if y > year), default=None) for year in edited}
        everything = sorted((edited | later) & served)
        return sorted(edited & served) or everything, everything

    def _build_loop(self) -> None:
        while not self.closing:
            self._wake.wait()
            while not self.closing:  # a save is often several events: wait for quiet
                self._wake.clear()
                if not self._wake.wait(QUIET):
                    break
            if self.closing:
                return
            with self._lock:
                paths, self._pending = self._pending, set()
            if paths:
                quick, everything = self._plan(paths)
                if quick is None or everything:
                    existing = sorted(display_path(p) for p in paths if p.exists()) or ["file rimossi"]
                    names = ", ".join(existing[:3]) + (" e altri" if len(existing) > 3 else "")
                    self._quick(quick, names, everything=everything)

    def _years(self, years: list[int] | None) -> list[int] | None:
        return self.years if years is None else years

    def _quick(self, years: list[int] | None, what: str, first: bool = False,
               everything: list[int] | None = None) -> None:
        """Rebuild without rendering the PDF, publish, reload the pages;
        then hand the complete build to the background thread."""
        self.generation += 1
        self.pdf_ready.clear()
        start, cpu = time.perf_counter(), time.thread_time()
        try:
            build(self.data_dir, self.out_dir, self._years(years), log=_silent, pdf_variant=self.pdf_variant,
                  adopt=self.adopt, pdf=False, durable=False, memo=self._memo)
        except UsageError as exc:
            if first:
                raise
            self._fail(exc, None)
            return
        except Exception as exc:  # noqa: BLE001 - shown on the page; the server keeps running
            self._fail(exc, None if years is None else set(years))
            return
        with self._lock:
            self._failed = set()
        self._published(problems=None)
        elapsed = formatting.number(round(time.perf_counter() - start, 2))
        cpu = formatting.number(round(time.thread_time() - cpu, 2))
        if not first:
            self.log(f"{time.strftime('%H:%M:%S')}  {what}: anteprima aggiornata in {elapsed} s (CPU {cpu} s)")
        with self._job_ready:
            self._job = (self.generation, everything, time.perf_counter())
            self._job_ready.notify_all()

    def _fail(self, exc: BaseException, years: set[int] | None) -> None:
        lines = problem_lines(exc)
        with self._lock:
            self._failed = None if years is None or self._failed is None else self._failed | years
        self.pdf_ready.set()
        self._published(problems=lines)
        self.log(f"{time.strftime('%H:%M:%S')}  " + "\n".join(lines))

    def _background_loop(self) -> None:
        while True:
            with self._job_ready:
                self._job_ready.wait_for(lambda: self._job is not None or self.closing)
                if self.closing:
                    return
                generation, years, start = self._job
                self._job = None

            def current() -> bool:
                return generation == self.generation and not self.closing
            try:
                done = build(self.data_dir, self.out_dir, self._years(years), log=_silent,
                             pdf_variant=self.pdf_variant, adopt=self.adopt, still_current=current, memo=self._memo)
            except Exception as exc:  # noqa: BLE001 - shown on the page
                if current():
                    self._fail(exc, None if years is None else set(years))
                continue
            if done is not None and current():
                self.pdf_ready.set()
                self._published(problems=None)
                elapsed = formatting.number(round(time.perf_counter() - start, 1))
                self.log(f"{time.strftime('%H:%M:%S')}  PDF aggiornato in {elapsed} s")

    def _published(self, problems: list[str] | None) -> None:
        with self.changed:
            self.problems = problems
            self.version += 1
            self.changed.notify_all()

    # -- what is served --------------------------------------------------
    def resolve(self, url_path: str) -> Path | None:
        """The file under the preview folder a URL path names, or None
        when the path would lead outside it (or to a hidden file)."""
        parts = [p for p in unquote(url_path).split("/") if p not in ("", ".")]
        if any(p == ".." or p.startswith(".") or "\\" in p or "\0" in p for p in parts):
            return None
        path = self.root.joinpath(*parts)
        try:
            real = path.resolve()
        except (OSError, RuntimeError):
            return None
        if real != self.root and not real.is_relative_to(self.root):
            return None
        if real.is_dir() or url_path.endswith("/"):
            real = real / "index.html"
        return real

    def content(self, path: Path) -> bytes | None:
        """What a request for `path` gets (before the script is added): the
        error page for any page while the last build failed."""
        with self.changed:
            problems = self.problems
        if problems is not None and path.suffix == ".html":
            return error_page(problems)
        if path.suffix == ".pdf":
            self.pdf_ready.wait(PDF_WAIT)
        try:
            return path.read_bytes()
        except OSError:
            return None


def _silent(_line: str) -> None:
    pass


def _interrupt(_number, _frame):
    raise KeyboardInterrupt


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "anteprima"
    protocol_version = "HTTP/1.0"

    def log_message(self, format, *args):  # noqa: A002 - the console shows builds, not requests
        pass

    def do_HEAD(self):
        self._respond(send_body=False)

    def do_GET(self):
        self._respond(send_body=True)

    def _respond(self, send_body: bool) -> None:
        preview = self.server.preview
        url = urlsplit(self.path)
        if url.path == EVENTS:
            return self._events(parse_qs(url.query))
        path = preview.resolve(url.path)
        if path is None:
            return self._plain(403, "Richiesta rifiutata: fuori dalla cartella dell’anteprima.\n", send_body)
        body = preview.content(path)
        if body is None:
            return self._plain(404, "Pagina non trovata nell’anteprima.\n", send_body)
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix == ".html":
            body = with_script(body, tag(body))
        self.send_response(200)
        self.send_header("Content-Type", f"{kind}; charset=utf-8" if kind.startswith("text/") else kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _plain(self, status: int, text: str, send_body: bool) -> None:
        body = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _events(self, query: dict) -> None:
        """Server-sent events: one `ricarica` event when the page the
        client shows (by its tag) is no longer what it would be served."""
        preview = self.server.preview
        page = preview.resolve(query.get("pagina", ["/"])[0])
        shown = query.get("impronta", [""])[0]
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        version = -1
        try:
            self.wfile.write(b"retry: 300\n\n")
            self.wfile.flush()
            while True:
                with preview.changed:
                    preview.changed.wait_for(lambda: preview.version != version or preview.closing, timeout=15)
                    if preview.closing:
                        return
                    fresh = preview.version != version
                    version = preview.version
                if fresh and page is not None and tag(preview.content(page)) != shown:
                    self.wfile.write(f"event: ricarica\ndata: {version}\n\n".encode())
                    self.wfile.flush()
                    return
                self.wfile.write(b": in attesa\n\n")  # finds closed tabs
                self.wfile.flush()
        except OSError:
            return


def serve(data_dir: Path, out_dir: Path, years: list[int] | None, port: int | None,
          pdf_variant: str | None = "pdf/ua-1", adopt: bool = False, log: Callable[[str], None] = print) -> int:
    """`python -m pipeline serve`: runs until Ctrl-C (or SIGTERM)."""
    server = bind(port)
    preview = Preview(server, data_dir, out_dir, years, pdf_variant, log, adopt)
    # Ctrl-C and SIGTERM stop it, even where the shell started it with
    # SIGINT ignored (a background job).
    previous = {s: signal.signal(s, _interrupt) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        log(f"Anteprima di {display_path(data_dir)}/, generata in {display_path(out_dir)}/")
        preview.start()
        log(f"Anteprima pronta: {preview.url}  (si aggiorna a ogni salvataggio; Ctrl-C per fermarla)")
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        preview.stop()
        for number, handler in previous.items():
            signal.signal(number, handler)
    log("Anteprima fermata.")
    return 0
