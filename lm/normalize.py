"""The one text normalizer: TTS input, the text tokenizer's training text and ASR scoring all go through it.

normalize_text("Dr. Smith paid $3.50 for 2 apples & 1st-class tea!") ->
"doctor smith paid three dollars fifty cents for two apples and first class tea"

Lower case, numbers/currency/percent/ordinals/times of day spelled out (a lone whole number between 1000 and 3000
as a year, 1990s as decades, $5 million as "five million dollars", 1½ as "one and one half", 10² as "ten squared"),
common abbreviations expanded, accents folded to ASCII (ß, æ, ø, ł and their like spelled ss, ae, o, l),
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


def _integer(digits: str) -> str:
    """Digits read as a number, or digit by digit where people do: codes with a leading zero (007) and numbers
    longer than 15 digits (phone and serial numbers; Python also refuses int() of over 4300 digits)."""
    if len(digits) > 15 or (len(digits) > 1 and digits[0] == "0"):
        return _digits(digits)
    return number_to_words(int(digits))


def _year(n: int) -> str:
    """A whole number between 1000 and 3000 read as English readers (and flite) read years: 1990 -> nineteen
    ninety, 1905 -> nineteen oh five, 1900 -> nineteen hundred, 2005 -> two thousand five, 2010 -> twenty ten.
    (The rule of Tacotron's and VITS's English cleaners; '1500 people' becomes 'fifteen hundred people'.)"""
    if n == 2000 or 2000 < n < 2010:
        return number_to_words(n)
    century, rest = divmod(n, 100)
    if rest == 0:
        return number_to_words(century) + " hundred"
    return number_to_words(century) + " " + (("oh " + _ONES[rest]) if rest < 10 else number_to_words(rest))


def _plural(words: str) -> str:
    """'nineteen ninety' -> 'nineteen nineties', 'nineteen hundred' -> 'nineteen hundreds'."""
    head, _, last = words.rpartition(" ")
    last = last[:-1] + "ies" if last.endswith("y") else last + "s"
    return f"{head} {last}".strip()


def _decade(match: re.Match) -> str:
    """The 1990s -> the nineteen nineties, the '60s / 60s -> the sixties."""
    digits = match.group(1)
    return " " + _plural(_year(int(digits)) if len(digits) == 4 else number_to_words(int(digits))) + " "


def _spell_number(token: str) -> str:
    """A token of digits, commas and at most one decimal point. Commas count as thousands separators only in
    their places (1,234,567); otherwise they separate numbers (1,2,3)."""
    whole, _, frac = token.partition(".")
    if "," in whole and not re.fullmatch(r"\d{1,3}(,\d{3})+", whole):
        return " ".join(_spell_number(part) for part in whole.split(",") if part) + (
            " point " + _digits(frac) if frac else "")
    whole = whole.replace(",", "")
    return (_integer(whole) if whole else "zero") + (" point " + _digits(frac) if frac else "")


def _number(match: re.Match) -> str:
    token = match.group(0).rstrip(",")  # "1990, 1905": the comma after a number is punctuation
    # a lone four-digit whole number (no thousands comma, decimals or digits around it) is most often a year
    if re.fullmatch(r"[12]\d{3}", token) and 1000 < int(token) < 3000:
        return " " + _year(int(token)) + " "
    return " " + _spell_number(token) + " "


def _currency(match: re.Match) -> str:
    return _currency_parts(match.group(1), match.group(2), match.group(3))


def _currency_parts(symbol: str, amount: str, scale: str | None) -> str:
    one, many, sub_one, sub_many = _CURRENCY[symbol]
    if scale:  # $2.5 billion, $2.5bn: two point five billion dollars
        scale = scale.strip().lower()
        return f" {_spell_number(amount)} {_SCALE_ABBREVIATIONS.get(scale, scale)} {many} "
    whole, _, frac = amount.partition(".")
    if len(frac) > 2:  # not cents: $3.999 is three point nine nine nine dollars
        return f" {_spell_number(amount)} {many} "
    out = f"{_spell_number(whole)} {one if whole.replace(',', '') == '1' else many}"
    cents = int((frac + "0")[:2]) if frac else 0
    if cents:
        out += f" {number_to_words(cents)} {sub_one if cents == 1 else sub_many}"
    return f" {out} "


_FRACTION_NAMES = {2: ("half", "halves"), 4: ("quarter", "quarters")}
_SCALE_ABBREVIATIONS = {"k": "thousand", "m": "million", "mn": "million", "b": "billion", "bn": "billion",
                        "tn": "trillion"}  # written against the amount: $1.5m, €2bn
_ROUND_PLURALS = {"10": "tens", "100": "hundreds", "1000": "thousands"}
_TRANSLITERATION = str.maketrans({"ß": "ss", "\u1e9e": "SS", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o",
                                  "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th",
                                  "Þ": "TH", "ı": "i"})
_SUPERSCRIPT_DIGITS = str.maketrans("\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079", "0123456789")


def _superscript(match: re.Match) -> str:
    """An exponent: m² -> m squared, (a+b)³ -> cubed, 2¹⁰ -> 2 to the power of 10, 10⁻³ -> to the power of minus
    3. (NFKC would make them digits of the number before: 10² -> 102.) Left to NFKC: the numerator or denominator
    of a fraction (¹⁄₄, which it makes 1⁄4) and a mark after a word that is not a square or cube (a footnote,
    Smith¹)."""
    run, text, start, end = match.group(0), match.string, match.start(), match.end()
    slash, digit = "/\u2044", lambda ch: ch.isdigit()  # isdigit: 0-9 and their super- and subscript forms alike
    before = text[start - 1] if start else ""
    if start >= 2 and before in slash and digit(text[start - 2]):
        return run  # a denominator (¹/²): NFKC makes the fraction, which is read as one
    if end + 1 < len(text) and text[end] in slash and digit(text[end + 1]):  # a numerator (¹⁄₄, ¹/₂) ...
        if before.isdigit():
            return f" and {run}"  # ... of a mixed number (1¹/₂: one and one half)
        if not (before.isalnum() or before == ")"):
            return run  # (after a letter or ")" it is an exponent: mv²/2)
    digits = run.translate(_SUPERSCRIPT_DIGITS).replace("\u207b", "minus ")
    if digits in ("2", "3") and (before.isalnum() or before == ")"):
        return " squared " if digits == "2" else " cubed "
    if before.isdigit() or before == ")" or "\u207b" in run:  # a negative exponent is never a footnote mark
        return f" to the power of {digits} "
    return run


def _fraction(match: re.Match) -> str:
    """A proper fraction of a small denominator: 1/2 -> one half, 3/4 -> three quarters, 2/3 -> two thirds."""
    top, bottom = int(match.group(1)), int(match.group(2))
    one, many = _FRACTION_NAMES.get(bottom, (_ordinal(bottom), _ordinal(bottom) + "s"))
    return f" {number_to_words(top)} {one if top == 1 else many} "


def _clock(match: re.Match) -> str:
    """A time of day: 12:05 -> twelve oh five, 7:45 -> seven forty five, 10:00 -> ten o'clock (ten before am/pm)."""
    hour, minute = number_to_words(int(match.group(1))), match.group(2)
    if minute == "00":
        return f" {hour} " if match.group(3) else f" {hour} o'clock "
    return f" {hour} {'oh ' + _ONES[int(minute[1])] if minute[0] == '0' else number_to_words(int(minute))} "


def _ordinal_token(match: re.Match) -> str:
    digits = match.group(1).replace(",", "")  # 1,000th: a thousands separator, as in the plain numbers
    return " " + (_digits(digits) + " th" if len(digits) > 15 else _ordinal(int(digits))) + " "


def normalize_text(text: str, report: list[str] | None = None) -> str:
    """Normalize for TTS and ASR scoring (see module doc); `report` receives characters that were dropped."""
    if not isinstance(text, str):
        raise TypeError(f"normalize_text expects a str, got {type(text).__name__}")
    # before NFKC, which makes 1½ "11⁄2" (eleven halves), 10² "102" and the acute of don´t a combining accent
    text = re.sub(r"(\d)\s?([\u00bc-\u00be\u2150-\u215e])", r"\1 and \2", text)  # 1½: one and one half
    text = re.sub(r"\u207b?[\u00b2\u00b3\u00b9\u2070\u2074-\u2079]+", _superscript, text)
    text = re.sub(r"(?<=[^\W\d_])[\u00b4`\u2032](?=[^\W\d_])", "'", text)  # don´t, don`t, don′t
    text = unicodedata.normalize("NFKC", text)
    # curly quotes and U+02BC (the modifier-letter apostrophe of donʼt) are apostrophes
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u02bc", "'")
    # U+2212, the typographic minus (−5 °C): NFKC keeps it, and the sign would be dropped with the non-ASCII
    text = text.replace("\u2212", "-")
    text = re.sub(r"(?<!\d)([$£€])-(?=\.?\d)", r"-\1", text)  # $-5 is -$5: the sign first, the amount keeps its symbol
    text = re.sub(r"(?<![\w.])-(?=[$£€]?\.?\d)", " minus ", text)  # -5, not the dash of 1-2 or 1st-class
    # a number may start at its decimal point (.5, $.99), unless the point ends a word or number (v1.2.3)
    # (never ending at a comma: in "$5,000, and" that comma is punctuation; a scale word after it: $5 million)
    text = re.sub(r"([$£€])\s?(\d(?:[\d,]*\d)?(?:\.\d+)?|\.\d+)(\s+(?:thousand|million|billion|trillion)\b|"
                  r"(?:k|m|mn|bn|b|tn)\b)?",
                  _currency, text, flags=re.I)
    # the euro or pound sign after the amount (5€, 100 £: European usage), where nothing follows that reads as
    # another amount; not the dollar, which closes TeX math ($x=5$)
    text = re.sub(r"(?<![\w.,])(\d(?:[\d,]*\d)?(?:\.\d+)?)\s?([£€])(?![\w$£€])",
                  lambda m: _currency_parts(m.group(2), m.group(1), None), text)
    # h:mm, not a ratio (2:1) nor one part of 12:05:30; its digits alone read "twelve zero five"
    text = re.sub(r"(?<![\d:.])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])(?=(\s*[ap]\.?m\b)?)", _clock, text, flags=re.I)
    # NFKC makes ½ 1⁄2; other slashes between numbers (24/7, dates) are read as the numbers alone
    text = re.sub(r"(?<![\d/\u2044])([1-9])\s?[/\u2044]\s?(10|[2-9])(?![\d/\u2044])",
                  lambda m: _fraction(m) if int(m.group(1)) < int(m.group(2)) else m.group(0), text)
    # with its thousands commas: from "1,000th" the digits alone would read "one zeroth"
    text = re.sub(r"\b(\d{1,3}(?:,\d{3})+|\d+)(st|nd|rd|th)\b", _ordinal_token, text, flags=re.I)
    text = re.sub(r"(?<![\w.,])'?(1[1-9]\d0|20\d0|[2-9]0)'?s\b", _decade, text)  # before the plain numbers
    # 1000s of people (not "wait 10s", seconds)
    text = re.sub(r"(?<![\w.,])(10|100|1000)s(?=\s+of\b)", lambda m: f" {_ROUND_PLURALS[m.group(1)]} ", text)
    text = re.sub(r"(?<=\d)\s?ms\b\.?", " milliseconds ", text)  # after a number, not Ms. ("five miss")
    text = re.sub(r"\d[\d,]*(?:\.\d+)?|(?<![\w.])\.\d+", _number, text)
    text = re.sub(r"\b([A-Za-z]+)\.", lambda m: _ABBREVIATIONS.get(m.group(1).lower(), m.group(1)) + " ", text)
    # without the period too (British usage): Mr and Mrs always, Dr, Ms and Prof where a capitalised name follows
    # (Baker Dr is a drive)
    text = re.sub(r"\b(?:(Mrs?)|(Ms|Dr|Prof)(?=\s+[A-Z]))\b", lambda m: _ABBREVIATIONS[m.group(0).lower()], text)
    for sym, word in _SYMBOLS.items():
        text = text.replace(sym, word)
    # Fold accents (café -> cafe); letters without a decomposition take their usual ASCII spelling (Straße ->
    # strasse, Łódź -> lodz); what is still not ASCII has no English spelling here: drop it.
    folded = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATION))
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
