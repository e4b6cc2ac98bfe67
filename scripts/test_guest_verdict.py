"""Host tests of guest-verdict.sh: the harness must count honestly. Each case feeds it a
guest's KTAP output and console, and names the harness bug that would let it pass."""
import os
import subprocess
import tempfile
import unittest

from test_ktap_helpers import SPLATS

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "guest-verdict.sh")

GOOD_TEST = """# selftests: int3call: a.sh
    KTAP version 1
    1..2
    ok 1 first
    ok 2 second
ok {n} selftests: int3call: a.sh
"""


def run(body, plan=1, sentinel="INT3CALL-GUEST-DONE rc=0", console="", qemu_rc=0, expect=None):
    env = dict(os.environ)
    env.pop("INT3CALL_EXPECT_TESTS", None)
    if expect is not None:
        env["INT3CALL_EXPECT_TESTS"] = str(expect)
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "t.out"), "w") as f:
            f.write(f"TAP version 13\n1..{plan}\n{body}{sentinel}\n")
        with open(os.path.join(d, "t.console"), "w") as f:
            f.write(console)
        p = subprocess.run(["bash", SCRIPT, "t", str(qemu_rc), d], capture_output=True, text=True, env=env)
        return p.returncode, p.stdout.strip().splitlines()[-1]


class GuestVerdict(unittest.TestCase):
    def test_a_clean_run_passes(self):
        self.assertEqual(run(GOOD_TEST.format(n=1)), (0, "guest: 2 passed, 0 failed, 0 skipped"))

    def test_test_times_are_shown_and_not_counted(self):
        # Bug caught: the runner's "# T took N s" line read as a point, or as the closing line.
        body = GOOD_TEST.format(n=1) + "# a.sh took 12 s\r\n"
        self.assertEqual(run(body), (0, "guest: 2 passed, 0 failed, 0 skipped"))
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "t.out"), "w") as f:
                f.write(f"TAP version 13\n1..1\n{body}INT3CALL-GUEST-DONE rc=0\n")
            open(os.path.join(d, "t.console"), "w").close()
            p = subprocess.run(["bash", SCRIPT, "t", "0", d], capture_output=True, text=True)
        self.assertIn("  times: a.sh 12 s", p.stdout.splitlines())

    def test_a_skipped_test_fails(self):
        # Bug caught: counting "ok ... # SKIP" as a pass (the module missing from the guest).
        body = "    KTAP version 1\n    1..0 # SKIP module /int3call.ko not found\nok 1 selftests: int3call: a.sh # SKIP\n"
        rc, last = run(body)
        self.assertNotEqual(rc, 0)
        self.assertEqual(last, "guest: 0 passed, 2 failed, 1 skipped")

    def test_a_skipped_point_fails(self):
        body = "    KTAP version 1\n    1..2\n    ok 1 first\n    ok 2 second # SKIP no foo\nok 1 selftests: int3call: a.sh\n"
        rc, last = run(body)
        self.assertNotEqual(rc, 0)
        self.assertIn("1 skipped", last)

    def test_fewer_points_than_planned_fails(self):
        # Bug caught: a test that died half way, with every printed point ok.
        body = "    KTAP version 1\n    1..3\n    ok 1 first\nok 1 selftests: int3call: a.sh\n"
        self.assertNotEqual(run(body)[0], 0)

    def test_no_plan_fails(self):
        body = "    ok 1 first\nok 1 selftests: int3call: a.sh\n"
        self.assertNotEqual(run(body)[0], 0)

    def test_a_missing_test_fails(self):
        # Bug caught: the runner planned two tests and one never reported.
        self.assertNotEqual(run(GOOD_TEST.format(n=1), plan=2)[0], 0)

    def test_a_runner_that_planned_fewer_tests_than_expected_fails(self):
        # Bug caught: a runner that read only the first line of a multi-line TEST_PROGS plans
        # and reports one test, consistently, and would pass.
        self.assertNotEqual(run(GOOD_TEST.format(n=1), expect=2)[0], 0)
        self.assertEqual(run(GOOD_TEST.format(n=1), expect=1)[0], 0)

    def test_a_failed_point_fails(self):
        body = GOOD_TEST.format(n=1).replace("    ok 2", "    not ok 2").replace("ok 1 selftests", "not ok 1 selftests")
        rc, last = run(body)
        self.assertNotEqual(rc, 0)
        self.assertEqual(last, "guest: 1 passed, 1 failed, 0 skipped")

    def test_a_failed_test_without_a_failed_point_fails(self):
        # A timeout or crash after the last point: the runner's "not ok" alone.
        body = GOOD_TEST.format(n=1).replace("ok 1 selftests", "not ok 1 selftests")
        self.assertNotEqual(run(body)[0], 0)

    def test_no_sentinel_fails(self):
        self.assertNotEqual(run(GOOD_TEST.format(n=1), sentinel="")[0], 0)

    def test_a_sentinel_with_a_serial_cr_passes(self):
        self.assertEqual(run(GOOD_TEST.format(n=1), sentinel="INT3CALL-GUEST-DONE rc=0\r")[0], 0)

    def test_a_nonzero_runner_exit_fails(self):
        self.assertNotEqual(run(GOOD_TEST.format(n=1), sentinel="INT3CALL-GUEST-DONE rc=1")[0], 0)

    def test_a_timeout_fails(self):
        self.assertNotEqual(run(GOOD_TEST.format(n=1), qemu_rc=124)[0], 0)

    def test_a_splat_on_the_console_fails(self):
        # Bug caught: the console checked with less than the selftests' SPLAT_RE (the two
        # copies had drifted apart), or not at all.
        for splat in SPLATS:
            with self.subTest(splat=splat):
                rc, last = run(GOOD_TEST.format(n=1), console=f"[ 0.5] Linux version 7.2\n[ 1.0] {splat}\n")
                self.assertEqual((rc, last), (1, "guest: 2 passed, 1 failed, 0 skipped"))
        # A lockdep kernel's boot banner names lockdep: it is no report.
        banner = "[ 0.0] rcu: \tRCU lockdep checking is enabled.\n"
        self.assertEqual(run(GOOD_TEST.format(n=1), console=banner), (0, "guest: 2 passed, 0 failed, 0 skipped"))

    def test_no_test_at_all_fails(self):
        self.assertNotEqual(run("", plan=0)[0], 0)


if __name__ == "__main__":
    unittest.main()
