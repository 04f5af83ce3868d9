"""Turning what sources send (LaTeX in titles and abstracts) into text a reader can read.

Only math (`$...$`, `\\(...\\)`) goes through pylatexenc: outside math a `%` is a per cent sign,
not the LaTeX comment that would swallow the rest of an abstract.
"""

from __future__ import annotations

import functools
import hmac
import html
import re
import threading
from urllib.parse import urlsplit

import snowballstemmer
from pylatexenc.latex2text import LatexNodes2Text

# A \( span may not hold another \( : without that, text of unclosed "\(" was quadratic (113 ms for
# 6,600 characters; 0.3 ms now).
_MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\(((?:(?!\\\().)+?)\\\)", re.DOTALL)
_ESCAPES = {r"\%": "%", r"\&": "&", r"\_": "_", r"\#": "#", r"\$": "$", "~": " ", "``": "“", "''": "”", "---": "—"}
_ESCAPE = re.compile("|".join(re.escape(k) for k in sorted(_ESCAPES, key=len, reverse=True)))
_TEXT_COMMANDS = re.compile(r"\\(?:textbf|textit|emph|texttt|textsc|mathrm)\{([^{}]*)\}")
_CONVERTER = LatexNodes2Text(math_mode="text", strict_latex_spaces=False)
# Accents outside math (names and titles: Gr\"obner, Koll\'ar, Poincar\'{e}, Erd\H{o}s, \c{c}): symbol
# accents may take a bare letter, letter accents need braces or a space; and the special letters.
_ACCENT = re.compile(
    r"\\[\"'`^~=.]\s*(?:\{\\?[A-Za-z]\}|[A-Za-z])"
    r"|\\[uvHckbdtr](?:\s*\{\\?[A-Za-z]\}|\s+[A-Za-z])"
    r"|\\(?:ss|ae|AE|aa|AA|oe|OE|[oOlLi])(?:\{\}|\s(?=[A-Za-z])|(?![A-Za-z]))"
)
# Blackboard-bold shorthands papers define for number sets (\R, \Q ...), read as the sets.
_SETS = {"N": "ℕ", "Z": "ℤ", "Q": "ℚ", "R": "ℝ", "C": "ℂ"}
_SET = re.compile(r"\\([NZQRC])(?![A-Za-z])")


def _math(match: re.Match[str]) -> str:
    source = next(g for g in match.groups() if g is not None)
    try:
        return str(_CONVERTER.latex_to_text(source)).strip()
    except Exception:  # pylatexenc is lenient, but a reader should never see a crash for an abstract
        return source


def _accent(match: re.Match[str]) -> str:
    try:
        return str(_CONVERTER.latex_to_text(match.group(0))) or match.group(0)
    except Exception:  # as for math: a reader never sees a crash for a name
        return match.group(0)


@functools.lru_cache(maxsize=4096)
def readable(text: str) -> str:
    """`text` with HTML entities decoded (templates escape on output), math converted to Unicode
    (α, ≤, ℝ^d, 1/2) and common LaTeX escapes resolved."""
    if "&" in text:
        text = html.unescape(text)
    if "$" not in text and "\\" not in text and "~" not in text and "`" not in text and "--" not in text:
        return text
    text = _SET.sub(lambda m: _SETS[m.group(1)], text)
    text = _ACCENT.sub(_accent, text)
    text = _MATH.sub(_math, text)
    text = _TEXT_COMMANDS.sub(r"\1", text)
    return _ESCAPE.sub(lambda m: _ESCAPES[m.group(0)], text)


def math_spans(text: str, stop_after: int) -> int:
    """How many $…$, $$…$$ and \\(…\\) spans `text` holds, counting no further than `stop_after` + 1."""
    count = 0
    for _ in _MATH.finditer(text):
        count += 1
        if count > stop_after:
            break
    return count


def math_readable(text: str) -> str:
    """`text` with its $…$, $$…$$ and \\(…\\) math turned into Unicode (α ≤ β), the rest as it is."""
    return _MATH.sub(_math, text) if "$" in text or "\\(" in text else text


# What a browser strips or ignores inside a URL before it reads the scheme ("java\tscript:").
_URL_NOISE = re.compile(r"[\x00-\x20\x7f]")


def safe_link(url: str | None) -> str | None:
    """`url` when it is an absolute http(s) URL with a host, else None (never rendered as a link)."""
    if not url:
        return None
    if _URL_NOISE.search(url.strip()):
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url.strip()


# One Snowball stemmer per thread: the pure-Python stemmer keeps its state on the object, and one
# shared by 8 threads gave 2,230 IndexErrors and 12,805 wrong stems in 26,880 calls (which callers'
# caches then kept for the process's life).
_STEMMERS = threading.local()


def english_stem(word: str) -> str:
    """`word`'s English (Porter 2 / Snowball) stem, as tantivy's "english" stemmer makes it; safe
    from any thread."""
    stemmer = getattr(_STEMMERS, "stemmer", None)
    if stemmer is None:
        stemmer = _STEMMERS.stemmer = snowballstemmer.stemmer("english")
    return str(stemmer.stemWord(word))


def same_secret(expected: str, given: str | None) -> bool:
    """Whether `given` (from outside: any text, or nothing) equals `expected`, in constant time.
    Compared as UTF-8 bytes: `hmac.compare_digest` raises on non-ASCII str, and a signature or token
    pasted with a stray accent must be a plain "no", never an error."""
    return hmac.compare_digest(expected.encode(), (given or "").encode("utf-8", "replace"))


# Control characters (C0 and C1, tab and newlines included: text fields are one line), lone
# surrogates, the two noncharacters XML refuses, and the bidirectional overrides that can make a
# title display as something else. Tabs and newlines become spaces; the rest goes.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"[\t\n\r ]+")


def clean_line(text: str) -> str:
    """`text` as one line of text: non-text characters dropped, runs of white space one space."""
    return _SPACES.sub(" ", _NOT_TEXT.sub("", text)).strip()
