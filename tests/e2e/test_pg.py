"""PostgreSQL for the store (issue 15): the throwaway cluster the
PostgreSQL backend's tests run on. The backend itself comes next; these
tests keep the cluster helper honest."""

import os
import subprocess
import unittest

from harness import BUILD, needs_postgresql, pgcluster


@needs_postgresql
class PgClusterTest(unittest.TestCase):
    def test_cluster_starts_answers_and_goes_away(self):
        c = pgcluster.PgCluster("t")
        try:
            c.start()
            self.assertEqual(c.psql("SELECT 1 + 1"), "2")
            self.assertTrue(os.path.exists(os.path.join(c.sock, ".s.PGSQL.5432")))
            self.assertIn(f"host={c.sock}", c.url())
            c.stop()
            self.assertFalse(os.path.exists(os.path.join(c.sock, ".s.PGSQL.5432")))
            c.start()    # the data survive a stop and start
            c.psql("CREATE TABLE t(x int); INSERT INTO t VALUES (7)")
            c.stop()
            c.start()
            self.assertEqual(c.psql("SELECT x FROM t"), "7")
        finally:
            c.remove()
        self.assertFalse(os.path.exists(c.dir))

    def test_pg_backend_of_the_statement_layer(self):
        """build/tests/test_pgdb (tests/unit/test_pgdb.c) on a live cluster."""
        with pgcluster.PgCluster("db") as c:
            env = dict(os.environ, PANTAU_PG_URL=c.url())
            p = subprocess.run([os.path.join(BUILD, "tests", "test_pgdb")], env=env,
                               capture_output=True, text=True, timeout=120)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn("PASSED", p.stdout + p.stderr)
            out = p.stdout + p.stderr
            # every case connected (none returned early for want of a server)
            self.assertEqual(out.count("connected to PostgreSQL"), out.count("[ RUN"), out)


if __name__ == "__main__":
    unittest.main()
