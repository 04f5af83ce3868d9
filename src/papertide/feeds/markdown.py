"""A paper as Markdown, for scripts and agents (`/papers/{id}.md`, `Accept: text/markdown`, and what
huggingface_hub's `read_paper` reads). Pure: a card in, text out.

Text from outside is escaped for Markdown (a title holding `*`, `[x](javascript:…)` or `<script>`
reads as those characters in any renderer), and only http(s) links are written as links (the card's
links are already `safe_link`s)."""

from __future__ import annotations

import re

from papertide.feeds.cards import Card
from papertide.ids import paper_path

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def escape(text: str) -> str:
    """`text` with every character Markdown could read as syntax backslash-escaped."""
    return _SPECIAL.sub(r"\\\1", text)


def link(label: str, url: str | None) -> str:
    return f"[{escape(label)}](<{url}>)" if url else ""


def paper_markdown(card: Card, site_url: str, bibtex: str = "") -> str:
    """The paper's page as Markdown: title, authors, dates, links, abstract, BibTeX."""
    lines = [f"# {escape(card.title)}", ""]
    if card.authors:
        lines.append(f"**Authors:** {escape(', '.join(card.authors))}")
    elif card.byline:
        lines.append(f"**Authors:** {escape(card.byline)}")
    if card.organization:
        lines.append(f"**Organization:** {escape(card.organization)}")
    facts = []
    if card.published:
        facts.append(f"published {card.published[:10]}")
    if card.featured_date:
        facts.append(f"featured {card.featured_date}")
    facts.append(f"{card.upvotes} upvote{'' if card.upvotes == 1 else 's'}")
    lines.append(f"**Dates:** {', '.join(facts)}")
    if card.categories:
        lines.append(f"**Categories:** {escape(' '.join(card.categories))}")
    links = [
        link("Paper page", site_url + paper_path(card.id)),
        link("arXiv", card.abs_url),
        link("PDF", card.pdf_url),
        link("Code", card.code_url),
        link("Project page", card.project_url),
    ]
    lines += [f"**Links:** {' · '.join(x for x in links if x)}", "", "## Abstract", "", escape(card.abstract)]
    if card.comments:
        lines += ["", f"*Comments:* {escape(card.comments)}"]
    if bibtex:
        lines += ["", "## BibTeX", "", "```bibtex", bibtex.replace("```", "'''"), "```"]
    return "\n".join(lines) + "\n"
