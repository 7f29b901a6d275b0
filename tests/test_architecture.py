"""The house rules of docs/architecture.md, checked from the source: stages import only
from the stages left of them (and coach.events from anywhere), and no import circles."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "voicecoach"

#: The pipeline's stages, left to right.  A module may import its own stage and those
#: to its left; `voicecoach.coach.events` (the messages between stages) from anywhere.
STAGES = ("hear", "understand", "coach", "voice", "memory", "app")
SHARED = "voicecoach.coach.events"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every voicecoach module that `path` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("voicecoach"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("voicecoach"):
            module = str(node.module)
            found.add(module)
            # `from voicecoach.coach import script` imports a module, not a name.
            found.update(
                f"{module}.{a.name}"
                for a in node.names
                if (PACKAGE.parent / module.replace(".", "/") / f"{a.name}.py").exists()
            )
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {
        name: {i for i in imports(path) if i in modules and i != name}
        for name, path in modules.items()
    }


def stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else None


def upward_imports(edges: dict[str, set[str]]) -> list[str]:
    bad = []
    for module, targets in sorted(edges.items()):
        own = stage(module)
        if own is None:
            continue
        for target in sorted(targets):
            theirs = stage(target)
            if target == SHARED or theirs is None and target in ("voicecoach",):
                continue
            if target.startswith("voicecoach.bench"):
                bad.append(f"{module} -> {target} (benchmarks stand apart)")
            elif theirs is not None and STAGES.index(theirs) > STAGES.index(own):
                bad.append(f"{module} -> {target}")
    return bad


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    search = _Tarjan(edges)
    for v in sorted(edges):
        if v not in search.index:
            search.visit(v)
    return search.found


class _Tarjan:
    """Tarjan's strongly connected components, one depth-first search at a time."""

    def __init__(self, edges: dict[str, set[str]]) -> None:
        self.edges = edges
        self.index: dict[str, int] = {}
        self.low: dict[str, int] = {}
        self.stack: list[str] = []
        self.on_stack: set[str] = set()
        self.found: list[list[str]] = []

    def visit(self, v: str) -> None:
        self.index[v] = self.low[v] = len(self.index)
        self.stack.append(v)
        self.on_stack.add(v)
        for w in self.edges.get(v, ()):
            if w not in self.index:
                self.visit(w)
                self.low[v] = min(self.low[v], self.low[w])
            elif w in self.on_stack:
                self.low[v] = min(self.low[v], self.index[w])
        if self.low[v] == self.index[v]:
            group = self.pop_group(v)
            if len(group) > 1:
                self.found.append(sorted(group))

    def pop_group(self, v: str) -> list[str]:
        """The strongly connected group rooted at `v`, off the stack."""
        group = []
        while True:
            w = self.stack.pop()
            self.on_stack.discard(w)
            group.append(w)
            if w == v:
                return group


def test_every_module_lives_in_a_stage() -> None:
    loose = [
        m
        for m in graph()
        if stage(m) is None
        and not m.startswith(("voicecoach.bench", "voicecoach.data", "voicecoach.phrases"))
        and m not in ("voicecoach", "voicecoach.__main__")
    ]
    assert loose == []


def test_no_stage_imports_a_stage_to_its_right() -> None:
    assert upward_imports(graph()) == []


def test_no_import_circles() -> None:
    assert circles(graph()) == []


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ({"voicecoach.hear.a": {"voicecoach.app.b"}}, ["voicecoach.hear.a -> voicecoach.app.b"]),
        ({"voicecoach.voice.a": {"voicecoach.coach.events"}}, []),
        ({"voicecoach.app.a": {"voicecoach.hear.b"}}, []),
        (
            {"voicecoach.coach.a": {"voicecoach.bench.x"}},
            ["voicecoach.coach.a -> voicecoach.bench.x (benchmarks stand apart)"],
        ),
    ],
)
def test_the_rule_itself(edges: dict[str, set[str]], expected: list[str]) -> None:
    assert upward_imports(edges) == expected


def test_a_circle_is_found() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(edges) == [["a", "b", "c"]]


def test_the_architecture_page_names_the_stages_in_order() -> None:
    page = (PACKAGE.parent / "docs" / "architecture.md").read_text("utf-8")
    line = next(x for x in page.splitlines() if x.startswith("Stage order:"))
    assert tuple(s.strip() for s in line.removeprefix("Stage order:").split("→")) == STAGES
    for name in STAGES:
        assert f"`voicecoach/{name}/`" in page
