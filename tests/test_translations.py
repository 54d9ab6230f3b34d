"""Every string of the interface is in the French catalogue, translated."""

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
