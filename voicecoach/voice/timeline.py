"""The output timeline the session loop plays onto, and when what it queued will be heard.

`Timeline` is the port the session loop (voicecoach.app.loop) drives: lines and cue tones
placed on the audio timeline, cut on barge-in.  Two implementations:
- `AudioTimeline`: real sound; lines rendered by a `Speaker`, everything mixed onto an
  `AudioOut` (the speaker, or a WAV file on a virtual clock), which says when it will end;
- `EstimatedTimeline`: typed sessions and tests; a line lasts what the voice's rate says.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from voicecoach.coach import script
from voicecoach.voice.playback import AudioOut
from voicecoach.voice.speech import Clip, Speaker
from voicecoach.voice.tones import CUES


class Timeline(Protocol):
    """Where the coach's sounds go, and when they will have been heard."""

    def say(self, text: str, at: float) -> tuple[float, float]:
        """Queue a line no earlier than `at` (nor before queued sound ends): (start, end)."""
        ...

    def tone(self, name: str, at: float) -> tuple[float, float]:
        """Play a cue tone at `at`, over speech if need be: cues keep their time."""
        ...

    def set_voice(self, rate: int, volume: float) -> None: ...

    def busy_until(self) -> float:
        """When everything queued so far has been played."""
        ...

    def cut(self, at: float) -> None:
        """Barge-in: speech playing at `at` stops there; speech queued after is dropped."""
        ...


@dataclass
class EstimatedTimeline:
    """A timeline for typed sessions and tests: a line lasts what the voice's rate says."""

    rate: int = 150
    volume: float = 0.8
    _busy: float = 0.0

    def say(self, text: str, at: float) -> tuple[float, float]:
        return self._place(at, script.speaking_seconds(text, self.rate))

    def tone(self, name: str, at: float) -> tuple[float, float]:
        # As on the mixer, a cue tone keeps its time even over speech.
        end = at + sum(n.seconds + n.gap for n in CUES[name])
        self._busy = max(self._busy, end)
        return at, end

    def _place(self, at: float, seconds: float) -> tuple[float, float]:
        start = max(at, self._busy)
        self._busy = start + seconds
        return start, self._busy

    def set_voice(self, rate: int, volume: float) -> None:
        self.rate, self.volume = rate, volume

    def busy_until(self) -> float:
        return self._busy

    def cut(self, at: float) -> None:
        self._busy = min(self._busy, at)


@dataclass
class AudioTimeline:
    """The timeline on real audio: speech rendered by the speaker, tones by `tone_clip`,
    both mixed onto the output's timeline."""

    speaker: Speaker
    out: AudioOut
    tone_clip: Callable[[str], Clip]

    def say(self, text: str, at: float) -> tuple[float, float]:
        started = time.perf_counter()
        clip = self.speaker.render(text)
        # Rendering takes real time: the line cannot start before it is ready.
        begin = max(at + time.perf_counter() - started, self.out.busy_until())
        return begin, self.out.play(clip, begin)

    def tone(self, name: str, at: float) -> tuple[float, float]:
        # A cue keeps its time even over the tail of a word ("three" ends in silence).
        return at, self.out.play(self.tone_clip(name), at)

    def set_voice(self, rate: int, volume: float) -> None:
        self.speaker.set_voice(rate, volume)

    def busy_until(self) -> float:
        return self.out.busy_until()

    def cut(self, at: float) -> None:
        self.out.stop_speech(at)
