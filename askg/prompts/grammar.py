"""Small English helpers so compiled prompts read as sentences: number agreement, third-person
verbs, relation phrasing, scene prepositions. Heuristic by design (no NLP dependency); the
template file holds the word lists."""

from __future__ import annotations

import re

ARTICLE = re.compile(r"^(?:a|an|the)\s+", re.IGNORECASE)
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
    lower = word.lower()
    return lower.endswith("ing") and any(ch in "aeiouy" for ch in lower[:-3])


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


def motion_clause(body_part: str, motion: str, singular_exceptions: frozenset[str]) -> str:
    """'the hands grip the bar', 'the head tilts back', 'with the hands pulling the rope'."""
    words = motion.split()
    if not words:
        return f"the {body_part} moves"
    if is_gerund(words[0]):
        return f"with the {body_part} {motion}"
    if not is_plural(body_part, singular_exceptions) and not _already_third_person(words[0]):
        words[0] = third_person(words[0])
    return f"the {body_part} {' '.join(words)}"


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
