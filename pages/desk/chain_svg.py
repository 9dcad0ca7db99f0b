"""The chain of transmission drawn on the server: an inline SVG and the same in words.

The nodes (work/chains.py) stand in columns by generation, earliest on the left: the
cases this one came from, the contacts they named, this item, the people it named and
the cases they became. A case is a box with a solid border, a contact one with a dashed
border (shape, not only colour, tells them apart); the item of the page has a thick
border and says "This case" or "This contact". Arrows go from a case to the contacts
it named and from a contact to the case they became. A case whose result was withdrawn
(sent in error) is in no chain (work/chains.py): its page, and that of a contact only
it named, says so (`ChainFigure.none`) rather than "Not linked to other cases".

The SVG is `role="img"`, named by its `<title>` and described by its `<desc>`; the
list drawn with it (`ChainFigure.rows`) says the same in words, with a link to each
item the viewer may open. As in the figures' charts (pages/figures/charts.py, whose
helpers this uses), every text goes through XML escaping and colours are presentation
attributes (the Content-Security-Policy refuses style attributes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from audit.services import audit_list_view
from cases.models import Case
from contacts.models import Contact
from pages.figures.charts import (
    FONT,
    GRID,
    NHS_BLUE,
    SECONDARY_TEXT,
    SVG_NS,
    TEXT,
    WHITE,
    _el,
    _esc,
    _n,
)
from work.chains import BECAME, CASE, NAMED, Chain, ChainNode, chain_around

NODE_WIDTH, NODE_HEIGHT = 168, 44
COLUMN_GAP, ROW_GAP = 40, 12
PAD = 8
LABEL_CHARS = 22  # longer names are cut, with the whole in the node's tooltip
PALE_BLUE = "#e8f1f8"


def _day(day: date | None) -> str:
    return f"{day.day} {day:%b %Y}" if day else ""


def _short(text: str) -> str:
    return (
        text
        if len(text) <= LABEL_CHARS
        else text[: LABEL_CHARS - 1] + "\N{HORIZONTAL ELLIPSIS}"
    )


def _kind_word(node: ChainNode) -> str:
    return "case" if node.kind == CASE else "contact"


def node_words(node: ChainNode) -> str:
    """The node in words: "Jo Bloggs (case, tested on 3 Mar 2021)"."""
    parts = [_kind_word(node)]
    if node.date is not None:
        parts.append(f"{node.date_kind} {_day(node.date)}")
    return f"{node.label} ({', '.join(parts)})"


def _second_line(node: ChainNode) -> str:
    if node.centre:
        return f"This {_kind_word(node)}"
    word = "Case" if node.kind == CASE else "Contact"
    if node.date is None:
        return word
    return f"{word}, {node.date.day} {node.date:%b}"


@dataclass(frozen=True)
class _Box:
    x: float
    y: float


def _layout(chain: Chain) -> tuple[dict[str, _Box], float, float]:
    columns = chain.columns()
    tallest = max(len(c) for c in columns)
    height = PAD * 2 + tallest * NODE_HEIGHT + (tallest - 1) * ROW_GAP
    width = PAD * 2 + len(columns) * NODE_WIDTH + (len(columns) - 1) * COLUMN_GAP
    boxes = {}
    for i, column in enumerate(columns):
        column_height = len(column) * NODE_HEIGHT + (len(column) - 1) * ROW_GAP
        top = (height - column_height) / 2
        for j, node in enumerate(column):
            boxes[node.key] = _Box(
                x=PAD + i * (NODE_WIDTH + COLUMN_GAP),
                y=top + j * (NODE_HEIGHT + ROW_GAP),
            )
    return boxes, width, height


def _edge(source: _Box, target: _Box, kind: str) -> str:
    if target.x >= source.x:
        x1, x2 = source.x + NODE_WIDTH, target.x
    else:  # a link back to an earlier column (a chain that closes on itself)
        x1, x2 = source.x, target.x + NODE_WIDTH
    y1, y2 = source.y + NODE_HEIGHT / 2, target.y + NODE_HEIGHT / 2
    bend = (x2 - x1) / 2
    return _el(
        "path",
        d=f"M{_n(x1)} {_n(y1)} C{_n(x1 + bend)} {_n(y1)} {_n(x2 - bend)} {_n(y2)} "
        f"{_n(x2)} {_n(y2)}",
        fill="none",
        stroke=NHS_BLUE if kind == BECAME else SECONDARY_TEXT,
        stroke_width=2 if kind == BECAME else 1.5,
        marker_end="url(#chain-arrow)",
    )


def _node(node: ChainNode, box: _Box) -> str:
    centre = node.centre
    rect = _el(
        "rect",
        x=_n(box.x),
        y=_n(box.y),
        width=NODE_WIDTH,
        height=NODE_HEIGHT,
        rx=4,
        fill=PALE_BLUE if centre else WHITE,
        stroke=NHS_BLUE if node.kind == CASE else SECONDARY_TEXT,
        stroke_width=3 if centre else 1.5,
        stroke_dasharray="" if node.kind == CASE else "5 3",
    )
    x = _n(box.x + 8)
    label = _el(
        "text",
        _esc(_short(node.label)),
        x=x,
        y=_n(box.y + 18),
        fill=TEXT,
        font_size=13,
        font_weight="bold" if centre else "",
    )
    second = _el(
        "text",
        _esc(_second_line(node)),
        x=x,
        y=_n(box.y + 35),
        fill=SECONDARY_TEXT,
        font_size=12,
    )
    return _el("g", _el("title", _esc(node_words(node))) + rect + label + second)


def chain_svg(chain: Chain) -> SafeString:
    """The graph as an inline SVG (drawn at its own size: the page scrolls a wide
    one sideways rather than shrink its text)."""
    boxes, width, height = _layout(chain)
    what = "case" if chain.centre.kind == CASE else "contact"
    cases = sum(1 for n in chain.nodes if n.kind == CASE)
    contacts = len(chain.nodes) - cases
    description = (
        f"{cases} case{'s' if cases != 1 else ''} and {contacts} "
        f"contact{'s' if contacts != 1 else ''}, in order of transmission from left "
        f"to right; arrows go from a case to the contacts it named and from a contact "
        f"to the case they became. The list after the drawing says the same."
    )
    defs = _el(
        "defs",
        _el(
            "marker",
            _el("path", d="M0 0 L8 4 L0 8 z", fill=SECONDARY_TEXT),
            id="chain-arrow",
            viewBox="0 0 8 8",
            refX=8,
            refY=4,
            markerWidth=8,
            markerHeight=8,
            orient="auto",
        ),
    )
    edges = "".join(
        _edge(boxes[e.source], boxes[e.target], e.kind)
        for e in chain.edges
        if e.source in boxes and e.target in boxes
    )
    nodes = "".join(_node(n, boxes[n.key]) for n in chain.nodes)
    svg = _el(
        "svg",
        _el(
            "title", _esc(f"Chain of transmission around this {what}"), id="chain-title"
        )
        + _el("desc", _esc(description), id="chain-desc")
        + defs
        + _el(
            "rect",
            x=0,
            y=0,
            width=_n(width),
            height=_n(height),
            fill=WHITE,
            stroke=GRID,
        )
        + edges
        + nodes,
        xmlns=SVG_NS,
        viewBox=f"0 0 {_n(width)} {_n(height)}",
        width=_n(width),
        height=_n(height),
        role="img",
        focusable="false",
        aria_labelledby="chain-title",
        aria_describedby="chain-desc",
        class_="app-chain__svg",
        font_family=FONT,
    )
    return mark_safe(svg)  # every text in it went through _esc


# --- the same in words ------------------------------------------------------------------


@dataclass(frozen=True)
class ChainRow:
    """One item of the chain as the list says it."""

    label: str
    url: str  # "" when the viewer may not open it
    centre: bool
    words: str  # "contact, exposed on 1 Mar 2021, Reached"
    relations: list[str]  # "Named by Jo Bloggs (case, tested on 3 Mar 2021)"


# What the section says when it draws nothing.
NOT_LINKED = "Not linked to other cases."
WITHDRAWN_CASE = (
    "Not in any chain of transmission: its positive result was withdrawn (sent in "
    "error)."
)
WITHDRAWN_CONTACT = (
    "Not in any chain of transmission: the positive result of the case that named "
    "them was withdrawn (sent in error)."
)


@dataclass(frozen=True)
class ChainFigure:
    linked: bool
    svg: SafeString
    rows: list[ChainRow]
    more: str  # "At least 3 more not shown.", or ""
    days: int  # the chain's rule: exposed within this many days before
    # Not linked: why, in words (a withdrawn item is in no chain at all).
    none: str = ""


def _url(node: ChainNode) -> str:
    if not node.opens:
        return ""
    name = "cases:detail" if node.kind == CASE else "contacts:detail"
    return reverse(name, args=[node.id])


def _row(chain: Chain, node: ChainNode) -> ChainRow:
    facts = [_kind_word(node)]
    if node.date is not None:
        facts.append(f"{node.date_kind} {_day(node.date)}")
    if node.status:
        facts.append(node.status.lower())
    # Where it came from first (named by, was), then what it became.
    named_by, was, became = [], [], []
    for edge in chain.edges:
        if edge.target == node.key and edge.kind == NAMED:
            named_by.append(f"Named by {node_words(chain.node(edge.source))}")
        elif edge.target == node.key and edge.kind == BECAME:
            was.append(f"Was {node_words(chain.node(edge.source))}")
        elif edge.source == node.key and edge.kind == BECAME:
            became.append(f"Became {node_words(chain.node(edge.target))}")
    return ChainRow(
        label=node.label,
        url=_url(node),
        centre=node.centre,
        words=", ".join(facts),
        relations=named_by + was + became,
    )


def chain_figure(chain: Chain) -> ChainFigure:
    """What the page's "Chain of transmission" section draws; nothing but `linked`
    False, and `none` saying why, when no contact near the item became a case or the
    item was withdrawn (a case whose result was sent in error, a contact only such
    cases named: in no chain, work.chains)."""
    if not chain.linked:
        if not chain.withdrawn:
            none = NOT_LINKED
        elif chain.centre.kind == CASE:
            none = WITHDRAWN_CASE
        else:
            none = WITHDRAWN_CONTACT
        return ChainFigure(
            linked=False,
            svg=mark_safe(""),
            rows=[],
            more="",
            days=chain.days,
            none=none,
        )
    # Past the cap the walk stops, so what lies beyond is not counted: "at least".
    more = f"At least {chain.more} more not shown." if chain.more else ""
    rows = [_row(chain, node) for column in chain.columns() for node in column]
    return ChainFigure(
        linked=True, svg=chain_svg(chain), rows=rows, more=more, days=chain.days
    )


def chain_for_page(
    user, *, case: Case | None = None, contact: Contact | None = None
) -> ChainFigure:
    """The section of a case's or contact's page; the people it names (but the
    page's own person, audited with the page) audited as a list the user viewed."""
    chain = chain_around(viewer=user, case=case, contact=contact)
    figure = chain_figure(chain)
    if figure.linked:
        audit_list_view(
            user=user,
            items=chain.named_items,
            via="page",
            list_name="chain of transmission",
        )
    return figure
