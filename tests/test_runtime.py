"""The runtime shell with test doubles: timers on the audio's clock, echo, barge-in."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from voicecoach.app.runtime import Runtime
from voicecoach.coach import script
from voicecoach.coach.events import Begin
from voicecoach.coach.machine import Coach
from voicecoach.hear.recognizer import Transcript
from voicecoach.understand.rejection import understand


@dataclass
class Clip:
    text: str
    seconds: float


@dataclass
class WordsSpeaker:
    """Test double: a clip lasts 0.4 s a word."""

    rate: int = 150
    volume: float = 0.8

    def render(self, text: str) -> Clip:
        return Clip(text, 0.4 * len(text.split()))

    def set_voice(self, rate: int, volume: float) -> None:
        self.rate, self.volume = rate, volume


@dataclass
class TimelineOut:
    """Test double for an AudioOut: keeps clips on a timeline, cuts them on barge-in."""

    clips: list[list] = field(default_factory=list)
    rate: int = 22050
    lost: str | None = None
    forgotten: float = 0.0
    """The runtime said nothing would be played or cut before this time any more."""

    def now(self) -> float:
        return self.busy_until()

    def play(self, clip, at=None) -> float:
        start = at if at is not None else self.busy_until()
        assert start >= self.forgotten, f"played at {start}, after forgetting {self.forgotten}"
        self.clips.append([clip, start, start + clip.seconds])
        return start + clip.seconds

    def forget_before(self, t: float) -> None:
        self.forgotten = max(self.forgotten, t)

    def stop_speech(self, at=None) -> None:
        assert at >= self.forgotten, f"cut at {at}, after forgetting {self.forgotten}"
        # As the real mixer does: what is playing is cut, what is queued is never heard.
        self.clips = [c for c in self.clips if c[1] < at]
        for c in self.clips:
            c[2] = min(c[2], at)

    def busy_until(self) -> float:
        return max((c[2] for c in self.clips), default=0.0)

    def reopen(self) -> None:
        pass

    def close(self) -> None:
        pass


@dataclass
class ScriptedStream:
    """Test double for a recognizer stream: utterances released when the audio reaches them."""

    utterances: list[Transcript]

    def feed(self, chunk) -> list[Transcript]:
        end = chunk.timestamp + chunk.seconds
        due = [u for u in self.utterances if u.end <= end]
        self.utterances = [u for u in self.utterances if u.end > end]
        return due

    def flush(self) -> list[Transcript]:
        due, self.utterances = self.utterances, []
        return due


@dataclass(frozen=True)
class Chunk:
    timestamp: float
    seconds: float = 0.1


def runtime_for(catalogue, matcher) -> tuple[Runtime, TimelineOut]:
    out = TimelineOut()
    runtime = Runtime(
        Coach(catalogue), matcher, WordsSpeaker(), out, lambda name: Clip(name, 0.2), understand
    )
    return runtime, out


def said(text: str, start: float, end: float) -> Transcript:
    return Transcript(text, 0.9, tuple((w, 0.9) for w in text.split()), start, end)


def chunks(seconds: float) -> list[Chunk]:
    return [Chunk(i / 10) for i in range(int(seconds * 10))]


def heard(runtime: Runtime) -> list[tuple[str, str | None]]:
    return [
        (r["intent"], r.get("ignored") or r.get("deferred") and "deferred")
        for r in runtime.events.records
        if r["type"] == "heard"
    ]


def noted(runtime: Runtime, kind: str) -> list[dict]:
    return [r for r in runtime.events.records if r["type"] == kind]


def test_commands_act_when_the_coach_is_quiet(catalogue, matcher):
    runtime, out = runtime_for(catalogue, matcher)
    stream = ScriptedStream([said("knee to chest", 50.0, 51.0)])
    runtime.run_file(chunks(70), stream)
    assert heard(runtime) == [("choose_exercise", None)]
    texts = [c[0].text for c in out.clips]
    assert "Let's do knee to chest." in texts
    assert runtime.ended


def test_an_ordinary_command_over_the_coach_acts_when_its_speech_ends(catalogue, matcher):
    runtime, out = runtime_for(catalogue, matcher)
    # The welcome takes ~25 s at 0.4 s a word: "slower" at 4 s waits for it, never dropped.
    runtime.run_file(chunks(40), ScriptedStream([said("slower", 4.0, 4.5)]))
    assert heard(runtime) == [("slower", "deferred")]
    # The welcome, the safety note and the first question were queued together.
    welcome_end = next(c[2] for c in out.clips if c[0].text.startswith("Say start for"))
    acted = noted(runtime, "deferred_acted")
    # The log keeps milliseconds; the decode's real time (a few µs, more on a busy machine)
    # moves the queue by that much.
    assert [(a["intent"], a["t"]) for a in acted] == [
        ("slower", pytest.approx(welcome_end, abs=2e-3))
    ]
    answer = next(c for c in out.clips if c[0].text == script.VOICE_CHANGED["slower"])
    assert answer[1] >= welcome_end
    assert not noted(runtime, "barge_in")


def test_only_what_interrupts_cuts_the_coach_off(catalogue, matcher):
    runtime, out = runtime_for(catalogue, matcher)
    # "next" at 4 s waits for the welcome to end; "stop" at 8 s cuts it and supersedes "next".
    stream = ScriptedStream([said("next", 4.0, 4.5), said("stop", 8.0, 8.5)])
    runtime.run_file(chunks(20), stream)
    assert heard(runtime) == [("next", "deferred"), ("stop", None)]
    assert [(n["intent"], n["by"]) for n in noted(runtime, "superseded")] == [("next", "stop")]
    barge = [r for r in runtime.events.records if r["type"] == "barge_in"]
    assert barge
    assert barge[0]["intent"] == "stop"
    # The welcome was cut where the stop was understood, and the question came next.
    cut = [c for c in out.clips if c[1] < 8.5 < c[2] + 1e-9 or c[2] == barge[0]["t"]]
    assert cut
    assert any(c[0].text == script.STOP_QUESTION for c in out.clips)


def test_over_the_coachs_voice_a_next_best_guess_does_not_act(catalogue, matcher):
    from dataclasses import replace

    runtime, _ = runtime_for(catalogue, matcher)
    guess = replace(said("paws for thought", 8.0, 8.5), alternatives=("pause",))
    later = replace(said("paws for thought", 50.0, 50.5), alternatives=("pause",))
    runtime.run_file(chunks(70), ScriptedStream([guess, later]))
    # While the welcome plays, only the best reading counts; once quiet, the guess may act.
    assert heard(runtime)[0] == ("none", "not a command, coach speaking")
    assert heard(runtime)[1] == ("pause", None)


def test_the_coachs_own_words_are_not_taken_as_commands(catalogue, matcher):
    runtime, _ = runtime_for(catalogue, matcher)
    runtime.echo_guard = True  # as on a live microphone, which hears the speaker
    # "start" is in the coach's prompt ("Say start for the morning routine"): an echo.
    stream = ScriptedStream([said("start", 20.0, 20.4)])
    runtime.run_file(chunks(25), stream)
    assert heard(runtime) == [("start", "echo")]


def test_sound_without_words_gets_no_answer_but_mumbled_words_do(catalogue, matcher):
    from voicecoach.app.runtime import NO_WORDS
    from voicecoach.coach import script

    runtime, out = runtime_for(catalogue, matcher)
    # A TV or a door: Whisper makes nothing of it. Then words that mean nothing here.
    stream = ScriptedStream([said("", 50.0, 52.0), said("purple elephants", 70.0, 71.0)])
    runtime.run_file(chunks(90), stream)
    assert heard(runtime) == [("none", NO_WORDS), ("none", None)]
    sorry = [c for c in out.clips if c[0].text.startswith(script.SORRY)]
    assert len(sorry) == 1
    assert sorry[0][1] >= 71.0


def test_timers_run_on_the_audio_clock(catalogue, matcher):
    runtime, out = runtime_for(catalogue, matcher)
    stream = ScriptedStream([said("knee to chest", 30.0, 31.0), said("ready", 85.0, 85.4)])
    runtime.run_file(chunks(170), stream)
    starts = {c[0].text: c[1] for c in out.clips}
    hold = next(t for t in starts if t.startswith("Your left knee to your chest. Hold"))
    release = min(c[1] for c in out.clips if c[0].text == script.RELEASE)
    assert release - starts[hold] >= 30 - 1e-6


def test_a_lost_speaker_pauses_and_the_coach_carries_on_when_it_is_back(catalogue, matcher):
    runtime, out = runtime_for(catalogue, matcher)
    runtime.feed(Begin(0.0))
    runtime.heard(said("knee to chest", 30.0, 31.0), 31.0)
    out.lost = "unplugged"
    runtime._check_speaker(40.0)
    assert runtime.coach.phase == "paused"
    reopened = []
    out.reopen = lambda: reopened.append(True)
    out.lost = None
    runtime._check_speaker(42.0)
    assert reopened
    assert runtime.coach.phase == "steps"
    states = [r["state"] for r in runtime.events.records if r["type"] == "device"]
    assert states == ["speaker lost", "speaker back"]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("i've fallen", "emergency"),
        ("call an ambulance", "emergency"),
        ("it hurts", "pain"),
        ("help", "help"),
    ],
)
def test_safety_words_cut_the_coach_off_mid_sentence(catalogue, matcher, text, intent):
    runtime, out = runtime_for(catalogue, matcher)
    # Said 6 s into the ~25 s welcome: acted on at once, the welcome cut where it was heard.
    stream = ScriptedStream([said(text, 6.0, 6.8)])
    runtime.run_file(chunks(20), stream)
    assert heard(runtime) == [(intent, None)]
    barge = [r for r in runtime.events.records if r["type"] == "barge_in"]
    assert [b["intent"] for b in barge] == [intent]
    answer = [c for c in out.clips if c[1] >= barge[0]["t"]]
    assert answer
    assert answer[0][1] - 6.8 < 1.0


def test_after_stop_and_yes_start_a_minute_later_begins_a_new_session(catalogue, matcher):
    runtime, out = runtime_for(catalogue, matcher)
    stream = ScriptedStream(
        [said("stop", 30.0, 30.5), said("yes", 36.0, 36.3), said("start", 100.0, 100.4)]
    )
    runtime.run_file(chunks(110), stream)
    records = runtime.events.records
    end = next(i for i, r in enumerate(records) if r.get("action") == "end")
    later = records[end + 1 :]
    assert any(r.get("action") == "log" and r.get("kind") == "session_start" for r in later)
    assert any((r.get("text") or "").startswith("Let's do the morning routine") for r in later)
    # The second session runs until the recording ends.
    ends = [r["reason"] for r in records if r.get("action") == "end"]
    assert ends == ["asked to stop", "input ended"]


class UnsureOf:
    """The real matcher, except that `words` come back as `none` with `guess` attached: a
    command the recogniser was not sure enough of."""

    def __init__(self, matcher, words: str, guess: str, slots: dict[str, str]) -> None:
        self.matcher, self.words, self.guess, self.slots = matcher, words, guess, slots

    def match(self, text: str, expecting_answer: bool = False):
        from voicecoach.understand.intents import Match

        if text == self.words:
            return Match(text, "none", {}, 0.4, "", self.guess, self.slots)
        return self.matcher.match(text, expecting_answer=expecting_answer)

    def __getattr__(self, name: str):
        return getattr(self.matcher, name)


def test_unsure_words_are_asked_about_when_quiet_and_a_yes_does_it(catalogue, matcher):
    unsure = UnsureOf(matcher, "er the sitting ones", "choose_routine", {"routine": "seated"})
    runtime, out = runtime_for(catalogue, unsure)
    # Over the welcome the words are let go; once the coach is quiet they are asked about.
    stream = ScriptedStream([
        said("er the sitting ones", 4.0, 5.0), said("er the sitting ones", 50.0, 51.0),
        said("yes", 56.0, 56.5),
    ])  # fmt: skip
    runtime.run_file(chunks(60), stream)
    question = script.did_you_mean("choose_routine", "the seated routine")
    asked = [c for c in out.clips if c[0].text == question]
    assert len(asked) == 1
    assert asked[0][1] >= 51.0
    started = [
        r["data"]["routine"]
        for r in runtime.events.records
        if r.get("action") == "log" and r["kind"] == "routine"
    ]
    assert started == ["seated"]


def test_a_tv_talking_gets_no_sorry_in_a_spoken_session(catalogue, matcher):
    from voicecoach.coach import script
    from voicecoach.coach.unclear import UnclearTalk

    out = TimelineOut()
    runtime = Runtime(
        Coach(catalogue, unclear=UnclearTalk()),
        matcher,
        WordsSpeaker(),
        out,
        lambda name: Clip(name, 0.2),
        understand,
    )
    tv = [
        "the prime minister is expected to speak later today",
        "scientists say the new bridge will open next spring",
        "thank you all for watching and good night",
        "coming up after the break we meet the family who built their own house",
    ]
    stream = ScriptedStream([said(text, 40.0 + 8 * n, 43.0 + 8 * n) for n, text in enumerate(tv)])
    runtime.run_file(chunks(90), stream)
    assert [intent for intent, _ in heard(runtime)] == ["none"] * 4
    assert not [c for c in out.clips if c[0].text.startswith(script.SORRY)]
    # Each was passed over while the coach spoke, or reached it and was logged, not said.
    unanswered = [r for r in noted(runtime, "action") if r.get("kind") == "unanswered"]
    over_its_voice = [h for h in heard(runtime) if h[1] == "not a command, coach speaking"]
    assert unanswered
    assert len(unanswered) + len(over_its_voice) == 4
