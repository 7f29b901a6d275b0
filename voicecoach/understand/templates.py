"""Sentence templates, in the style of hassil: parse them, count, expand and sample them.

    (let's | let us) [just] (start | begin) [the session]
    [can we] do the {exercise}
    <polite> slow down

- `(a | b c)` one of the alternatives; `[a | b]` the same, or nothing;
- `{name}` a slot: any value of the slot list `name` (filled later, kept as a placeholder
  here, so "{exercise}" stands for a hundred names without a hundred sentences);
- `<name>` an expansion rule: a template defined once under `[expansion_rules]`;
- anything else is a word: lowercase letters, digits and the apostrophe.

Parsing and expanding are pure functions over strings; the loader (intents.py) says which
file and line a bad template came from.
"""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

_TOKEN = re.compile(r"\s*(?:([()\[\]|])|\{(\w+)\}|<(\w+)>|([a-z0-9']+)|(\S))")


class TemplateError(ValueError):
    """A template does not parse, or names a rule that does not exist."""


@dataclass(frozen=True)
class Word:
    text: str


@dataclass(frozen=True)
class Slot:
    name: str
    """The slot list that fills it ("exercise")."""


@dataclass(frozen=True)
class Rule:
    name: str
    """An expansion rule, resolved when expanding."""


@dataclass(frozen=True)
class Seq:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Alt:
    options: tuple[Seq, ...]
    optional: bool = False
    """`[...]`: the empty sequence is one more option."""


Node = Word | Slot | Rule | Seq | Alt
Rules = Mapping[str, Seq]


def parse(text: str) -> Seq:
    """The template's tree; TemplateError says what is wrong and where."""
    tokens = _tokens(text)
    alt, pos = _parse_alternatives(tokens, 0, text, closing=None)
    if pos != len(tokens):
        raise TemplateError(f"unexpected '{tokens[pos][1]}' in {text!r}")
    if len(alt.options) == 1:
        if not alt.options[0].items:
            raise TemplateError("empty template")
        return alt.options[0]
    return Seq((alt,))


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for m in _TOKEN.finditer(text.strip()):
        punct, slot, rule, word, other = m.groups()
        if other is not None:
            raise TemplateError(
                f"'{other}' is not allowed in {text!r} (lowercase words, ( | ) [ ] {{slot}} <rule>)"
            )
        if punct:
            out.append(("p", punct))
        elif slot:
            out.append(("slot", slot))
        elif rule:
            out.append(("rule", rule))
        elif word:
            out.append(("word", word))
    return out


_LEAVES: dict[str, type[Word] | type[Slot] | type[Rule]] = {
    "word": Word,
    "slot": Slot,
    "rule": Rule,
}


def _parse_group(
    tokens: list[tuple[str, str]], pos: int, text: str, opening: str
) -> tuple[Alt, int]:
    """The bracketed alternatives after `opening` at `pos`, and the position after them."""
    inner, pos = _parse_alternatives(tokens, pos, text, ")" if opening == "(" else "]")
    if pos >= len(tokens):
        raise TemplateError(f"'{opening}' is never closed in {text!r}")
    if any(not o.items for o in inner.options):
        raise TemplateError(f"an empty alternative in {text!r}")
    return Alt(inner.options, optional=opening == "["), pos + 1


def _parse_alternatives(
    tokens: list[tuple[str, str]], pos: int, text: str, closing: str | None
) -> tuple[Alt, int]:
    options: list[Seq] = []
    items: list[Node] = []
    while pos < len(tokens):
        kind, value = tokens[pos]
        if kind == "p" and value in ")]":
            if value != closing:
                raise TemplateError(f"'{value}' without its opening bracket in {text!r}")
            break
        pos += 1
        if kind in _LEAVES:
            items.append(_LEAVES[kind](value))
        elif value == "|":
            options.append(Seq(tuple(items)))
            items = []
        else:  # ( or [
            group, pos = _parse_group(tokens, pos, text, value)
            items.append(group)
    else:
        if closing is not None:
            raise TemplateError(f"'{'(' if closing == ')' else '['}' is never closed in {text!r}")
    options.append(Seq(tuple(items)))
    if len(options) > 1 and any(not o.items for o in options):
        raise TemplateError(f"an empty alternative in {text!r}")
    return Alt(tuple(options)), pos


def names(node: Node, kind: type[Slot] | type[Rule]) -> set[str]:
    """The slot or rule names a tree uses."""
    if isinstance(node, kind):
        return {node.name}
    if isinstance(node, Seq):
        return set().union(*(names(i, kind) for i in node.items)) if node.items else set()
    if isinstance(node, Alt):
        return set().union(*(names(o, kind) for o in node.options))
    return set()


def count(node: Node, rules: Rules, _depth: int = 0) -> int:
    """How many sentences the tree expands to (slots count once)."""
    if _depth > 20:
        raise TemplateError("expansion rules refer to each other in a circle")
    if isinstance(node, Seq):
        total = 1
        for item in node.items:
            total *= count(item, rules, _depth + 1)
        return total
    if isinstance(node, Alt):
        return sum(count(o, rules, _depth + 1) for o in node.options) + int(node.optional)
    if isinstance(node, Rule):
        if node.name not in rules:
            raise TemplateError(f"unknown expansion rule <{node.name}>")
        return count(rules[node.name], rules, _depth + 1)
    return 1


def expand(node: Node, rules: Rules) -> Iterator[str]:
    """Every sentence of the tree, slots left as "{name}", single-spaced."""
    for words in _expand(node, rules):
        yield " ".join(words)


def _expand(node: Node, rules: Rules) -> Iterator[tuple[str, ...]]:
    if isinstance(node, Word):
        yield (node.text,)
    elif isinstance(node, Slot):
        yield ("{" + node.name + "}",)
    elif isinstance(node, Rule):
        yield from _expand(rules[node.name], rules)
    elif isinstance(node, Alt):
        if node.optional:
            yield ()
        for option in node.options:
            yield from _expand(option, rules)
    else:
        yield from _expand_seq(node.items, rules)


def _expand_seq(items: tuple[Node, ...], rules: Rules) -> Iterator[tuple[str, ...]]:
    if not items:
        yield ()
        return
    for head in _expand(items[0], rules):
        for tail in _expand_seq(items[1:], rules):
            yield head + tail


def sample(node: Node, rules: Rules, n: int, seed: str = "") -> list[str]:
    """Up to `n` different sentences of the tree, the same ones every time for the same
    `seed`.  The first sentences take option k at every choice in turn, so every word
    appears early; the rest choose at random (seeded)."""
    if count(node, rules) <= n:
        return list(dict.fromkeys(expand(node, rules)))
    rng = random.Random(zlib.crc32(seed.encode()))
    out: dict[str, None] = {}
    for k in range(4 * n):
        if len(out) >= n:
            break
        out[" ".join(_pick(node, rules, k, rng))] = None
    return list(out)


def _pick(node: Node, rules: Rules, k: int, rng: random.Random) -> list[str]:
    if isinstance(node, Word):
        return [node.text]
    if isinstance(node, Slot):
        return ["{" + node.name + "}"]
    if isinstance(node, Rule):
        return _pick(rules[node.name], rules, k, rng)
    if isinstance(node, Alt):
        width = len(node.options) + int(node.optional)
        choice = k if k < width else rng.randrange(width)
        if choice >= len(node.options):
            return []
        return _pick(node.options[choice], rules, k, rng)
    return [w for item in node.items for w in _pick(item, rules, k, rng)]
