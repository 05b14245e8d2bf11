"""Command line: `python -m pipeline build|check|serve`, Italian output.

Exit status: 0 success (warnings allowed), 1 invalid input, 2 usage error.
No input problem ever ends in a Python traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import re
import sys
import time
from pathlib import Path

PREVIEW_DIR = Path(".cache/anteprima")  # `serve` builds here unless --out says otherwise

_TRANSLATIONS = (
    (r"unrecognized arguments: (.*)", r"opzione sconosciuta: \1"),
    (r"argument --anno: invalid int value: (.*)", r"--anno vuole un anno, per esempio 2021 (ricevuto \1)"),
    (r"argument (\S+): expected one argument", r"\1 vuole un valore"),
    (r"argument command: invalid choice: (\S+).*", r"comando sconosciuto: \1 (usare build, check, serve o modello)"),
    (r"argument --port: invalid int value: (.*)", r"--port vuole un numero di porta, per esempio 8000 (ricevuto \1)"),
    (r"the following arguments are required: --anno", r"manca --anno: indicare l’edizione, per esempio --anno 2024"),
    (r"argument --pdf: invalid choice: (\S+).*", r"--pdf vuole pdf/ua-1 oppure pdf/a-3b (ricevuto \1)"),
    (r"the following arguments are required: .*", r"manca il comando: usare build, check, serve o modello"),
)


class _Parser(argparse.ArgumentParser):
    """argparse speaking Italian: usage line, help headings, errors."""

    def format_usage(self) -> str:
        return super().format_usage().replace("usage:", "uso:", 1)

    def format_help(self) -> str:
        return super().format_help().replace("usage:", "uso:", 1).replace(
            "show this help message and exit", "mostra questo aiuto ed esce")

    def error(self, message: str):
        for pattern, replacement in _TRANSLATIONS:
            if re.fullmatch(pattern, message):
                message = re.sub(pattern, replacement, message)
                break
        self.print_usage(sys.stderr)
        print(f"errore: {message}", file=sys.stderr)
        sys.exit(2)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m pipeline", add_help=True,
                     description="Rigenera la sezione “Comunità di pratiche” del Bilancio sociale.")
    parser._positionals.title = "comandi"
    parser._optionals.title = "opzioni"
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, helptext in (("build", "controlla i dati e genera pagina, PDF e dati"),
                           ("check", "controlla soltanto i dati"),
                           ("serve", "anteprima nel browser, aggiornata a ogni salvataggio")):
        cmd = sub.add_parser(name, help=helptext, description=helptext)
        cmd._optionals.title = "opzioni"
        cmd.add_argument("--anno", type=int, action="append",
                         help="solo questa edizione (ripetibile; predefinito: tutte)")
        cmd.add_argument("--data", type=Path, default=Path("data/raw"), help="cartella dei dati (data/raw)")
        if name == "build":
            cmd.add_argument("--out", type=Path, default=Path("output"), help="cartella dei risultati (output)")
        if name == "serve":
            cmd.add_argument("--out", type=Path, default=PREVIEW_DIR,
                             help=f"cartella dell’anteprima ({PREVIEW_DIR}; output/ resta com’è)")
            cmd.add_argument("--port", type=int, default=None,
                             help="porta su 127.0.0.1 (predefinita: 8000, o una libera se è occupata)")
        if name in ("build", "serve"):
            cmd.add_argument("--adotta", action="store_true",
                             help="usa come cartella dei risultati una cartella esistente non creata da questa "
                                  "procedura, senza cancellare né sostituire i file che contiene")
            cmd.add_argument("--pdf", default="pdf/ua-1", choices=("pdf/ua-1", "pdf/a-3b"), metavar="VARIANTE",
                             help="variante PDF di WeasyPrint: pdf/ua-1 (predefinita, PDF accessibile) o pdf/a-3b")
    helptext = "scrive il modello Excel dati.xlsx di un’edizione (senza mai sovrascriverlo)"
    cmd = sub.add_parser("modello", help=helptext, description=helptext)
    cmd._optionals.title = "opzioni"
    cmd.add_argument("--anno", type=int, required=True, help="l’edizione, per esempio 2024")
    cmd.add_argument("--data", type=Path, default=Path("data/raw"), help="cartella dei dati (data/raw)")
    return parser


def _print_problems(problems, header: str) -> None:
    print(header, file=sys.stderr)
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)


def _template(data: Path, anno: int) -> int:
    """`modello`: write the edition's workbook and say what to do next."""
    from .errors import display_path
    from .workbook_template import write
    written = write(data, anno)
    counts = ", ".join(f"{t} {n}" for t, n in written.rows.items())
    print(f"Scritto {display_path(written.path)}, "
          + (f"con i dati presi {written.source} (righe: {counts})." if written.source
             else "con le sole intestazioni (non c’è un’edizione precedente)."))
    if written.source.startswith("dai file CSV"):
        print("Ora spostare altrove i file CSV dell’edizione: la procedura legge o dati.xlsx o i CSV, non entrambi.")
    elif not (written.path.parent / "edizione.toml").exists():
        print(f"Serve anche {display_path(written.path.parent / 'edizione.toml')}: copiarlo dall’edizione "
              "precedente e aggiornarlo.")
    print("Le istruzioni sono nel primo foglio del file; poi make check e make report.")
    return 0


def problem_header(exc) -> str:
    """The line above a failed build's problems, for an InputError (the
    preview shows it too). errors.py is imported only past the no-op check:
    its dataclasses cost an import."""
    from .errors import TemplateError
    n = len(exc.problems)
    what = "Modello non valido" if isinstance(exc, TemplateError) else "Dati non validi"
    return f"{what}: {n} {'problema' if n == 1 else 'problemi'}. Nessun file è stato modificato."


def _years(years: list[int]) -> str:
    return ", ".join(map(str, years))


def _warnings_note(n: int) -> str:
    if not n:
        return ""
    return f" ({n} {'avviso' if n == 1 else 'avvisi'} dall’ultima generazione: `make check` li mostra)"


def problem_footer(exc) -> str:
    """The last line of a failed run, so that a log (and `make`, which adds
    its own "Error 1" after it) ends with what the pipeline concluded."""
    n = len(exc.problems)
    return f"Da correggere: {n} {'problema elencato' if n == 1 else 'problemi elencati'} sopra (codice di uscita 1)."


@contextlib.contextmanager
def _collector_paused():
    """The cyclic garbage collector off while one build or check runs (not
    the preview server, which runs for hours).

    A build allocates hundreds of thousands of objects that live until it
    ends (imported modules, layout boxes, chart artists); the collector's
    passes over them cost about a fifth of a small build's CPU and free
    almost nothing, since the bulk of the memory is arrays freed by
    reference counting (peak memory is the same with it off: see
    bench/risultati.md). Restored afterwards, so an in-process caller keeps
    its own setting."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def run() -> None:
    """Entry point of `python -m pipeline` and of the `bilancio` script."""
    # Off for the whole process, not only for `main`: turning it back on
    # at the end would let the next allocation start a full collection
    # over everything the build imported and made, just before the exit
    # frees it all (measured: 0.1 s of a 2 s build).
    gc.disable()
    status = main()
    # The interpreter's last collection at exit would walk every object
    # still alive, for the same nothing.
    gc.freeze()
    sys.exit(status)


def main(argv: list[str] | None = None) -> int:
    # Line by line even into a file or a pipe, so that a log that takes both
    # streams (make report > log 2>&1) reads in the order of the screen.
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)
    args = _parser().parse_args(argv)
    if args.command == "serve":
        gc.enable()  # it runs for hours: the collector stays on (`run` turned it off)
        return _command(args)
    with _collector_paused():
        return _command(args)


def _command(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    todo = None
    if args.command == "build":
        # Before any heavy import: is there anything to do at all?
        from . import fingerprint
        todo = fingerprint.plan(args.data, args.out, args.anno, {"pdf": args.pdf, "adotta": args.adotta})
        if not todo.stale:
            print(f"Nessuna modifica dall’ultima generazione: {args.out.as_posix()}/ è già aggiornata"
                  f"{_warnings_note(todo.warnings)}.")
            return 0
    from .errors import InputError, UsageError, display_path
    try:
        if args.command == "check":
            from .build import check
            warnings = check(args.data, args.anno)
            if warnings:
                _print_problems(warnings, f"Avvisi ({len(warnings)}):")
            extra = f" ({len(warnings)} {'avviso' if len(warnings) == 1 else 'avvisi'}, sopra)" if warnings else ""
            print(f"Controllo completato: nessun problema{extra}.")
            return 0
        if args.command == "modello":
            return _template(args.data, args.anno)
        if args.command == "serve":
            from .serve import serve
            return serve(args.data, args.out, args.anno, args.port, args.pdf, args.adotta)
        from . import fingerprint, formatting
        from .build import build
        if todo.keys and len(todo.stale) < len(todo.keys):
            print(f"Già aggiornate: {_years(sorted(set(todo.keys) - set(todo.stale)))}; "
                  f"da rigenerare: {_years(todo.stale)}")
        print(f"Costruzione di {display_path(args.out)}/ da {display_path(args.data)}/")
        result = build(args.data, args.out, todo.stale if todo.keys else args.anno, pdf_variant=args.pdf or None,
                       adopt=args.adotta)
        if todo.keys:
            fingerprint.record(args.out, todo, {y: sum(Path(w.path).parent.name == str(y) for w in result.warnings)
                                                 for y in todo.stale})
        if result.warnings:
            _print_problems(result.warnings, f"Avvisi ({len(result.warnings)}):")
        print("File scritti:")
        for path in result.written:
            print(f"  {display_path(path)}")
        print(f"Fatto in {formatting.number(round(time.perf_counter() - start, 1))} s.")
        return 0
    except UsageError as exc:
        print(f"errore: {exc}", file=sys.stderr)
        return 2
    except InputError as exc:
        if exc.warnings:
            _print_problems(exc.warnings, f"Avvisi ({len(exc.warnings)}):")
        _print_problems(exc.problems, problem_header(exc))
        print(problem_footer(exc), file=sys.stderr)
        return 1
    except OSError as exc:  # inputs are read without raising: this is the output folder
        from .errors import os_output_problem
        where = display_path(Path(exc.filename)) if exc.filename else display_path(getattr(args, "out", ""))
        print(f"errore: {where}: {os_output_problem(exc)}. Nessuna edizione è rimasta a metà: "
              "in output/ ciascuna è quella di prima oppure quella nuova, intera.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrotto: nessun file è stato modificato.", file=sys.stderr)
        return 130
