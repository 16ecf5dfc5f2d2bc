"""PostgreSQL for the store (issue 15): the throwaway cluster the
PostgreSQL backend's tests run on. The backend itself comes next; these
tests keep the cluster helper honest."""

import os
import unittest

import pgcluster


@unittest.skipUnless(pgcluster.available(), "postgresql-15 is not installed")
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


if __name__ == "__main__":
    unittest.main()
