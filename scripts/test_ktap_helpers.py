"""Host tests of the selftests' shell helpers: selftests/int3call/lib.sh and the KTAP helpers
of ktap_fallback.sh, which lib.sh sources where the kernel's ktap_helpers.sh is not beside it
(our busybox guest). A helper that lost a check's status would turn every failure into `ok`,
so each case runs a small test script that sources lib.sh, feeds it failing and passing
checks, a missing plan, too few or too many points, skips and a splat in a fake kernel log,
and checks the exact KTAP lines and the exit status (KSFT_PASS 0, KSFT_FAIL 1, KSFT_SKIP 4).

Every case runs under dash (the host's sh) and under busybox sh (what the guest runs; the
host gets busybox from scripts/host-deps.sh, or INT3CALL_BUSYBOX names one). The scripts see
a fake `dmesg` on PATH that prints the case's kernel log, and DBG points at a temporary
folder; nothing touches the host's kernel, modules or debugfs."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SELFTESTS = os.path.join(os.path.dirname(HERE), "selftests", "int3call")
GUEST_VERDICT = os.path.join(HERE, "guest-verdict.sh")
KSFT_PASS, KSFT_FAIL, KSFT_SKIP = 0, 1, 4
MARK = "int3call selftest t.sh pid 1 mark 1 0000"


# One kernel log line for each alternative of lib.sh's SPLAT_RE, and only that one (also
# the console lines test_guest_verdict.py feeds guest-verdict.sh, which reads the same regex).
SPLATS = [
    "Kernel panic - not syncing: Fatal exception",
    "WARNING: CPU: 1 PID: 7 at rust/site.rs:40 flip+0x1/0x2",
    "BUG: unable to handle page fault for address: 0000000000000000",
    "Oops: 0000 [#1] PREEMPT SMP NOPTI",
    "Call Trace:",
    "general protection fault, probably for non-canonical address 0xdead000000000100",
    "INFO: lockdep is turned off.",
    "KASAN: maybe wild-memory-access in range [0x0-0x7]",
    "int3call/42 is trying to acquire lock: possible recursive locking detected",
    "possible circular locking dependency detected",
    "inconsistent lock state",
    "suspicious RCU usage.",
    "sleeping function called from invalid context at kernel/locking/mutex.c:580",
    "INFO: task insmod:42 blocked for more than 122 seconds.",
    "watchdog: soft lockup - CPU#0 stuck for 22s! [int3call_tort:9]",
    "ODEBUG: free active (active state 0) object: 00000000c0ffee00 object type: timer_list",
]


def totals(p=0, f=0, s=0):
    return f"# Totals: pass:{p} fail:{f} xfail:0 xpass:0 skip:{s} error:0"


def splat_re():
    """lib.sh's SPLAT_RE, read as guest-verdict.sh reads it."""
    with open(os.path.join(SELFTESTS, "lib.sh")) as f:
        found = [m.group(1) for m in map(re.compile(r"^SPLAT_RE='(.*)'$").match, f) if m]
    assert len(found) == 1, f"lib.sh declares SPLAT_RE {len(found)} times"
    return found[0]


def busybox():
    return os.environ.get("INT3CALL_BUSYBOX") or shutil.which("busybox")


class Run:
    def __init__(self, rc, out, err):
        self.rc, self.lines, self.err = rc, out.splitlines(), err


class Helpers:
    """The cases; DashHelpers and BusyboxHelpers run them under each shell."""
    SHELL = None

    def shell(self):
        raise NotImplementedError

    def run_sh(self, body, klog="", dbg=None, kernel_helpers=None, stderr_ok=False):
        """Run BODY in a test script that sourced lib.sh, as selftests/int3call/NAME.sh do.
        KLOG: what the fake dmesg prints. DBG: {file: text} in the fake debugfs folder.
        KERNEL_HELPERS: a kselftest/ktap_helpers.sh to put beside int3call/."""
        with tempfile.TemporaryDirectory() as d:
            tests = os.path.join(d, "int3call")
            os.makedirs(tests)
            for f in ("lib.sh", "ktap_fallback.sh"):
                shutil.copy(os.path.join(SELFTESTS, f), tests)
            if kernel_helpers is not None:
                os.makedirs(os.path.join(d, "kselftest"))
                with open(os.path.join(d, "kselftest", "ktap_helpers.sh"), "w") as f:
                    f.write(kernel_helpers)
            os.makedirs(os.path.join(d, "bin"))
            with open(os.path.join(d, "bin", "dmesg"), "w") as f:
                f.write('#!/bin/sh\ncat "$FAKE_KLOG"\n')
            os.chmod(os.path.join(d, "bin", "dmesg"), 0o755)
            with open(os.path.join(d, "klog"), "w") as f:
                f.write(klog)
            os.makedirs(os.path.join(d, "dbg"))
            for name, text in (dbg or {}).items():
                with open(os.path.join(d, "dbg", name), "w") as f:
                    f.write(text)
            os.symlink("/dev/full", os.path.join(d, "dbg", "refuses"))
            script = os.path.join(tests, "t.sh")
            with open(script, "w") as f:
                f.write('. "$(dirname "$0")/lib.sh"\nDBG=$FAKE_DBG\n' + body)
            env = {k: v for k, v in os.environ.items() if not k.startswith(("INT3CALL_", "KSFT_", "KTAP_"))}
            env.update(PATH=os.path.join(d, "bin") + ":" + os.environ["PATH"], FAKE_KLOG=os.path.join(d, "klog"),
                       FAKE_DBG=os.path.join(d, "dbg"), INT3CALL_KO=os.path.join(d, "int3call.ko"))
            p = subprocess.run(self.shell() + [script], cwd=tests, env=env, capture_output=True, text=True, timeout=60)
            if not stderr_ok:
                self.assertEqual(p.stderr, "", "the script wrote to stderr")
            return Run(p.returncode, p.stdout, p.stderr)

    def assertRun(self, r, lines, rc):
        self.assertEqual((r.lines, r.rc), (lines, rc))

    # ktap_plan, ktap_check, ktap_ok, ktap_fail, ktap_finish

    def test_passing_checks_pass(self):
        r = self.run_sh('ktap_plan 3\nktap_check first true\nktap_check "second,  two * spaces" test 1 = 1\n'
                        'ktap_ok "third" "in parts"\nktap_finish\necho not reached\n')
        self.assertRun(r, ["TAP version 13", "1..3", "ok 1 first", "ok 2 second,  two * spaces", "ok 3 third in parts",
                           totals(p=3)], KSFT_PASS)

    def test_a_failing_check_fails(self):
        # Bug caught: ktap_check printing ok whatever its command returned.
        r = self.run_sh("ktap_plan 3\nktap_check first true\nktap_check second false\nktap_check third true\nktap_finish\n")
        self.assertRun(r, ["TAP version 13", "1..3", "ok 1 first", "not ok 2 second", "ok 3 third", totals(p=2, f=1)],
                       KSFT_FAIL)

    def test_a_check_keeps_its_commands_status_and_arguments(self):
        # A shell function (as the selftests' check()), a status other than 1, a missing command;
        # the first two made by `each` from a case list, which also gives the plan its length.
        r = self.run_sh('is_x() { test "$1" = x; }\ncheck_x() { ktap_check "$1 is x" is_x "$1"; }\nL="x\ny"\n'
                        'ktap_plan $(( $(count_lines "$L") + 3 ))\neach check_x "$L"\n'
                        'ktap_check "exit 2" sh -c "exit 2"\nktap_check "no such command" int3call_no_such_command\n'
                        'ktap_check "an argument with spaces" test "a b" = "a b"\nktap_finish\n', stderr_ok=True)
        self.assertRun(r, ["TAP version 13", "1..5", "ok 1 x is x", "not ok 2 y is x", "not ok 3 exit 2",
                           "not ok 4 no such command", "ok 5 an argument with spaces", totals(p=2, f=3)], KSFT_FAIL)

    def test_ktap_fail_fails(self):
        # Bug caught: ktap_test_fail printing "ok", or not counting the failure.
        r = self.run_sh('ktap_plan 2\nktap_ok "a"\nktap_fail "b" "in parts"\nktap_finish\n')
        self.assertRun(r, ["TAP version 13", "1..2", "ok 1 a", "not ok 2 b in parts", totals(p=1, f=1)], KSFT_FAIL)

    def test_a_missing_plan_fails(self):
        r = self.run_sh("ktap_check first true\nktap_finish\n")
        self.assertRun(r, ["ok 1 first", totals(p=1)], KSFT_FAIL)

    def test_fewer_points_than_planned_fail(self):
        # A test that stopped half way with every printed point ok.
        r = self.run_sh("ktap_plan 3\nktap_check first true\nktap_check second true\nktap_finish\n")
        self.assertRun(r, ["TAP version 13", "1..3", "ok 1 first", "ok 2 second", totals(p=2)], KSFT_FAIL)

    def test_more_points_than_planned_fail(self):
        r = self.run_sh("ktap_plan 1\nktap_check first true\nktap_check second true\nktap_finish\n")
        self.assertRun(r, ["TAP version 13", "1..1", "ok 1 first", "ok 2 second", totals(p=2)], KSFT_FAIL)

    def test_more_points_than_planned_with_a_failure_fail_in_the_verdict(self):
        # The kernel's ktap_finished passes when pass + skip equals the plan, and so does ours:
        # 2 passes + 1 failure against a plan of 2 exits KSFT_PASS. The "not ok" line and the
        # point count are what fail it, in guest-verdict.sh.
        r = self.run_sh("ktap_plan 2\nktap_check a true\nktap_check b true\nktap_check c false\nktap_finish\n")
        self.assertRun(r, ["TAP version 13", "1..2", "ok 1 a", "ok 2 b", "not ok 3 c", totals(p=2, f=1)], KSFT_PASS)
        rc, last = guest_verdict([r])
        self.assertNotEqual(rc, 0)
        # At least the failed point and the point count (guest-verdict.sh counts a problem
        # found by its awk twice: there and in its list of problems).
        self.assertRegex(last, r"^guest: 2 passed, [2-9] failed, 0 skipped$")

    # skips, skip_all, die, ktap_diag

    def test_a_skipped_point_is_marked_skip(self):
        # Bug caught: a skip printed as a plain ok, which guest-verdict.sh would count as a pass.
        r = self.run_sh('ktap_plan 2\nktap_check first true\nktap_skip second "no foo here"\nktap_finish\n')
        self.assertRun(r, ["TAP version 13", "1..2", "ok 1 first", "# second: no foo here", "ok 2 second # SKIP",
                           totals(p=1, s=1)], KSFT_PASS)
        rc, last = guest_verdict([r])
        self.assertNotEqual(rc, 0)
        self.assertEqual(last, "guest: 1 passed, 1 failed, 1 skipped")

    def test_a_skip_does_not_hide_a_failure(self):
        r = self.run_sh("ktap_plan 2\nktap_skip first why\nktap_check second false\nktap_finish\n")
        self.assertRun(r, ["TAP version 13", "1..2", "# first: why", "ok 1 first # SKIP", "not ok 2 second",
                           totals(f=1, s=1)], KSFT_FAIL)

    def test_skip_all_exits_skip(self):
        r = self.run_sh('skip_all "module not found"\necho not reached\n')
        self.assertRun(r, ["TAP version 13", "1..0 # SKIP module not found"], KSFT_SKIP)

    def test_die_fails_at_once(self):
        r = self.run_sh('ktap_plan 2\nktap_check first true\ndie "insmod failed"\nktap_check second true\nktap_finish\n')
        self.assertRun(r, ["TAP version 13", "1..2", "ok 1 first", "# error: insmod failed"], KSFT_FAIL)

    def test_diag_prints_its_words_as_given(self):
        # The kernel's ktap_print_msg expands globs; ours must not (lib.sh, ktap_diag).
        r = self.run_sh('ktap_diag "a * b" "?"\n')
        self.assertRun(r, ["# a * b ?"], KSFT_PASS)

    def test_the_kernels_helpers_are_used_where_they_are(self):
        # In a kernel tree or a kselftest install, kselftest/ktap_helpers.sh is beside int3call/.
        fake = ('KSFT_PASS=0 KSFT_FAIL=1 KSFT_SKIP=4\nktap_print_header() { echo "KTAP version 1 (the kernel\'s)"; }\n'
                'ktap_set_plan() { echo "1..$1 (the kernel\'s)"; }\n')
        r = self.run_sh("ktap_plan 1\n", kernel_helpers=fake)
        self.assertRun(r, ["KTAP version 1 (the kernel's)", "1..1 (the kernel's)"], KSFT_PASS)

    # the kernel log: klog_since, splats, ktap_check_no_splat

    def splat_run(self, klog):
        return self.run_sh(f'_test_mark="{MARK}"\nktap_plan 1\nktap_check_no_splat\nktap_finish\n', klog=klog)


    def test_a_clean_log_passes(self):
        r = self.splat_run(f"[1.0] {MARK}\n[1.1] int3call: loaded; warnings: none, bugs: none\n")
        self.assertRun(r, ["TAP version 13", "1..1", "ok 1 dmesg has no splat", totals(p=1)], KSFT_PASS)

    def test_every_kind_of_splat_fails(self):
        # Bug caught: the splat pattern never matching, or one of its detectors dropped.
        self.assertEqual(len(SPLATS), len(splat_re().split("|")), "one line in SPLATS per alternative of SPLAT_RE")
        for splat in SPLATS:
            with self.subTest(splat=splat):
                r = self.splat_run(f"[1.0] {MARK}\n[1.1] int3call: loaded\n[1.2] {splat}\n[1.3] int3call: unloaded\n")
                self.assertRun(r, ["TAP version 13", "1..1", "not ok 1 dmesg has no splat", f"# [1.2] {splat}",
                                   totals(f=1)], KSFT_FAIL)

    def test_a_splat_before_the_tests_mark_is_not_its_own(self):
        # The log is shared and never cleared: only what came after the test's canary counts.
        r = self.splat_run(f"[0.5] {SPLATS[0]}\n[1.0] {MARK}\n[1.1] int3call: loaded\n")
        self.assertRun(r, ["TAP version 13", "1..1", "ok 1 dmesg has no splat", totals(p=1)], KSFT_PASS)

    def test_klog_since_prints_what_came_after_the_mark(self):
        r = self.run_sh('klog_since "mark 2"\necho --\n_mark="mark 1"\nklog\n',
                        klog="a\nx mark 1 y\nb\nx mark 2 y\nc\n")
        self.assertRun(r, ["c", "--", "b", "x mark 2 y", "c"], KSFT_PASS)

    # debugfs: dbg_get, dbg_write, site_is, busy_is, calls_give; wait_for

    MODE = "state: custom\nsite_ok: yes\nsite: e8 00 00 00 00\nbusy: no\n"

    def test_dbg_get_reads_one_key_exactly(self):
        # Bug caught: "site" matching "site_ok: yes" too.
        r = self.run_sh('echo "[$(dbg_get mode state)] [$(dbg_get mode site)] [$(dbg_get mode missing)]"\n',
                        dbg={"mode": self.MODE})
        self.assertRun(r, ["[custom] [e8 00 00 00 00] []"], KSFT_PASS)

    def test_dbg_write_writes_and_reports_a_refusal(self):
        # Bug caught: a write the kernel refused (here /dev/full's ENOSPC) reported as done, or
        # dbg_refuses, the selftests' check of a refusal, passing a write that was done.
        r = self.run_sh('dbg_write call 10; echo "rc=$? [$(cat "$DBG/call")]"\ndbg_write refuses 10; echo "rc=$?"\n'
                        'dbg_refuses call 11; echo "rc=$?"\ndbg_refuses refuses 11; echo "rc=$?"\n')
        self.assertRun(r, ["rc=0 [10]", "rc=1", "rc=1", "rc=0"], KSFT_PASS)

    def test_site_is_and_busy_is(self):
        r = self.run_sh('for s in custom nop; do site_is $s && echo "site $s" || echo "not $s"; done\n'
                        'busy_is no && echo "not busy"; busy_is torture || echo "not torture"\n'
                        'sed -i "s/site_ok: yes/site_ok: no/" "$DBG/mode"; site_is custom || echo "custom, site not ok"\n',
                        dbg={"mode": self.MODE})
        self.assertRun(r, ["site custom", "not nop", "not busy", "not torture", "custom, site not ok"], KSFT_PASS)

    def test_calls_give_checks_the_write_the_split_and_corruption(self):
        # dbg_write is replaced (a regular file cannot answer a write as debugfs does): it
        # records the write, and fails when $refuse is set.
        body = ('dbg_write() { echo "$1 <- $2" >>"$DBG/writes"; [ -z "$refuse" ]; }\nrefuse=\n'
                't() { printf "v1: %s\\nv2: %s\\ncorrupt: %s\\n" "$1" "$2" "$3" >"$DBG/call"; shift 3\n'
                '      calls_give "$@" && echo "yes $*" || echo "no $*"; }\n'
                't 0 10 0 10 0 10\nt 0 10 0 10 10 0\nt 0 10 1 10 0 10\nt 3 7 0 10 3 7\n'
                'refuse=1; t 0 10 0 10 0 10\ncat "$DBG/writes"\n')
        r = self.run_sh(body)
        self.assertRun(r, ["yes 10 0 10", "no 10 10 0", "no 10 0 10", "yes 10 3 7", "no 10 0 10"]
                       + ["call <- 10"] * 5, KSFT_PASS)

    def test_wait_for_polls_then_gives_up(self):
        # sleep is replaced so that the 30 s limit (300 polls) takes no time.
        body = ('sleep() { :; }\nn=0; third() { n=$((n + 1)); [ $n -ge 3 ]; }\nwait_for third; echo "rc=$? tries=$n"\n'
                'n=0; never() { n=$((n + 1)); false; }\nwait_for never; echo "rc=$? tries=$n"\n')
        r = self.run_sh(body)
        self.assertRun(r, ["rc=0 tries=3", "rc=1 tries=301"], KSFT_PASS)


def run_runner(shell, env_extra):
    """Run run_tests.sh over two tests, t1.sh failing and t2.sh passing: (exit status, stdout)."""
    with tempfile.TemporaryDirectory() as d:
        shutil.copy(os.path.join(SELFTESTS, "run_tests.sh"), d)
        with open(os.path.join(d, "Makefile"), "w") as f:
            f.write("TEST_PROGS := \\\n\tt1.sh \\\n\tt2.sh\n")
        with open(os.path.join(d, "settings"), "w") as f:
            f.write("timeout=30\n")
        for name, rc in (("t1.sh", 1), ("t2.sh", 0)):
            with open(os.path.join(d, name), "w") as f:
                f.write(f"#!/bin/sh\necho '1..1'\necho '{'not ok' if rc else 'ok'} 1 {name}'\nexit {rc}\n")
            os.chmod(os.path.join(d, name), 0o755)
        env = {k: v for k, v in os.environ.items() if not k.startswith("int3call_")}
        env.update(env_extra)
        p = subprocess.run(shell + [os.path.join(d, "run_tests.sh")], capture_output=True, text=True, env=env)
        return p.returncode, p.stdout


class Runner:
    """run_tests.sh: every planned test runs, unless the command line says int3call_failfast=1
    (make mutants), which stops after the first failed one."""

    def test_runs_every_test(self):
        rc, out = run_runner(self.shell(), {})
        self.assertNotEqual(rc, 0)
        self.assertIn("not ok 1 selftests: int3call: t1.sh # exit=1", out)
        self.assertIn("ok 2 selftests: int3call: t2.sh", out)

    def test_failfast_stops_after_the_first_failure(self):
        rc, out = run_runner(self.shell(), {"int3call_failfast": "1"})
        self.assertNotEqual(rc, 0)
        self.assertIn("1..2", out)
        self.assertIn("# int3call_failfast=1: stopping after t1.sh", out)
        self.assertNotIn("t2.sh", out.split("stopping after t1.sh")[1])

    def test_omit_leaves_a_test_out_of_the_plan(self):
        rc, out = run_runner(self.shell(), {"int3call_omit": "t1"})
        self.assertEqual((rc, "1..1" in out, "t1.sh" in out), (0, True, False))


def guest_verdict(runs):
    """Nest each test's output as our runner (run_tests.sh) does and judge it with
    guest-verdict.sh: (exit status, its last line)."""
    body = f"TAP version 13\n1..{len(runs)}\n"
    for i, r in enumerate(runs, 1):
        body += f"# selftests: int3call: t{i}.sh\n" + "".join(f"    {l}\n" for l in r.lines)
        body += {0: f"ok {i} selftests: int3call: t{i}.sh\n", 4: f"ok {i} selftests: int3call: t{i}.sh # SKIP\n"}.get(
            r.rc, f"not ok {i} selftests: int3call: t{i}.sh # exit={r.rc}\n")
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "t.out"), "w") as f:
            f.write(body + "INT3CALL-GUEST-DONE rc=0\n")
        open(os.path.join(d, "t.console"), "w").close()
        env = {k: v for k, v in os.environ.items() if k != "INT3CALL_EXPECT_TESTS"}
        p = subprocess.run(["bash", GUEST_VERDICT, "t", "0", d], capture_output=True, text=True, env=env)
        return p.returncode, p.stdout.strip().splitlines()[-1]


class DashHelpers(Helpers, Runner, unittest.TestCase):
    def shell(self):
        return ["dash"]


class BusyboxHelpers(Helpers, Runner, unittest.TestCase):
    def shell(self):
        bb = busybox()
        if not bb:
            self.fail("no busybox on the host: scripts/host-deps.sh installs it (or set INT3CALL_BUSYBOX)")
        return [bb, "sh"]


if __name__ == "__main__":
    unittest.main()
