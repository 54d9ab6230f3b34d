"""Every string of the interface is in the French catalogue, translated."""

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "statuspage" / "translations" / "fr" / "LC_MESSAGES" / "messages.po"


def interface_strings() -> set[str]:
    found = set()
    for directory in ("statuspage", "templates"):
        for _, _, message, _, _ in extract_from_dir(
            ROOT / directory,
            method_map=[("**.py", "python"), ("**.html", "jinja2"), ("**.txt", "jinja2")],
            options_map={"**.html": {"extensions": "jinja2.ext.do"}, "**.txt": {}},
            keywords={"_": None, "gettext": None, "ngettext": (1, 2), "_l": None},
            directory_filter=lambda path: not Path(path).name.startswith("."),
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_interface_string_has_a_french_translation():
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    translated = {
        m.id[0] if isinstance(m.id, tuple) else m.id
        for m in catalog
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string) and not m.fuzzy
    }
    strings = interface_strings()
    assert len(strings) > 60
    assert sorted(strings - translated) == []


#: French typography: a no-break space (U+00A0, or the narrow U+202F) before : ; ? and !, so that
#: the sign never starts a line and never sticks to the word.
_UNSPACED = re.compile(r"(?:(?<=[^\s\u00a0\u202f])|(?<=[ \t]))[:;?!](?=\s|$|<|\)|»|\")")


def french_spacing_errors(text: str) -> list[str]:
    text = re.sub(r"https?://\S+|<!--.*?-->", "", text)
    return [text[max(m.start() - 20, 0) : m.end() + 1] for m in _UNSPACED.finditer(text)]


def test_french_punctuation_has_its_no_break_space():
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    errors = []
    for message in catalog:
        if not message.id:
            continue  # the catalogue's header
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            errors += french_spacing_errors(string)
    assert errors == []
    assert french_spacing_errors("Impact : majeur") == ["Impact : "]  # the check can fail


def test_french_content_has_its_no_break_space():
    errors = []
    for path in sorted((ROOT / "content").rglob("*.md")):
        if path.name == "README.md":  # the format's description, in English
            continue
        text = path.read_text(encoding="utf-8")
        french = text.split("<!-- lang: fr -->", 1)[1] if "<!-- lang: fr -->" in text else ""
        french += "\n".join(re.findall(r"^\w+_fr:(.*)$", text, flags=re.MULTILINE))
        errors += [f"{path.name}: {e}" for e in french_spacing_errors(french)]
    assert errors == []
