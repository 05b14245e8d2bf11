"""The compiled-template cache (`render.CODE_CACHE`): templates are compiled
once, an edited template is compiled again, and a cache that cannot be
written changes nothing but the time."""

from __future__ import annotations

import pytest

from pipeline import render


@pytest.fixture()
def templates(tmp_path, monkeypatch):
    """A template folder and a cache folder of their own; a new environment
    for every `render.environment()` call of the test."""
    folder = tmp_path / "modelli"
    folder.mkdir()
    monkeypatch.setattr(render, "TEMPLATES", folder)
    monkeypatch.setattr(render, "CODE_CACHE", tmp_path / "cache")
    render.environment.cache_clear()
    yield folder
    render.environment.cache_clear()


def _fresh_render(name: str, **values) -> str:
    render.environment.cache_clear()  # a new process, as far as Jinja knows
    return render._render(name, **values)


def _compiles(monkeypatch) -> list[str]:
    """The names of the templates Jinja compiles from here on."""
    from jinja2 import Environment
    compiled = []
    original = Environment.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):
        compiled.append(name)
        return original(self, source, name, filename, raw, defer_init)
    monkeypatch.setattr(Environment, "compile", counting)
    return compiled


def test_a_template_is_compiled_once_and_again_when_edited(templates, tmp_path, monkeypatch):
    (templates / "prova.html.j2").write_text("<p>{{ n|numero }} incontri</p>\n", "utf-8")
    compiled = _compiles(monkeypatch)
    assert _fresh_render("prova.html.j2", n=1234) == "<p>1.234 incontri</p>\n"
    assert compiled == ["prova.html.j2"] and list((tmp_path / "cache").iterdir())
    assert _fresh_render("prova.html.j2", n=5) == "<p>5 incontri</p>\n"
    assert compiled == ["prova.html.j2"]  # the second run read the compiled code
    (templates / "prova.html.j2").write_text("<p>{{ n|numero }} gruppi</p>\n", "utf-8")
    assert _fresh_render("prova.html.j2", n=5) == "<p>5 gruppi</p>\n"
    assert compiled == ["prova.html.j2", "prova.html.j2"]


def test_the_key_covers_the_code_that_shapes_compiled_templates(templates, tmp_path, monkeypatch):
    (templates / "prova.html.j2").write_text("{{ x }}\n", "utf-8")
    compiled = _compiles(monkeypatch)
    _fresh_render("prova.html.j2", x=1)
    render._code_fingerprint.cache_clear()
    monkeypatch.setattr(render, "_code_fingerprint", lambda: "another version of the filters")
    assert _fresh_render("prova.html.j2", x=2) == "2\n"
    assert len(compiled) == 2 and len(list((tmp_path / "cache").iterdir())) == 2


def test_a_cache_that_cannot_be_written_only_costs_time(templates, tmp_path, monkeypatch):
    blocked = tmp_path / "un-file"
    blocked.write_text("", "utf-8")
    monkeypatch.setattr(render, "CODE_CACHE", blocked / "cache")  # under a file: never a folder
    (templates / "prova.html.j2").write_text("{{ x }}\n", "utf-8")
    assert _fresh_render("prova.html.j2", x=3) == "3\n"
    assert _fresh_render("prova.html.j2", x=4) == "4\n"
