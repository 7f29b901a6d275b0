"""When talk that meant nothing gets a "sorry": not after every sentence of the television.

With a TV, a radio or a phone call in the room, most of what the microphone hears is talk
that is not for the coach.  Answering each sentence with "Sorry, I didn't catch that" talked
over the programme every few seconds for as long as it ran (a spoken session with a TV on:
16 sorries in two minutes).  For spoken sessions, then:

- talk the recogniser is sure is not a command (`none` at `QUIET_NONE` or more) gets no
  answer: people ask a coach for things in words close to a command;
- other unclear talk gets the sorry `SORRIES` times; the next time, one line that the coach
  is finding it hard to hear and is still listening; then nothing more, until a command is
  understood or `CALM_SECONDS` pass with no unclear talk at all (a TV still talking keeps it
  quiet).

A "did you mean ...?" question, the safety words and every command are not affected; only
the answer to words that meant nothing is.  Typed sessions answer every line: what is typed is
always meant for the coach.  Pure: times come from the events.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

#: A `none` this sure is talk not meant for the coach.  Chosen on the development sets (text,
#: `python -m voicecoach.bench unclear`): at 0.8, 4 of 5,933 development commands the
#: recogniser misses get silence instead of a sorry, and 57 % of the not-commands do.
QUIET_NONE = 0.8
#: Sorries in a row, with nothing understood between them, before the coach says it is
#: finding it hard to hear and goes quiet.
SORRIES = 2
#: Seconds without unclear talk after which a sorry is said again.
CALM_SECONDS = 120.0


class Reply(Enum):
    SORRY = "sorry"
    HARD_TO_HEAR = "hard to hear"
    NOTHING = "nothing"


@dataclass
class UnclearTalk:
    """How the coach answers talk that meant nothing, over one session."""

    quiet_none: float | None = QUIET_NONE
    """None: a `none` is never taken for talk not meant for the coach (typed sessions)."""
    sorries: int | None = SORRIES
    """None: never goes quiet (typed sessions)."""
    calm_seconds: float = CALM_SECONDS
    streak: int = 0
    """Unclear utterances answered or passed over since a command was last understood."""
    last: float | None = None
    """When unclear talk was last heard."""

    @classmethod
    def typed(cls) -> UnclearTalk:
        """Every line answered: what is typed is meant for the coach."""
        return cls(quiet_none=None, sorries=None)

    def understood(self) -> None:
        """A command was understood: the next unclear utterance gets its sorry again."""
        self.streak = 0

    def reply(self, t: float, confidence: float) -> Reply:
        """The answer to an utterance understood as nothing, `confidence` sure of that."""
        calm = self.last is not None and t - self.last >= self.calm_seconds
        self.last = t
        if calm:
            self.streak = 0
        if self.quiet_none is not None and confidence >= self.quiet_none:
            return Reply.NOTHING
        self.streak += 1
        if self.sorries is None or self.streak <= self.sorries:
            return Reply.SORRY
        return Reply.HARD_TO_HEAR if self.streak == self.sorries + 1 else Reply.NOTHING
