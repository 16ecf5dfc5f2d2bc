"""The docs' tables of result kinds agree with the table in the code
(common/resultkind.c), as `pantau kinds --json` prints it."""
import json
import os
import re
import subprocess
import unittest

from harness import BUILD, ROOT

DOCS = os.path.join(ROOT, "docs")
NAME = re.compile(r"`([^`]+)`")


def dump():
    out = subprocess.run([os.path.join(BUILD, "pantau"), "kinds", "--json"],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def read(name):
    with open(os.path.join(DOCS, name)) as f:
        return f.read()


def cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def tables(text):
    """(the bold paragraph or heading line before it, the section heading,
    header cells, rows of cells) for every table in text."""
    lines = text.split("\n")
    i = 0
    before = heading = ""
    while i < len(lines):
        line = lines[i]
        if line.startswith("|") and i + 1 < len(lines) and lines[i + 1].startswith("|---"):
            header, rows = cells(line), []
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(cells(lines[i]))
                i += 1
            yield before, heading, header, rows
            continue
        if line.startswith("#"):
            heading = line
        if line.startswith("**") or line.startswith("#"):
            before = line
        i += 1


def dash(v):
    return v if v else "–"


def doc_range(v):
    return v.replace(",", "")


class KindTablesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.table = dump()
        cls.kinds = {k["name"]: k for k in cls.table["kinds"]}

    def test_protocol_field_tables_match_the_table(self):
        found = {}
        for before, _, header, rows in tables(read("protocol.md")):
            if header[:5] != ["field", "type", "need", "unit", "range"]:
                continue
            m = re.match(r"\*\*(\w+)\*\* —", before)
            self.assertIsNotNone(m, "a field table in docs/protocol.md without its "
                                    "**kind** — paragraph: %r" % before)
            doc = set()
            for r in rows:
                for name in NAME.findall(r[0]):
                    doc.add((name, r[1], r[2], r[3], doc_range(r[4])))
            found[m.group(1)] = doc
        self.assertEqual(sorted(found), sorted(self.kinds),
                         "docs/protocol.md has a field table for exactly the known kinds")
        for name, kind in self.kinds.items():
            want = {(f["name"], f["type"], f["need"], dash(f["unit"]), dash(f["range"]))
                    for f in kind["fields"]}
            with self.subTest(kind=name):
                self.assertEqual(sorted(found[name] - want), [],
                                 "rows in docs/protocol.md the table does not have")
                self.assertEqual(sorted(want - found[name]), [],
                                 "fields of the table docs/protocol.md does not list")

    def test_protocol_names_the_common_fields(self):
        text = read("protocol.md")
        para = text[text.index("Common to all:"):]
        para = para[:para.index("\n\n")].replace("\n", " ")
        for f in self.table["common"]:
            with self.subTest(field=f["name"]):
                self.assertIn("`%s` (" % f["name"], para)
                self.assertIn(f["range"], para)

    def test_api_series_table_matches_the_table(self):
        doc = set()
        for _, _, header, rows in tables(read("api.md")):
            if header[:2] == ["kind", "key"]:
                doc |= {(r[0], NAME.findall(r[1])[0], NAME.findall(r[2])[0], r[3], r[4])
                        for r in rows}
        want = {(k["name"], s["key"], s["field"], s["aggregate"], s.get("chart") or "–")
                for k in self.table["kinds"] for s in k["series"]}
        self.assertEqual(sorted(doc - want), [], "docs/api.md rows the table does not have")
        self.assertEqual(sorted(want - doc), [], "series docs/api.md does not list")

    def test_status_judged_table_matches_the_table(self):
        doc = set()
        for _, _, header, rows in tables(read("status.md")):
            if header[:3] == ["kind", "field", "judged as"]:
                doc |= {(r[0], NAME.findall(r[1])[0], r[2]) for r in rows}
        want = {(k["name"], f["name"], f["judged"]) for k in self.table["kinds"]
                for f in k["fields"] if "judged" in f}
        self.assertEqual(sorted(doc - want), [], "docs/status.md rows the table does not have")
        self.assertEqual(sorted(want - doc), [], "judged fields docs/status.md does not list")

    def test_probes_result_tables_name_known_fields(self):
        checked = set()
        for before, heading, header, rows in tables(read("probes.md")):
            m = re.match(r"## (\w+) —", heading)
            kind = m.group(1) if m else None
            if header[0] != "field" or kind not in self.kinds or not before.startswith("**Result."):
                continue
            names = {f["name"] for f in self.kinds[kind]["fields"]}
            for r in rows:
                for name in NAME.findall(r[0]):
                    with self.subTest(kind=kind, field=name):
                        self.assertIn(name, names, "docs/probes.md names a field of %s "
                                      "the table does not have" % kind)
            checked.add(kind)
        self.assertTrue(checked, "no **Result.** table found in docs/probes.md")

    def test_dashboard_copy_is_current(self):
        with open(os.path.join(BUILD, "share", "pantau", "web", "kinds.json")) as f:
            self.assertEqual(json.load(f), self.table, "run make: kinds.json is stale")

    def test_kind_names_are_plain(self):
        # They are written into SQL (collector/api/query_kinds.c).
        for name in self.kinds:
            self.assertRegex(name, r"^[a-z][a-z0-9_]{0,31}$")


if __name__ == "__main__":
    unittest.main()
