"""Host tests of counting.sh, the counting of `make check` (check.sh): each stage's log or
verdict into passed/failed/skipped, the closing line and its exit status, and
INT3CALL_FAIL_FAST. Each case feeds a function the output of a run that went wrong (a failed
test, a crashed guest with no verdict line, an ignored or skipped test, a warning) and checks
that it is counted as a failure, never as a pass."""
import os
import subprocess
import tempfile
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
COUNTING = os.path.join(HERE, "counting.sh")


def bash(script, env=None, **files):
    """Run SCRIPT in bash after sourcing counting.sh. Each keyword names a file written in a
    temporary folder, which SCRIPT sees as $name. Returns (status, stdout lines)."""
    with tempfile.TemporaryDirectory() as d:
        e = {k: v for k, v in os.environ.items() if not k.startswith("INT3CALL_")}
        e.update(env or {})
        for name, text in files.items():
            path = os.path.join(d, name)
            with open(path, "w") as f:
                f.write(text)
            e[name] = path
        p = subprocess.run(["bash", "-c", 'set -uo pipefail; source "$0"\n' + script, COUNTING],
                           capture_output=True, text=True, env=e)
        if p.stderr:
            raise AssertionError(f"stderr from counting.sh: {p.stderr}")
        return p.returncode, p.stdout.splitlines()


CARGO_OK = textwrap.dedent("""\
       Compiling int3call-host v0.1.0
        Finished `test` profile
         Running unittests lib.rs
    running 3 tests
    test insn::tests::call_rel32 ... ok
    test policy::tests::new ... ok
    test verdict::tests::missed ... ok

    test result: ok. 3 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s

       Doc-tests int3call_host
    running 1 test
    test lib.rs - doc (line 3) ... ok

    test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s
    """)


class GuestVerdictLine(unittest.TestCase):
    def counts(self, text, msg="no verdict line"):
        rc, out = bash('closing_counts "guest: P passed, F failed, S skipped" "$(cat "$v")" "$1"; '
                       'echo "COUNTS $c_pass $c_fail $c_skip"'.replace("$1", msg), v=text)
        self.assertEqual(rc, 0)
        return out

    def test_the_verdict_line_is_read_field_by_field(self):
        # Bug caught: closing_counts swapping or dropping a field.
        text = "  ok 1 a\n  FAIL: a problem\nguest: 12 passed, 3 failed, 1 skipped\n"
        self.assertEqual(self.counts(text), ["COUNTS 12 3 1"])

    def test_a_crashed_guest_with_no_verdict_line_is_a_failure(self):
        self.assertEqual(self.counts("  ok 1 a\nKernel panic - not syncing\n", "no verdict line from guest-verdict.sh"),
                         ["  FAIL: no verdict line from guest-verdict.sh", "COUNTS 0 1 0"])

    def test_no_output_at_all_is_a_failure(self):
        self.assertEqual(self.counts(""), ["  FAIL: no verdict line", "COUNTS 0 1 0"])

    def test_a_truncated_or_foreign_verdict_line_is_a_failure(self):
        # A line cut short by a crash, an indented copy, another stage's line, or a count
        # left out is no verdict.
        for text in ("guest: 3 passed, 0 failed\n", "  guest: 3 passed, 0 failed, 0 skipped\n",
                     "vng: 3 passed, 0 failed, 0 skipped\n", "guest: 3 passed, 0 failed, 0 skipped, 2 more\n",
                     "guest:  passed, 3 failed, 0 skipped\n"):
            with self.subTest(text=text):
                self.assertEqual(self.counts(text), ["  FAIL: no verdict line", "COUNTS 0 1 0"])

    def test_a_stage_verdict_line_is_read(self):
        # A stage that skips nothing has no skip count: c_skip is 0.
        rc, out = bash('closing_counts "style: P passed, F failed" "$(cat "$v")" "no verdict from style.sh"; '
                       'echo "COUNTS $c_pass $c_fail $c_skip"', v="  ok: rustfmt\n  FAIL: clippy\nstyle: 1 passed, 1 failed\n")
        self.assertEqual(out, ["COUNTS 1 1 0"])

    def test_a_missing_stage_verdict_line_is_a_failure(self):
        # Bug caught: style.sh or kcfi-check.sh dying before its last line, or another stage's
        # line taken for its own.
        for text in ("  ok: rustfmt\n", "kcfi: 2 passed, 0 failed\n", "style: 2 passed, 0 failed, 0 skipped\n", ""):
            with self.subTest(text=text):
                rc, out = bash('closing_counts "style: P passed, F failed" "$(cat "$v")" "no verdict from style.sh"; '
                               'echo "COUNTS $c_pass $c_fail $c_skip"', v=text)
                self.assertEqual(out, ["  FAIL: no verdict from style.sh", "COUNTS 0 1 0"])


class CargoCounts(unittest.TestCase):
    def counts(self, log, rc):
        status, out = bash(f'cargo_counts "$log" {rc}; echo "COUNTS $upass $ufail $uskip"', log=log)
        self.assertEqual(status, 0)
        return out

    def test_a_clean_run_sums_every_test_binary(self):
        out = self.counts(CARGO_OK, 0)
        self.assertEqual(out[-1], "COUNTS 4 0 0")
        self.assertIn("  test insn::tests::call_rel32 ... ok", out)
        self.assertEqual(len([l for l in out if l.startswith("  test ")]), 4)

    def test_a_failed_test_is_counted(self):
        log = CARGO_OK.replace("test policy::tests::new ... ok", "test policy::tests::new ... FAILED").replace(
            "ok. 3 passed; 0 failed", "FAILED. 2 passed; 1 failed")
        self.assertEqual(self.counts(log, 101)[-1], "COUNTS 3 1 0")

    def test_a_build_error_with_no_test_result_is_a_failure(self):
        # cargo exits non-zero and no test ran: one failure for the exit, one for the error line.
        log = "error[E0425]: cannot find value `x` in this scope\n --> lib.rs:3:5\nerror: could not compile\n"
        out = self.counts(log, 101)
        self.assertEqual(out[-1], "COUNTS 0 2 0")
        self.assertIn("  FAIL: cargo test printed 0 warning(s) and 2 error line(s)", out)

    def test_a_crash_with_no_output_is_a_failure(self):
        self.assertEqual(self.counts("", 101)[-1], "COUNTS 0 1 0")

    def test_an_ignored_test_is_a_failure(self):
        log = CARGO_OK.replace("ok. 3 passed; 0 failed; 0 ignored", "ok. 3 passed; 0 failed; 2 ignored")
        out = self.counts(log, 0)
        self.assertEqual(out[-1], "COUNTS 4 1 2")
        self.assertIn("  FAIL: 2 host test(s) ignored", out)

    def test_a_warning_is_a_failure(self):
        log = "warning: unused variable: `unused_in_a_test`\n --> insn.rs:9:13\n" + CARGO_OK
        out = self.counts(log, 0)
        self.assertEqual(out[-1], "COUNTS 4 1 0")
        self.assertIn("  FAIL: cargo test printed 1 warning(s) and 0 error line(s)", out)


class UnittestCounts(unittest.TestCase):
    def counts(self, log, rc):
        status, out = bash(f'unittest_counts "$log" {rc}; echo "COUNTS $ppass $pfail $pskip"', log=log)
        self.assertEqual(status, 0)
        return out

    def test_passes_are_counted(self):
        log = "test_a (m.C.test_a) ... ok\ntest_b (m.C.test_b)\nA docstring ... ok\n\nRan 2 tests\n\nOK\n"
        out = self.counts(log, 0)
        self.assertEqual(out, ["  test_a (m.C.test_a) ... ok", "  A docstring ... ok", "COUNTS 2 0 0"])

    def test_failures_errors_and_failed_subtests_are_counted(self):
        log = ("test_a (m.C.test_a) ... ok\ntest_b (m.C.test_b) ... FAIL\ntest_c (m.C.test_c) ... ERROR\n"
               "test_d (m.C.test_d) ... \n  test_d (m.C.test_d) (shell='busybox') ... FAIL\n\nFAILED (failures=2, errors=1)\n")
        self.assertEqual(self.counts(log, 1)[-1], "COUNTS 1 3 0")

    def test_a_skipped_test_is_a_failure(self):
        out = self.counts("test_a (m.C.test_a) ... ok\ntest_b (m.C.test_b) ... skipped 'no busybox'\n", 0)
        self.assertEqual(out[-1], "COUNTS 1 1 1")
        self.assertIn("  FAIL: 1 python test(s) skipped", out)

    def test_a_crash_with_no_test_line_is_a_failure(self):
        # An import error: unittest exits 1 and names no test.
        log = "Traceback (most recent call last):\nImportError: No module named 'test_x'\n"
        self.assertEqual(self.counts(log, 1)[-1], "COUNTS 0 1 0")

    def test_the_real_unittest_output_is_counted(self):
        # The format, as this python prints it: a pass, a fail, an error, a failed subtest, a skip.
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "sample_tests.py"), "w") as f:
                f.write(textwrap.dedent("""\
                    import unittest
                    class T(unittest.TestCase):
                        def test_pass(self): pass
                        def test_fail(self): self.fail("no")
                        def test_error(self): raise OSError("x")
                        def test_sub(self):
                            for s in ("dash", "busybox"):
                                with self.subTest(shell=s):
                                    self.assertEqual(s, "dash")
                        @unittest.skip("none here")
                        def test_skip(self): pass
                    """))
            p = subprocess.run(["python3", "-m", "unittest", "-v", "sample_tests"], cwd=d, capture_output=True,
                               text=True, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
        out = self.counts(p.stdout + p.stderr, p.returncode)
        self.assertEqual(out[-1], "COUNTS 1 4 1")


class ClosingLine(unittest.TestCase):
    def closing(self, u, g):
        rc, out = bash(f"read -r upass ufail uskip <<<'{u}'; read -r gpass gfail gskip <<<'{g}'; closing_line")
        return rc, out[-1]

    def test_a_clean_run_passes(self):
        self.assertEqual(self.closing("40 0 0", "30 0 0"), (0, "70 passed, 0 failed, 0 skipped"))

    def test_guest_failures_fail_the_run(self):
        # Bug caught: the sum dropping the guest's failures.
        self.assertEqual(self.closing("40 0 0", "28 2 0"), (1, "68 passed, 2 failed, 0 skipped"))

    def test_host_failures_fail_the_run(self):
        self.assertEqual(self.closing("39 1 0", "30 0 0"), (1, "69 passed, 1 failed, 0 skipped"))

    def test_skips_are_summed(self):
        # A skip fails its own stage (counted there as a failure too); here it is only summed.
        self.assertEqual(self.closing("40 1 1", "29 1 1"), (1, "69 passed, 2 failed, 2 skipped"))


class FailFast(unittest.TestCase):
    SCRIPT = "upass=5 ufail={uf} uskip=0 gpass=0 gfail={gf} gskip=0; fail_fast style; echo went on"

    def test_unset_it_changes_nothing(self):
        self.assertEqual(bash(self.SCRIPT.format(uf=1, gf=0)), (0, ["went on"]))
        self.assertEqual(bash(self.SCRIPT.format(uf=1, gf=0), env={"INT3CALL_FAIL_FAST": "0"}), (0, ["went on"]))

    def test_set_it_goes_on_while_nothing_failed(self):
        self.assertEqual(bash(self.SCRIPT.format(uf=0, gf=0), env={"INT3CALL_FAIL_FAST": "1"}), (0, ["went on"]))

    def test_set_it_stops_after_a_failed_stage_with_the_closing_line(self):
        for uf, gf in ((1, 0), (0, 2)):
            with self.subTest(ufail=uf, gfail=gf):
                rc, out = bash(self.SCRIPT.format(uf=uf, gf=gf), env={"INT3CALL_FAIL_FAST": "1"})
                self.assertEqual(rc, 1)
                self.assertEqual(out, ["== INT3CALL_FAIL_FAST=1: stopping after the first failed stage (style)",
                                       f"5 passed, {uf + gf} failed, 0 skipped"])


if __name__ == "__main__":
    unittest.main()
