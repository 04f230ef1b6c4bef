"""Small English helpers so compiled prompts read as sentences: number agreement, third-person
verbs (also on every coordinated verb), relation phrasing, scene prepositions, article-led lists,
gerund detection and "is this object already named". Heuristic by design (no NLP dependency); the
word lists live in `words.yaml` and the template file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

ARTICLE = re.compile(r"^(?:a|an|the)\s+", re.IGNORECASE)
WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
WORDS_PATH = Path(__file__).with_name("words.yaml")
IRREGULAR_PLURALS = frozenset({"feet", "teeth", "people", "children", "men", "women", "mice", "geese", "clothes"})
PREPOSITIONS = frozenset({
    "on", "in", "under", "over", "near", "next", "inside", "with", "at", "beside", "above", "below", "against",
    "across", "along", "around", "behind", "between", "into", "onto", "through", "toward", "towards", "part",
    "full", "from", "by", "for", "of", "like", "beneath", "underneath", "within", "outside", "atop", "upon",
    "off", "out", "up", "down", "close", "facing", "opposite", "ready", "tied", "free",
})
IRREGULAR_PARTICIPLES = frozenset({
    "held", "worn", "made", "built", "hung", "laid", "set", "put", "cut", "spread", "split", "stuck", "shot",
    "thrown", "drawn", "written", "driven", "ridden", "sewn", "sunk", "spun", "bound", "found", "kept", "left",
    "lit", "fed", "led", "sold", "brought", "caught", "bought", "ground", "wound", "swept", "dug", "struck",
    "strung", "shown", "blown", "grown", "torn", "broken", "frozen", "hidden", "beaten", "eaten", "given",
    "taken", "shaken", "seen", "done", "woven", "stretched", "spilt", "slung", "clung", "flung", "pinned",
})
IRREGULAR_THIRD_PERSON = {"be": "is", "have": "has", "do": "does", "go": "goes"}
COORDINATORS = frozenset({"and", "or", "then"})
NON_GERUNDS_IN_ING = frozenset({"something", "nothing", "anything", "everything", "morning", "evening", "ceiling",
                                "string", "spring", "thing", "king", "ring", "wing", "swing", "sting", "bring"})


@dataclass(frozen=True)
class Words:
    verbs: frozenset[str]
    noun_verbs: frozenset[str]
    determiners: frozenset[str]
    short_names: dict[str, tuple[str, ...]]


@cache
def load_words(path: Path = WORDS_PATH) -> Words:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Words(verbs=frozenset(raw["verbs"]), noun_verbs=frozenset(raw["noun_verbs"]),
                 determiners=frozenset(raw["determiners"]),
                 short_names={name: tuple(short) for name, short in raw["short_names"].items()})


def strip_article(name: str) -> str:
    return ARTICLE.sub("", name.strip())


def is_plural(noun_phrase: str, singular_exceptions: frozenset[str]) -> bool:
    words = noun_phrase.lower().split()
    if not words:
        return False
    last = words[-1]
    if last in IRREGULAR_PLURALS:
        return True
    if last in singular_exceptions or noun_phrase.lower() in singular_exceptions:
        return False
    return last.endswith("s") and not last.endswith(("ss", "us", "is", "ics"))


def third_person(verb: str) -> str:
    """'bend' -> 'bends', 'reach' -> 'reaches', 'carry' -> 'carries'."""
    lower = verb.lower()
    if lower in IRREGULAR_THIRD_PERSON:
        return IRREGULAR_THIRD_PERSON[lower]
    if lower.endswith("y") and len(lower) > 1 and lower[-2] not in "aeiou":
        return verb[:-1] + "ies"
    if lower.endswith(("s", "sh", "ch", "x", "z", "o")):
        return verb + "es"
    return verb + "s"


def base_form(verb: str) -> str | None:
    """The listed bare verb a third-person form comes from ('glares' -> 'glare'), else None."""
    lower = verb.lower()
    verbs = load_words().verbs
    candidates = [lower[:-3] + "y"] if lower.endswith("ies") else []
    if lower.endswith("es"):
        candidates.append(lower[:-2])
    if lower.endswith("s"):
        candidates.append(lower[:-1])
    return next((c for c in candidates if c in verbs), None)


def plural_agreement(verb: str) -> str:
    """'holds' -> 'hold', 'catches' -> 'catch', 'carries' -> 'carry' (for a plural subject)."""
    lower = verb.lower()
    if lower in ("is", "has", "does", "goes"):
        return {"is": "are", "has": "have", "does": "do", "goes": "go"}[lower]
    if lower.endswith("ies") and len(lower) > 4:
        return verb[:-3] + "y"
    if lower.endswith(("ches", "shes", "sses", "xes", "zes", "oes")):
        return verb[:-2]
    if lower.endswith("s") and not lower.endswith(("ss", "us", "is")):
        return verb[:-1]
    return verb


def is_gerund(word: str) -> bool:
    """'pulling', 'going' yes; 'swing', 'bring', 'string' no (no vowel before the -ing)."""
    lower = word.lower().strip(",;:")
    return (lower.endswith("ing") and any(ch in "aeiouy" for ch in lower[:-3])
            and lower not in NON_GERUNDS_IN_ING)


def is_gerund_phrase(text: str) -> bool:
    """'pulling the bar', 'slowly lowering the bar' yes; 'the ball arcing through the air' no."""
    words = text.split()
    if words and words[0].lower().endswith("ly") and len(words) > 1:
        words = words[1:]
    return bool(words) and is_gerund(words[0])


def _is_participle_or_preposition(word: str) -> bool:
    lower = word.lower()
    return (lower in PREPOSITIONS or lower in IRREGULAR_PARTICIPLES or (lower.endswith("ed") and len(lower) > 3)
            or is_gerund(lower))


def relation_phrase(subject: str, predicate: str, obj: str, singular_exceptions: frozenset[str]) -> str:
    """'{subject} attached to {object}' -> 'is attached to the harness' (the part after the subject)."""
    plural = is_plural(subject, singular_exceptions)
    words = predicate.split()
    if words and words[0].lower() in ("is", "are"):
        words = words[1:]
        words.insert(0, "are" if plural else "is")
    elif words and _is_participle_or_preposition(words[0]):
        words.insert(0, "are" if plural else "is")
    elif plural and words:
        words[0] = plural_agreement(words[0])
    return f"{' '.join(words)} the {strip_article(obj)}"


def _coordinated_verb_at(words: list[str], index: int, previous_conjunct: list[str]) -> bool:
    """Is words[index] (right after a coordinator or a comma) a verb coordinated with the first one?"""
    lexicon = load_words()
    word = words[index].lower().rstrip(",")
    if word not in lexicon.verbs or word in lexicon.determiners:
        return False
    if word not in lexicon.noun_verbs:
        return True
    following = words[index + 1].lower().rstrip(",") if index + 1 < len(words) else None
    if following is not None and following not in COORDINATORS:
        return (following in lexicon.determiners or following in PREPOSITIONS or following.endswith("ly")
                or following in ("back", "forward", "away", "apart", "together", "again"))
    # at the end: a verb when the conjunct before is a bare verb ("lift and lower"), else a noun
    # ("hold the fork and knife")
    return len(previous_conjunct) == 1 and previous_conjunct[0].lower().rstrip(",") in lexicon.verbs


def _conjuncts(words: list[str]) -> list[tuple[int, list[str]]]:
    """(start index, words) of each conjunct; coordinators and commas separate them."""
    conjuncts: list[tuple[int, list[str]]] = [(0, [])]
    for i, word in enumerate(words):
        if word.lower() in COORDINATORS:
            if conjuncts[-1][1]:
                conjuncts.append((i + 1, []))
            else:
                conjuncts[-1] = (i + 1, [])
            continue
        conjuncts[-1][1].append(word)
        if word.endswith(",") and i + 1 < len(words):
            conjuncts.append((i + 1, []))
    return [c for c in conjuncts if c[1]]


def conjugate(verb_phrase: str) -> str:
    """A bare verb phrase for a singular subject: its first verb and every verb coordinated with it
    ('frown and glare' -> 'frowns and glares', 'hold steady then release the bar' -> 'holds steady
    then releases the bar'). Words already in the third person are kept."""
    words = verb_phrase.split()
    if not words:
        return verb_phrase
    conjuncts = _conjuncts(words)
    positions = [0] + [start for (start, _), (_, before) in zip(conjuncts[1:], conjuncts, strict=False)
                       if _coordinated_verb_at(words, start, before)]
    for i in positions:
        word = words[i]
        comma = "," if word.endswith(",") else ""
        bare = word.rstrip(",")
        if i > 0 or not _already_third_person(bare):
            words[i] = third_person(bare) + comma
    return " ".join(words)


def motion_clause(body_part: str, motion: str, singular_exceptions: frozenset[str]) -> str:
    """'the hands grip the bar', 'the head tilts back', 'the face frowns and glares'; a motion written
    as a gerund becomes a progressive clause ('the hands are pulling the rope')."""
    words = motion.split()
    plural = is_plural(body_part, singular_exceptions)
    if not words:
        return f"the {body_part} {'move' if plural else 'moves'}"
    if is_gerund(words[0]):
        return f"the {body_part} {'are' if plural else 'is'} {motion}"
    if plural:
        return f"the {body_part} {motion}"
    return f"the {body_part} {conjugate(motion)}"


def _already_third_person(word: str) -> bool:
    lower = word.lower()
    return lower in ("is", "has", "does", "goes") or (lower.endswith("s") and not lower.endswith(("ss", "us")))


def scene_preposition(scene: str, prepositions: dict[str, list[str]]) -> str:
    lower = scene.lower()
    for preposition, nouns in prepositions.items():
        for noun in nouns:
            if lower == noun or lower.endswith(" " + noun):
                return preposition
    return "in"


def join_clauses(clauses: list[str]) -> str:
    if len(clauses) <= 1:
        return "".join(clauses)
    return ", ".join(clauses[:-1]) + " and " + clauses[-1]


def article_list(names: list[str]) -> str:
    """'the wrapping paper, the gift box and the tape': an article on every item."""
    return join_clauses([f"the {strip_article(name)}" for name in names])


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def words_of(text: str) -> list[str]:
    return WORD.findall(text.lower())


def names_object(text: str, name: str) -> bool:
    """Does `text` already name the object: by its name, by its head noun in either number ('the
    plate' names the weight plates), by a short name ('the bar' names the barbell), or by the
    gerund of the head ('taping' names the tape)?"""
    bare = strip_article(name).lower()
    if not bare:
        return False
    if re.search(rf"\b{re.escape(bare)}\b", text.lower()):
        return True
    head = _singular(bare.split()[-1])
    shorts = {head, *load_words().short_names.get(bare, ()), *load_words().short_names.get(head, ())}
    return any(_singular(word) in shorts or word in shorts or not shorts.isdisjoint(_gerund_stems(word))
               for word in words_of(text))


def _gerund_stems(word: str) -> tuple[str, ...]:
    """'taping' -> tap/tape, 'chalking' -> chalk/chalke, 'clipping' -> clip (a phase 'taping the
    seams' names the tape)."""
    if not word.endswith("ing") or len(word) < 6:
        return ()
    stem = word[:-3]
    undoubled = (stem[:-1],) if stem[-1] == stem[-2] else ()
    return (stem, stem + "e", *undoubled)
