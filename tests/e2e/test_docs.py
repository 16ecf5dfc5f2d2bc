"""The configuration reference in docs/ is the programs' own key tables."""
import os
import subprocess
import sys
import unittest

from harness import BUILD, ROOT


class DocsTest(unittest.TestCase):
    def test_configuration_reference_is_current(self):
        out = subprocess.run([sys.executable, os.path.join(ROOT, "deploy", "gen-docs.py"),
                              "--check", "--build", os.path.relpath(BUILD, ROOT)],
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)

    def test_every_doc_the_readme_names_exists(self):
        with open(os.path.join(ROOT, "README.md")) as f:
            readme = f.read()
        names = [w.strip(".,`()") for w in readme.split() if w.strip(".,`()").endswith(".md")]
        missing = [n for n in names if not os.path.exists(os.path.join(ROOT, "docs",
                   os.path.basename(n))) and not os.path.exists(os.path.join(ROOT, n))]
        self.assertEqual(missing, [])


SOURCE_EXT = (".c", ".h", ".py", ".mjs", ".js", ".sh")


def tracked_files():
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:  # not a git checkout: walk the tree
        names = []
        for top, dirs, files in os.walk(ROOT):
            dirs[:] = [d for d in dirs if d not in ("node_modules", "build", ".git")]
            names += [os.path.relpath(os.path.join(top, f), ROOT) for f in files]
        return names
    return [n for n in out.stdout.split("\n") if n and not n.startswith("node_modules/")]


def folders_named(text):
    """Every `folder/` named in the first column of docs/architecture.md's table."""
    names = set()
    for line in text.split("\n"):
        if not line.startswith("| `"):
            continue
        first = line.split("|")[1]
        for part in first.split("`"):
            part = part.strip()
            if part.endswith("/") and part not in (",", ""):
                names.add(part.rstrip("/"))
    return names


class LayoutTest(unittest.TestCase):
    """docs/architecture.md, the README's layout and the tree agree."""

    def setUp(self):
        with open(os.path.join(ROOT, "docs", "architecture.md")) as f:
            self.named = folders_named(f.read())
        self.source_dirs = {os.path.dirname(n) for n in tracked_files()
                            if n.endswith(SOURCE_EXT) and os.path.dirname(n)
                            and not n.startswith(".")}

    def test_every_source_folder_is_named_in_architecture(self):
        self.assertEqual(sorted(self.source_dirs - self.named), [],
                         "source folders missing from docs/architecture.md's table")

    def test_every_folder_named_in_architecture_exists(self):
        gone = [n for n in sorted(self.named) if not os.path.isdir(os.path.join(ROOT, n))]
        self.assertEqual(gone, [], "docs/architecture.md names folders that do not exist")

    def test_readme_layout_names_every_top_folder(self):
        with open(os.path.join(ROOT, "README.md")) as f:
            readme = f.read()
        start = readme.index("Code layout:")
        layout = readme[start:readme.index("\n\n", start)]
        tops = {d.split("/")[0] for d in self.source_dirs}
        missing = [t for t in sorted(tops) if "`%s/" % t not in layout]
        self.assertEqual(missing, [], "README's layout misses top-level folders")
        rooms = sorted(d for d in self.source_dirs if d.startswith("collector/"))
        missing = [r for r in rooms if "`%s/`" % r.split("/", 1)[1] not in layout
                   and "`%s/`" % r not in layout]
        self.assertEqual(missing, [], "README's layout misses collector rooms")
