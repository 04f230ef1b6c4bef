"""A grammar lint over compiled prompts: the patterns that made earlier prompts ungrammatical or
redundant. `lint_prompts` returns one line per problem (empty when the class's prompts are clean).

Checked: duplicate prompts (case and spacing folded); "while" before anything but a gerund phrase;
a verb coordinated with a third-person verb left bare ("the face frowns and glare"); a list after
"with the ..." with an item that has no article ("with the paper, gift box and the tape"); a
"…, with the X" tail whose X (or its head noun) the text before already names; a doubled article;
an empty or unfilled slot.
"""

from __future__ import annotations

import re

from askg.prompts.grammar import COORDINATORS, base_form, is_gerund, is_gerund_phrase, load_words, names_object

DOUBLED_ARTICLE = re.compile(r"\b(the|a|an)\s+(the|a|an)\b", re.IGNORECASE)
EMPTY_SLOT = re.compile(r"[{}]|\s{2,}|\s[,:;.]|[,:;]\s*[,:;]|\b(?:the|a|an|with|while)\s*(?:[,:;]|$)|^\s*[,:;]")
WITH_LIST = re.compile(r", with (the .+)$")
WHILE = re.compile(r"\bwhile ([^,]+)")


def _tokens(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9'-]+|[,:;]", text)


CLAUSE_BOUNDARIES = frozenset({",", ":", ";", "and", "while", "as", "then"})


def _clause_verb(tokens: list[str], subject: int) -> str | None:
    """The verb after the subject 'the <noun>' or 'the <word> <noun>' starting at `subject`."""
    verbs = load_words().verbs
    for k in (subject + 2, subject + 3):
        if k < len(tokens) and (tokens[k].lower() in verbs or base_form(tokens[k])):
            return tokens[k]
    return None


def unconjugated_coordination(prompt: str) -> list[str]:
    """Bare verbs coordinated with the third-person verb of their clause ('the face frowns and glare')."""
    words = load_words()
    tokens = _tokens(prompt)
    found = []
    for i, token in enumerate(tokens[:-1]):
        if token.lower() not in COORDINATORS and token != ",":
            continue
        nxt = tokens[i + 1].lower()
        if nxt not in words.verbs or nxt in words.noun_verbs:
            continue
        for j in range(i - 1, -1, -1):
            if tokens[j] in (":", ";"):
                break
            if tokens[j].lower() == "the" and (j == 0 or tokens[j - 1].lower() in CLAUSE_BOUNDARIES):
                verb = _clause_verb(tokens, j)
                if verb is not None and base_form(verb):
                    found.append(f"{verb} … {token} {tokens[i + 1]}")
                break
    return found


def _participle_without_verb(phrase: str) -> bool:
    """'the ball arcing through the air' (a noun phrase with a participle, no finite verb): wrong
    after "while". A gerund phrase ('gripping the bar') or a clause ('the arms swing') is right."""
    if is_gerund_phrase(phrase):
        return False
    words = phrase.lower().split()
    determiners = load_words().determiners
    verbs = load_words().verbs
    if any((base_form(word) or (word in verbs and words[i - 1].endswith("s"))) and words[i - 1] not in determiners
           for i, word in enumerate(words) if i > 0):
        return False  # a finite clause: 'the clapping continues', 'the lips keep vibrating'
    if not words or words[0] not in determiners:
        return False
    return any(is_gerund(word) and words[i - 1] not in ("is", "are", "was", "were")
               for i, word in enumerate(words[:4]) if i > 0)


def _with_list_items(tail: str) -> list[str]:
    return [item.strip() for item in re.split(r",\s+|\s+and\s+", tail) if item.strip()]


def lint_prompt(prompt: str) -> list[str]:
    problems = []
    if DOUBLED_ARTICLE.search(prompt):
        problems.append(f"doubled article: {prompt!r}")
    if EMPTY_SLOT.search(prompt) or prompt != prompt.strip():
        problems.append(f"empty slot or stray punctuation: {prompt!r}")
    for match in WHILE.finditer(prompt):
        if _participle_without_verb(match.group(1)):
            problems.append(f"'while' before a non-gerund phrase: {prompt!r}")
    for pair in unconjugated_coordination(prompt):
        problems.append(f"coordinated verb left unconjugated ({pair}): {prompt!r}")
    tail = WITH_LIST.search(prompt)
    if tail and ":" in prompt[: tail.start()]:  # "<action>: <phase>, with the <objects>"
        items = _with_list_items(tail.group(1))
        if len(items) > 1 and not all(item.lower().startswith(("the ", "a ", "an ")) for item in items):
            problems.append(f"list item without an article: {prompt!r}")
        before = prompt[: tail.start()]
        before = before.split(":", 1)[1] if ":" in before else before
        for item in items:
            if item.lower().startswith("the ") and names_object(before, item[4:]):
                problems.append(f"redundant 'with the {item[4:]}' (already named): {prompt!r}")
    return problems


def lint_prompts(prompts: list[str]) -> list[str]:
    """Problems in one class's prompts (all kinds together), one line each."""
    problems = []
    seen: dict[str, str] = {}
    for prompt in prompts:
        key = " ".join(prompt.lower().split())
        if key in seen:
            problems.append(f"duplicate prompt: {prompt!r}")
        seen[key] = prompt
        problems += lint_prompt(prompt)
    return problems
