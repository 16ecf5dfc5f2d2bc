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
