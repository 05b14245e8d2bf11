"""Print layout checks and touches, between WeasyPrint's layout and its PDF.

Figures are never split (`break-inside: avoid`), so one that does not fit at
the bottom of a page moves to the next and can leave a page largely empty.
After laying the section out, `touches` looks at every page but the last:
where more than a third of its height is empty and the next page opens with
a figure, the figure is allowed to give way, within limits:
- a table may break between its rows (its header repeats on the next page);
- a chart is scaled down to fit the space, to no less than 80 % of its
  size (its 8 pt labels stay above 6 pt).
The print version is then laid out again with those touches (`Touches`,
given to the print template).

A long table (more rows than a third of a page holds, `LONG_TABLE`) would
call for that second layout nearly every time it does not fit where it
starts, so it may break from the first layout on (`first_touches`); only
when it then starts in a page's bottom third, where it would break after a
few rows, is it laid out again kept whole (on the next page, leaving that
third empty, as a short table would).

`scope_headers` completes the tagging of tables: WeasyPrint links every
data cell to its header cells (/Headers); header cells also get their /Scope
(/Column in the head, /Row at the start of a body row), which PDF/UA checkers
look for.
"""

from __future__ import annotations

from dataclasses import dataclass, field

EMPTY_LIMIT = 1 / 3  # of a page's content height
MIN_SCALE = 0.8
LONG_TABLE = 15  # rows; at about 5.5 mm a row, more than a third of an A4 page's content


@dataclass(frozen=True)
class Touches:
    """How the print version departs from its stylesheet."""

    tabelle_divisibili: frozenset[str] = frozenset()  # ids of table captions whose figure may break
    scala: dict[int, float] = field(default_factory=dict)  # chart number -> scale of its drawing
    tabelle_intere: frozenset[str] = frozenset()  # long tables that start too low to break: kept whole

    def __bool__(self) -> bool:
        return bool(self.tabelle_divisibili or self.scala)


@dataclass(frozen=True)
class PageGap:
    page: int  # 0-based
    empty: float  # points below the last content of the page
    height: float  # the page's content height
    next_figure: object | None  # the figure box that opens the next page, if any


def _walk(box, ancestors=()):
    """(box, ancestors) for every box under `box`, in document order."""
    yield box, ancestors
    for child in getattr(box, "children", ()):
        yield from _walk(child, (*ancestors, box))


def _is_leaf(box) -> bool:
    from weasyprint.formatting_structure import boxes
    return isinstance(box, (boxes.LineBox, boxes.ReplacedBox))


def _content(page_box):
    """The page's content boxes (not its margin boxes: running header, number)."""
    from weasyprint.formatting_structure import boxes
    for child in page_box.children:
        if not isinstance(child, boxes.MarginBox):
            yield from _walk(child)


def gaps(document) -> list[PageGap]:
    """For every page but the last: the empty space under its last line or
    image, and the figure that opens the next page."""
    found = []
    pages = [p._page_box for p in document.pages]
    for index, page_box in enumerate(pages[:-1]):
        top = page_box.content_box_y()
        bottom = top + page_box.height
        used = max((b.position_y + b.margin_height() for b, _ in _content(page_box) if _is_leaf(b)), default=top)
        opener = next(((b, a) for b, a in _content(pages[index + 1]) if _is_leaf(b)), None)
        figure = None
        if opener:
            figure = next((a for a in reversed(opener[1]) if getattr(a, "element_tag", None) == "figure"), None)
        found.append(PageGap(index, bottom - used, page_box.height, figure))
    return found


def first_touches(tables: dict[str, int]) -> Touches:
    """The touches of the first layout: the tables (caption id -> rows)
    longer than LONG_TABLE may break (see module doc)."""
    return Touches(frozenset(caption for caption, rows in tables.items() if rows > LONG_TABLE))


def _starts_too_low(document, caption: str) -> bool:
    """Whether the table with this caption breaks across pages starting in
    the bottom third of a page (EMPTY_LIMIT of its height or less left)."""
    pages = [p._page_box for p in document.pages]
    for index, page_box in enumerate(pages[:-1]):
        for box, ancestors in _content(page_box):
            if getattr(box, "element_tag", None) == "caption" and box.element.get("id") == caption:
                figure = next((a for a in reversed(ancestors) if getattr(a, "element_tag", None) == "figure"), None)
                if figure is None:
                    return False
                left = page_box.content_box_y() + page_box.height - figure.position_y
                continued = any(getattr(b, "element_tag", None) == "figure" and b.element is figure.element
                                for b, _a in _content(pages[index + 1]))
                return continued and left <= page_box.height * EMPTY_LIMIT
    return False


def touches(document, current: Touches) -> Touches:
    """`current` plus what the pages of `document` call for (see module doc)."""
    whole = set(current.tabelle_intere) | {t for t in current.tabelle_divisibili if _starts_too_low(document, t)}
    tables = set(current.tabelle_divisibili) - whole
    scale = dict(current.scala)
    for gap in gaps(document):
        figure = gap.next_figure
        if gap.empty <= gap.height * EMPTY_LIMIT or figure is None:
            continue
        classes = (figure.element.get("class") or "").split()
        if "tabella" in classes:
            caption = next((b.element.get("id") for b, _ in _walk(figure)
                            if getattr(b, "element_tag", None) == "caption" and b.element.get("id")), None)
            if caption and caption not in whole:
                tables.add(caption)
        elif "grafico" in classes and figure.element.get("id", "").startswith("grafico-"):
            number = int(figure.element.get("id").removeprefix("grafico-"))
            image = next((b for b, _ in _walk(figure) if getattr(b, "element_tag", None) == "img"), None)
            if image is None:
                continue
            rest = figure.margin_height() - image.margin_height()
            fits = (gap.empty - rest - 2) / image.margin_height() * scale.get(number, 1)
            scale[number] = max(MIN_SCALE, min(scale.get(number, 1), int(fits * 100) / 100))
    return Touches(frozenset(tables), scale, frozenset(whole))


def column_widths(document) -> dict[str, tuple[float, ...]]:
    """The column widths (px) of every table with a caption id, as the
    automatic table layout made them: from the widest content of each
    column, whatever the page breaks. A layout of the same document with
    other page breaks can give them to the fixed table layout (`<col>`
    widths) and skip measuring every cell again. A table wider than its
    figure (content that cannot fit) is left out."""
    from weasyprint.formatting_structure import boxes
    found: dict[str, tuple[float, ...]] = {}
    for page in document.pages:
        for box, ancestors in _walk(page._page_box):
            if not isinstance(box, boxes.TableBox) or len(ancestors) < 2:
                continue
            wrapper, figure = ancestors[-1], ancestors[-2]
            caption = next((c.element.get("id") for c in wrapper.children
                            if isinstance(c, boxes.TableCaptionBox) and c.element is not None), None)
            if (caption and caption not in found and box.style["table_layout"] == "auto"
                    and wrapper.margin_width() <= figure.width):
                found[caption] = tuple(box.column_widths)
    return found


def scope_headers(_document, pdf) -> None:
    """A WeasyPrint finisher: /Scope on every table header cell."""
    import pydyf
    objects = pdf.objects

    def parent(element):
        return objects[int(element["P"].split()[0])]
    for element in objects:
        if isinstance(element, pydyf.Dictionary) and element.get("S") == "/TH":
            section = parent(parent(element)).get("S")
            attributes = element.setdefault("A", pydyf.Dictionary({"O": "/Table"}))
            attributes["Scope"] = "/Column" if section == "/THead" else "/Row"
