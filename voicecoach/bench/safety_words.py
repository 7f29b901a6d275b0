"""The corpus of `python -m voicecoach.bench asr --safety`: the ways out, and short commands
that sound like them.

A safety word must be understood whatever voice says it and whatever is on in the room, and
the layers that rescue a misheard one (voicecoach.understand.rescue) must not turn a real
short command, or short talk that means nothing, into one.  So every phrasing here is said
by every voice, twice (two noise seeds), in every condition, and what each should come back
as is what the matcher makes of the words as written (intents/ stays the source).  Our own
sentences, not held out: for choosing the rescue's bars, never for the held-out numbers.
"""

from __future__ import annotations

from typing import Any

#: How people call for the way out (stop, pain, help, a fall).
SAFETY_PHRASINGS = (
    "stop",
    "stop it",
    "please stop",
    "it hurts",
    "that hurts",
    "ow that hurts",
    "help",
    "help me",
    "i fell",
    "i've fallen",
)

#: Short commands that sound like a safety word, or that a rescue could take for one.
SHORT_COMMANDS = (
    "i'm fine",
    "i feel fine",
    "i'm okay",
    "i feel better",
    "start",
    "start it",
    "no",
    "yes",
    "next",
    "skip",
    "pause",
    "resume",
    "slower",
    "louder",
    "go back",
    "keep going",
)

#: Short things said at home that mean nothing to the coach but sound like a safety word
#: ("hop" / "help", "i felt it" / "i fell", "top" / "stop"): what the rescue's bars must not
#: take for one.  Scored as non-commands (false accepts) in the non-command conditions.
SHORT_TALK = (
    "how",
    "oh",
    "hop",
    "hello",
    "oh dear",
    "top",
    "shop",
    "spot",
    "good boy",
    "who's that",
    "i felt it",
    "i'll fetch it",
    "bless you",
    "i sell it",
    "what's that",
    "help yourself",
)

#: Each phrasing per voice and condition, each time with other noise.
TAKES = 2

#: The conditions by default (names as `--conditions` takes them).
CONDITIONS = "clean,pink10,pink5,babble10"


def rows(matcher: Any, voices: int) -> list[tuple[str, str, list[tuple[str, str, dict]]]]:
    """(kind, label, [(text, intent, slots)]) per kind, each phrasing repeated so that the
    corpus's voice rotation gives it every voice `TAKES` times."""
    out = []
    for kind, label, texts in (
        ("safety", "safety phrasings", SAFETY_PHRASINGS),
        ("short", "short commands", SHORT_COMMANDS),
    ):
        said: list[tuple[str, str, dict]] = []
        for text in texts:
            intent = matcher.match(text, expecting_answer=True).intent
            said += [(text, intent, {})] * (voices * TAKES)
        out.append((kind, label, said))
    return out


def talk(voices: int) -> list[str]:
    """`SHORT_TALK`, each repeated so that every voice says it `TAKES` times."""
    return [text for text in SHORT_TALK for _ in range(voices * TAKES)]
