"""The one text normalizer: TTS input, the text tokenizer's training text and ASR scoring all go through it.

normalize_text("Dr. Smith paid $3.50 for 2 apples & 1st-class tea!") ->
"doctor smith paid three dollars fifty cents for two apples and first class tea"

Lower case, numbers/currency/percent/ordinals spelled out, common abbreviations expanded, accents folded to ASCII,
punctuation removed except word-internal apostrophes, whitespace collapsed. Characters it cannot represent in
plain English letters are dropped (`normalize_text(..., report=list)` collects them for a warning).
"""
from __future__ import annotations

import re
import unicodedata

_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = [(10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand")]
_ORDINAL_IRREGULAR = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
                      "nine": "ninth", "twelve": "twelfth"}
_ABBREVIATIONS = {"mr": "mister", "mrs": "missus", "ms": "miss", "dr": "doctor", "jr": "junior",
                  "sr": "senior", "prof": "professor", "vs": "versus", "etc": "et cetera"}
_SYMBOLS = {"&": " and ", "%": " percent ", "+": " plus ", "=": " equals ", "@": " at ", "#": " number "}
_CURRENCY = {"$": ("dollar", "dollars", "cent", "cents"), "£": ("pound", "pounds", "penny", "pence"),
             "€": ("euro", "euros", "cent", "cents")}


def number_to_words(n: int) -> str:
    """Spell out a non-negative integer: 1984 -> 'one thousand nine hundred eighty four'."""
    if n < 0:
        return "minus " + number_to_words(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + ("" if ones == 0 else " " + _ONES[ones])
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return _ONES[hundreds] + " hundred" + ("" if rest == 0 else " " + number_to_words(rest))
    for value, name in _SCALES:
        if n >= value:
            head, rest = divmod(n, value)
            return number_to_words(head) + " " + name + ("" if rest == 0 else " " + number_to_words(rest))
    raise AssertionError("unreachable")


def _ordinal(n: int) -> str:
    words = number_to_words(n).split()
    last = words[-1]
    if last in _ORDINAL_IRREGULAR:
        words[-1] = _ORDINAL_IRREGULAR[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


def _digits(s: str) -> str:
    return " ".join(_ONES[int(c)] for c in s)


def _spell_number(token: str) -> str:
    token = token.replace(",", "")
    if "." in token:
        whole, frac = token.split(".", 1)
        return (number_to_words(int(whole)) if whole else "zero") + " point " + _digits(frac)
    if len(token) > 15:  # phone/serial numbers: digit by digit
        return _digits(token)
    return number_to_words(int(token))


def _currency(match: re.Match) -> str:
    one, many, sub_one, sub_many = _CURRENCY[match.group(1)]
    whole = int(match.group(2).replace(",", ""))
    out = f"{number_to_words(whole)} {one if whole == 1 else many}"
    if match.group(3):
        cents = int((match.group(3) + "0")[:2])
        if cents:
            out += f" {number_to_words(cents)} {sub_one if cents == 1 else sub_many}"
    return f" {out} "


def normalize_text(text: str, report: list[str] | None = None) -> str:
    """Normalize for TTS and ASR scoring (see module doc); `report` receives characters that were dropped."""
    if not isinstance(text, str):
        raise TypeError(f"normalize_text expects a str, got {type(text).__name__}")
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"([$£€])\s?(\d[\d,]*)(?:\.(\d{1,2}))?\b", _currency, text)
    text = re.sub(r"\b(\d+)(st|nd|rd|th)\b", lambda m: " " + _ordinal(int(m.group(1))) + " ", text, flags=re.I)
    text = re.sub(r"\d[\d,]*(?:\.\d+)?", lambda m: " " + _spell_number(m.group(0)) + " ", text)
    text = re.sub(r"\b([A-Za-z]+)\.", lambda m: _ABBREVIATIONS.get(m.group(1).lower(), m.group(1)) + " ", text)
    for sym, word in _SYMBOLS.items():
        text = text.replace(sym, word)
    # Fold accents (café -> cafe); what is still not ASCII has no English spelling here: drop it.
    folded = unicodedata.normalize("NFKD", text)
    kept = []
    for ch in folded:
        if unicodedata.combining(ch):
            continue
        if ord(ch) < 128:
            kept.append(ch)
        else:
            if report is not None and not ch.isspace():
                report.append(ch)
            kept.append(" ")
    text = "".join(kept).lower()
    text = re.sub(r"[^a-z' ]", " ", text)  # punctuation, control characters
    text = re.sub(r"(?<![a-z])'|'(?![a-z])", " ", text)  # keep only word-internal apostrophes (don't, o'clock)
    return " ".join(text.split())
