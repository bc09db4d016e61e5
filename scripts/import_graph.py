"""Check the package layout of src/scholarbot from its imports, and draw it for the README.

    python scripts/import_graph.py             # check; exit 1 naming each offending import
    python scripts/import_graph.py --mermaid   # print the picture (a Mermaid flowchart) as well

A node is a subpackage (`store`, `search`, `ingest`, `answers`, `digest`, `bot`) or a top-level module
(`records`, `config`, `cli`, ...); an edge is any `scholarbot.*` import between two of them, read
with `ast` without importing anything. Imports inside functions count like any other. Imports under
`if TYPE_CHECKING:` count too (an arrow that points up for types points up all the same) and are
drawn dashed. The root `scholarbot/__init__.py` (the version) is no node. The rules:

1. no cycle between nodes;
2. nothing imports `bot` but `bot` itself and the entry points (`cli`, `doctor`, `__main__`);
3. `discord` is imported only under `bot/`.

scripts/readme.py puts `mermaid()` in the README between its generated-block markers, so
`make docs` redraws it and tests/test_readme.py fails when the picture is stale.
"""

from __future__ import annotations

import argparse
import ast
import itertools
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "scholarbot"
SRC = Path(__file__).resolve().parents[1] / "src" / PACKAGE
#: Nodes that may import the bot: they start it.
ENTRY_POINTS = frozenset({"cli", "doctor", "__main__"})
BOT = "bot"
#: Left out of the picture (not of the checks): every layer raises these errors.
HIDDEN = frozenset({"errors"})


@dataclass(frozen=True)
class Import:
    """One import statement's target, where it is, and whether only type checkers see it."""

    module: str  # the importing module, e.g. "scholarbot.search.index"
    path: Path
    line: int
    target: str  # e.g. "scholarbot.store.store" or "discord.ext"
    type_only: bool

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def module_name(path: Path, root: Path) -> str:
    """The dotted name of a file under the package folder `root`."""
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def node_of(module: str) -> str | None:
    """The node a module belongs to: its subpackage or top-level module; None for the root itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == PACKAGE else None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(nodes: list[ast.stmt], type_only: bool) -> Iterator[tuple[ast.AST, bool]]:
    """Every AST node with whether it sits under `if TYPE_CHECKING:` (its `else:` is runtime)."""
    for node in nodes:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _walk(node.body, True)
            yield from _walk(node.orelse, type_only)
            continue
        yield node, type_only
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt):
                yield from _walk([child], type_only)
            else:
                yield from ((n, type_only) for n in ast.walk(child))


def imports_of(path: Path, root: Path) -> list[Import]:
    """The imports of one file, relative ones resolved, `from pkg import submodule` as the submodule."""
    module = module_name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: list[Import] = []
    for node, type_only in _walk(tree.body, False):
        if isinstance(node, ast.Import):
            found += [Import(module, path, node.lineno, a.name, type_only) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                is_module = _exists(sub, root)
                found.append(Import(module, path, node.lineno, sub if is_module else target, type_only))
    return found


def _exists(module: str, root: Path) -> bool:
    parts = module.split(".")
    if parts[0] != root.name:
        return False
    where = root.joinpath(*parts[1:])
    return where.with_suffix(".py").is_file() or (where / "__init__.py").is_file()


def all_imports(root: Path = SRC) -> list[Import]:
    return [imp for path in sorted(root.rglob("*.py")) for imp in imports_of(path, root)]


def edges(imports: list[Import]) -> dict[tuple[str, str], list[Import]]:
    """Node-to-node edges (no self-loops) with the imports that make each one."""
    out: dict[tuple[str, str], list[Import]] = defaultdict(list)
    for imp in imports:
        a, b = node_of(imp.module), node_of(imp.target)
        if a is not None and b is not None and a != b:
            out[(a, b)].append(imp)
    return dict(sorted(out.items()))


def cycles(graph: dict[tuple[str, str], list[Import]]) -> list[list[str]]:
    """One cycle (a list of nodes, first repeated last) in each strongly connected group of nodes."""
    succ: dict[str, list[str]] = defaultdict(list)
    for a, b in graph:
        succ[a].append(b)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(v: str) -> None:  # Tarjan; the graph has a few dozen nodes, recursion is fine
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in succ[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted({n for edge in graph for n in edge}):
        if v not in index:
            visit(v)
    return [_cycle_in(sorted(g), succ) for g in sorted(groups, key=sorted)]


def _cycle_in(group: list[str], succ: dict[str, list[str]]) -> list[str]:
    """A shortest cycle through the group's first node, staying inside the group (breadth first)."""
    start, inside = group[0], set(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(succ[v]):
            if w == start:
                return [*paths[v], start]
            if w in inside and w not in paths:
                paths[w] = [*paths[v], w]
                queue.append(w)
    raise AssertionError(f"no cycle through {start} in {group}")  # a strongly connected group has one


def violations(imports: list[Import]) -> list[str]:
    """What breaks the layout rules, one line each, naming the file and line to change."""
    graph = edges(imports)
    out: list[str] = []
    for cycle in cycles(graph):
        steps = [f"{a} -> {b} ({graph[(a, b)][0].where})" for a, b in itertools.pairwise(cycle)]
        out.append(f"import cycle {' -> '.join(cycle)}: " + "; ".join(steps))
    for (a, b), why in graph.items():
        if b == BOT and a not in ENTRY_POINTS:
            out += [
                f"{imp.where}: {imp.module} imports {imp.target}: only entry points import the bot"
                for imp in why
            ]
    for imp in imports:
        if imp.target.split(".")[0] == "discord" and node_of(imp.module) != BOT:
            out.append(
                f"{imp.where}: {imp.module} imports {imp.target}: discord belongs under {PACKAGE}/bot/"
            )
    return out


def _label(node: str, root: Path) -> str:
    return f"{node}/" if (root / node).is_dir() else f"{node}.py"


def mermaid(root: Path = SRC, hide: frozenset[str] = HIDDEN) -> str:
    """The node graph as a Mermaid flowchart (GitHub draws it); dashed arrows are type-only imports."""
    graph = {edge: why for edge, why in edges(all_imports(root)).items() if not hide & set(edge)}
    nodes = sorted({n for edge in graph for n in edge})
    lines = ["```mermaid", "flowchart TD"]
    for n in nodes:
        shape = f'["{_label(n, root)}"]' if (root / n).is_dir() else f'("{_label(n, root)}")'
        lines.append(f"  {n.strip('_') or n}{shape}")
    for (a, b), why in graph.items():
        arrow = "-.->" if all(imp.type_only for imp in why) else "-->"
        lines.append(f"  {a.strip('_')} {arrow} {b.strip('_')}")
    entry = sorted(n.strip("_") for n in nodes if n in ENTRY_POINTS)
    if entry:
        lines += ["  classDef entry stroke-width:3px", f"  class {','.join(entry)} entry"]
    lines.append("```")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--src", type=Path, default=SRC, help="the package folder (default: src/scholarbot)")
    ap.add_argument("--mermaid", action="store_true", help="also print the picture for the README")
    args = ap.parse_args(argv)
    root = args.src.resolve()
    imports = all_imports(root)
    if args.mermaid:
        print(mermaid(root), end="")
    if problems := violations(imports):
        print(f"{root}: {len(problems)} layout violation(s):", file=sys.stderr)
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        return 1
    print(f"{root}: {len(edges(imports))} arrows between nodes; no cycle; bot and discord at the edge")
    return 0


if __name__ == "__main__":
    sys.exit(main())
