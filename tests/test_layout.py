"""The layout is the architecture (issue 15): no import cycle anywhere in the package, the layer
contracts hold (import-linter, also run by .ci/run), the README's command table matches the live
`--help`, and the README's library examples run."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import grimp
import pytest
from click.testing import CliRunner

from papertide.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def import_cycles(package: str) -> list[list[str]]:
    """Every set of modules that import each other in a ring (imports inside functions count)."""
    graph = grimp.build_graph(package)
    edges = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    rings: list[list[str]] = []
    counter = 0

    def visit(start: str) -> None:  # Tarjan's strongly connected components, iteratively
        nonlocal counter
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    ring = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        ring.append(member)
                        if member == node:
                            break
                    if len(ring) > 1:
                        rings.append(sorted(ring))
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(edges[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return rings


def test_no_import_cycles() -> None:
    assert import_cycles("papertide") == []


def test_the_layer_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]


def commands(group: object = main, prefix: str = "") -> list[str]:
    """Every runnable command's full name, from the live CLI."""
    found = []
    for name, command in sorted(getattr(group, "commands", {}).items()):
        full = f"{prefix} {name}".strip()
        if getattr(command, "commands", None):
            found += commands(command, full)
            if getattr(command, "invoke_without_command", False):
                found.append(full)
        else:
            found.append(full)
    return found


def readme_commands() -> list[str]:
    """The commands the README's table names (`papertide NAME [SUB] ...` in its first column)."""
    rows = re.findall(r"^\| `papertide ([a-z-]+(?: [a-z-]+)?)", README, re.M)
    live = set(commands())
    return sorted({r if r in live else r.split()[0] for r in rows})


def test_the_readme_command_table_lists_every_command() -> None:
    live = commands()
    documented = readme_commands()
    assert [c for c in live if c not in documented and c.split()[0] not in documented] == []
    assert [c for c in documented if c not in live] == []


def readme_rows() -> list[str]:
    return [r for r in README.splitlines() if r.startswith("| `papertide ")]


def help_text(command: str) -> str:
    """The live --help of `command`, and of its subcommands when it is a group."""
    texts = [CliRunner().invoke(main, [*command.split(), "--help"]).output]
    subcommands = [c for c in commands() if c.startswith(command + " ")]
    texts += [CliRunner().invoke(main, [*c.split(), "--help"]).output for c in subcommands]
    return "\n".join(texts)


@pytest.mark.parametrize("row", readme_rows(), ids=lambda r: r.split("`")[1][:40])
def test_every_option_in_the_readme_table_exists(row: str) -> None:
    usage = row.split("|")[1]
    named = max((c for c in commands() if usage.startswith(f" `papertide {c}")), key=len)
    written = set(re.findall(r"(--[a-z][a-z-]*)", usage))
    assert {o for o in written if o not in help_text(named)} == set()


def readme_python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README, re.S)


@pytest.mark.parametrize("number", range(len(readme_python_blocks())))
def test_the_readme_library_examples_run(number: int, tmp_path: Path) -> None:
    code = readme_python_blocks()[number]
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


# --- the core is closed: the shells reach the store only through `Papertide` (issue 25) ------------------
SHELLS = ("web", "cli")


def store_reaches(source: str) -> list[tuple[int, str]]:
    """(line, what) for every way `source` reaches a store around the core: an attribute named
    `store` or `_store` on anything (an import contract cannot see attribute access), or an import
    of `papertide.store` or any module in it."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in ("store", "_store"):
            found.append((node.lineno, f".{node.attr}"))
        elif isinstance(node, ast.ImportFrom):
            module = ("." * node.level) + (node.module or "")
            names = [a.name for a in node.names]
            if re.fullmatch(r"(papertide\.|\.+)store(\..*)?", module) or (module == ".." and "store" in names):
                found.append((node.lineno, f"from {module} import {', '.join(names)}"))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, f"import {a.name}") for a in node.names if a.name.startswith("papertide.store")]
    return sorted(found)


def test_the_store_check_sees_each_way_around_the_core() -> None:
    sample = (
        "from ..store import Store\nfrom papertide.store.sql import SqlStore\nfrom .. import store\n"
        "import papertide.store.schema\nx = svc.pt.store.community\ny = pt._store.get('1')\nz = pt.get('1')\n"
        "from ..library import Papertide\n"
    )
    assert store_reaches(sample) == [
        (1, "from ..store import Store"),
        (2, "from papertide.store.sql import SqlStore"),
        (3, "from .. import store"),
        (4, "import papertide.store.schema"),
        (5, ".store"),
        (6, "._store"),
    ]


@pytest.mark.parametrize("shell", SHELLS)
def test_no_shell_reaches_the_store(shell: str) -> None:
    """Votes, submissions, accounts, digests, papers by id: all through `Papertide` and its domain
    objects, so the rules that go with a write (the indexes catch up, a private collection stays
    private) live in the core once."""
    package = ROOT / "src" / "papertide" / shell
    reaches = {
        f"{path.relative_to(package)}:{line} {what}"
        for path in sorted(package.rglob("*.py"))
        for line, what in store_reaches(path.read_text(encoding="utf-8"))
    }
    assert sorted(reaches) == []


# --- docs/ARCHITECTURE.md names only what exists (issue 25) ------------------------------------------------
ARCHITECTURE = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
PACKAGE = ROOT / "src" / "papertide"
# A dotted name is read from the package root when its first part is one of the package's module or
# package names (`web.views.paper_view`, `index.Indexes.beside`); `Papertide.x` / `pt.x` are the facade's.
MODULE_NAMES = {p.stem for p in PACKAGE.rglob("*.py")} | {p.name for p in PACKAGE.rglob("*") if p.is_dir()}
CORE_SOURCE = (PACKAGE / "core.py").read_text(encoding="utf-8")


def resolves(dotted: str) -> bool:
    """Whether `dotted` names a module, or an attribute of one, under papertide (or of Papertide)."""
    import importlib

    from papertide.core import Papertide

    first, *rest = dotted.split(".")
    if first in ("Papertide", "pt"):
        name = rest[0]
        return hasattr(Papertide, name) or re.search(rf"self\.{name}\b[^=\n]*=", CORE_SOURCE) is not None
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module("papertide." + ".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            if not hasattr(found, attr):
                return False
            found = getattr(found, attr)
        return True
    return False


def stale_names(text: str) -> list[str]:
    stale = []
    tree = text.split("```\nsrc/papertide/\n", 1)[1].split("```", 1)[0]
    for name in re.findall(r"\b(\w+\.py)\b", tree):
        if not any(PACKAGE.rglob(name)):
            stale.append(f"tree: {name}")
    for name in re.findall(r"(?m)^\s+(\w+)/", tree):
        if not (PACKAGE / name).is_dir() and not any(p.is_dir() for p in PACKAGE.rglob(name)):
            stale.append(f"tree: {name}/")
    for span in re.findall(r"`([^`\n]+)`", text):
        if re.fullmatch(r"[\w/]+\.(py|js|html|css|toml|md)", span):  # a file: from the package or the repository
            if not (PACKAGE / span).exists() and not (ROOT / span).exists():
                stale.append(span)
        elif re.fullmatch(r"[\w.]+\.(usearch|npz|json|sqlite3)", span):  # a data file's name
            continue
        elif re.fullmatch(r"[A-Za-z_][\w/]*(\.[A-Za-z_]\w*)+", span):
            dotted = span.replace("/", ".")
            first = dotted.split(".")[0]
            if (first in MODULE_NAMES or first in ("Papertide", "pt")) and not resolves(dotted):
                stale.append(span)
    return stale


def test_the_architecture_page_names_only_modules_and_symbols_that_exist() -> None:
    assert stale_names(ARCHITECTURE) == []


def test_the_architecture_check_sees_a_stale_name() -> None:
    sample = (
        "```\nsrc/papertide/\n  gone.py   x\n  members/\n```\n`library.py` `web/pages.py` `pages.py` `views.paper_view`"
        " `web.views.paper_view` `Papertide.votes` `Papertide.nothing` `web/static/gone.js` `map.npz`"
    )
    assert stale_names(sample) == [
        "tree: gone.py",
        "library.py",
        "pages.py",
        "views.paper_view",
        "Papertide.nothing",
        "web/static/gone.js",
    ]


# --- routes are only what they do (issue 25) -----------------------------------------------------------------
def domain_error_names() -> set[str]:
    """The names of every refusal class the core has (each derives from errors.PapertideError)."""
    import importlib
    import pkgutil

    import papertide
    from papertide.errors import PapertideError

    for info in pkgutil.walk_packages(papertide.__path__, "papertide."):
        if ".migrations" not in info.name and not info.name.endswith("__main__"):
            importlib.import_module(info.name)
    found, todo = set(), [PapertideError]
    while todo:
        cls = todo.pop()
        found.add(cls.__name__)
        todo += cls.__subclasses__()
    return found


ROUTE_METHODS = {"get", "post", "put", "delete", "patch", "head"}


def route_glue(source: str, refusals: set[str]) -> list[str]:
    """`route:line what` for each route (a function under @router.get(...) and the like) that catches
    a domain refusal itself or checks `isinstance(..., Response)`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        decorators = [d.func for d in node.decorator_list if isinstance(d, ast.Call)]
        if not any(isinstance(d, ast.Attribute) and d.attr in ROUTE_METHODS for d in decorators):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.ExceptHandler) and inner.type is not None:
                caught = inner.type.elts if isinstance(inner.type, ast.Tuple) else [inner.type]
                names = {c.attr if isinstance(c, ast.Attribute) else getattr(c, "id", "") for c in caught}
                if names & refusals:
                    found.append(f"{node.name}:{inner.lineno} except {', '.join(sorted(names))}")
            if (
                isinstance(inner, ast.Call)
                and getattr(inner.func, "id", "") == "isinstance"
                and len(inner.args) == 2
                and getattr(inner.args[1], "id", "") == "Response"
            ):
                found.append(f"{node.name}:{inner.lineno} isinstance(..., Response)")
    return found


def test_the_route_check_sees_glue() -> None:
    sample = (
        "@router.post('/x')\ndef x(request):\n    try:\n        pt.go()\n"
        "    except (Missing, KeyError):\n        pass\n"
        "    m = api_member(request)\n    if isinstance(m, Response):\n        return m\n"
        "def helper():\n    try:\n        pass\n    except Missing:\n        pass\n"
    )
    assert route_glue(sample, {"Missing"}) == ["x:5 except KeyError, Missing", "x:8 isinstance(..., Response)"]


def test_no_route_catches_a_refusal_or_checks_for_a_response() -> None:
    refusals = domain_error_names()
    assert {"NoSuchPaper", "Missing", "QueryError", "AccountError", "RateLimited"} <= refusals
    glue = [
        f"{path.name}:{line}"
        for path in sorted((PACKAGE / "web").glob("*.py"))
        for line in route_glue(path.read_text(encoding="utf-8"), refusals)
    ]
    assert glue == []
