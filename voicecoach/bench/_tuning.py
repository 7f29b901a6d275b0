"""The tuning corpus: what thresholds are chosen on, kept apart from tests/data.

tests/data (held-out phrasings, non-commands) is for the final numbers only.  Thresholds
are chosen here instead: commands are the recognizers' own training sentences from
intents/ (every phrasing, contracted twins, filler-wrapped words; labelled by the text
matcher), and the non-commands below were written for this file: a TV in the room
(news, weather, sport, cooking, drama), chat with someone else, talk about the exercise
that asks nothing of the coach, and near misses that contain a command word.
"""

from __future__ import annotations

import random

#: Sentences the coach must not act on, written for tuning only (never from tests/data).
NON_COMMANDS: tuple[str, ...] = (
    # television
    "the rain will clear from the east by the middle of the afternoon",
    "temperatures tonight will drop close to freezing in sheltered valleys",
    "and that brings us to the end of tonight's programme",
    "the harbour master closed the port to small boats",
    "the bakery on the high street won a national award",
    "police are asking anyone with information to come forward",
    "he curls it round the wall and into the top corner",
    "that's a yellow card and he can have no complaints",
    "the match finished two all after extra time",
    "simmer the sauce gently for about twenty minutes",
    "season the lamb and leave it to rest before carving",
    "whisk the egg whites until they form soft peaks",
    "take your coat and get out of my kitchen",
    "you lied to me about the money didn't you",
    "the detective found the letter hidden behind the painting",
    "coming up after the break, the best gardens in the county",
    "our next contestant is a retired teacher from the coast",
    "the quiz champion has won seven weeks in a row",
    "the lions have been tracking the herd for three days",
    "traffic is heavy on the ring road this morning",
    "join us again next week for another episode",
    "the orchestra will now play the second movement",
    "a new study suggests coffee may be good for the heart",
    "the bridge will be closed for repairs until friday",
    "scientists have discovered a new species of frog",
    "she scored twice in the first half",
    "the auction ended with the vase selling for a fortune",
    "our correspondent has been at the hospital all day",
    # chat with someone else in the room
    "we're out of washing up liquid",
    "the batteries in the clock have gone flat",
    "what time is your sister coming round",
    "there's steam coming off the pan",
    "the budgie has knocked its seed everywhere",
    "my reading lamp keeps flickering",
    "we should ring the plumber about the boiler",
    "i'll make us a cup of tea in a minute",
    "the post has come, there's a parcel for you",
    "shall we have soup for lunch",
    "my daughter is visiting on saturday",
    "don't forget your appointment on thursday",
    "the neighbours are having their roof done",
    "i can't find the charger for my phone",
    "turn the heating down a bit, it's warm in here",
    "the dog needs a walk before it gets dark",
    "let me know when you're off the phone",
    "that programme was better last year",
    "is it bin day tomorrow or wednesday",
    "the towels are folded on the landing",
    "the doctor's surgery called about your prescription",
    "we need more bread and some eggs",
    # about the exercise, asking nothing
    "this one always makes my legs feel heavy",
    "i did these every morning last month",
    "my physio showed me something similar",
    "the mat is a bit slippery on this floor",
    "i wonder how many of these i did yesterday",
    "my knee was clicking all through that",
    "i used to swim a lot when i was younger",
    "the chair is a good height for this",
    # near misses: a command word inside ordinary talk
    "the bus didn't stop at the end of our road",
    "help yourself to the fruit bowl on the side",
    "the parking round here is a pain on market day",
    "the next train leaves at half past four",
    "she said she was tired of waiting for him",
    "they had to pause the game because of the fog",
    "the start of the film was the best bit",
    "i'll stretch the budget to cover it somehow",
    "the emergency services were there within minutes",
    "they're going to skip the wedding this year",
    "can you help me carry the shopping in later",
    "that was harder than the last crossword",
    "slower traffic should keep to the left lane",
    "the volume on that advert is always louder",
    "i'm sitting with my aunt at the concert tonight",
    "repeat after me, the quick brown fox",
    "we went back to the previous house to look again",
)


def commands(
    intents, rng: random.Random, per_intent: int = 4
) -> list[tuple[str, str, dict[str, str]]]:
    """(sentence, intent, slots): up to `per_intent` of the recognizers' training sentences
    per intent, labelled by the text matcher (a sentence it maps to nothing is left out)."""
    from voicecoach.hear.vocab import PhraseSource
    from voicecoach.understand.flags import NONE
    from voicecoach.understand.intents import Matcher

    matcher = Matcher(intents)
    by_intent: dict[str, list[tuple[str, dict[str, str]]]] = {}
    for sentence in PhraseSource.from_intents(intents).sentences():
        m = matcher.match(sentence, expecting_answer=True)
        if m.intent != NONE:
            by_intent.setdefault(m.intent, []).append((sentence, dict(m.slots)))
    out: list[tuple[str, str, dict[str, str]]] = []
    for intent, rows in sorted(by_intent.items()):
        for sentence, slots in rng.sample(rows, min(per_intent, len(rows))):
            out.append((sentence, intent, slots))
    return out
