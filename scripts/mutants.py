#!/usr/bin/env python3
"""`make mutants`: judge the tests. Applies each mutation of scripts/mutants.list, one at a
time, to a temporary copy of the sources, runs `make check` there, and prints which
mutations the tests killed and which survived. Not part of `make check` (about 100 s per
mutation on a warm cache). Usage: scripts/mutants.py [NAME...] (in that order)

check.sh runs with INT3CALL_FAIL_FAST=1: it stops after the first stage that counts a
failure, so a mutant the host tests kill costs seconds, not a guest run. Set
INT3CALL_FAIL_FAST=0 to run every stage on every mutant."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def mutations():
    with open(os.path.join(TOP, "scripts", "mutants.list")) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            name, path, old, new = line.split("\t", 3)
            yield name, path, old.replace("\\n", "\n"), new.replace("\\n", "\n")


def copy_tree(dest):
    files = subprocess.run(["git", "ls-files", "-z"], cwd=TOP, capture_output=True, check=True).stdout
    for rel in filter(None, files.decode().split("\0")):
        src = os.path.join(TOP, rel)
        if not os.path.exists(src):
            continue
        os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
        shutil.copy2(src, os.path.join(dest, rel))
    # Newer than any object of an earlier mutant: kbuild rebuilds everything.
    now = time.time()
    for root, _, names in os.walk(dest):
        for n in names:
            os.utime(os.path.join(root, n), (now, now))


# What the model stage reads (scripts/model.sh; rust/protocol.rs uses busted.rs and insn.rs). A
# mutant of anything else leaves the model's inputs as the baseline run had them, so the model
# is not run again for it. Skipping can only let a mutant reach later stages, never kill it.
MODEL_INPUTS = ("rust/protocol.rs", "rust/busted.rs", "rust/insn.rs", "rust/host/",
                "scripts/model.sh", "scripts/model/", "scripts/settings.sh", "scripts/sysroot.sh",
                "scripts/counting.sh", "scripts/check.sh")


def check(tree, path=None):
    env = dict(os.environ, INT3CALL_BUILD_TAG="-mutant", INT3CALL_GUEST_TIMEOUT="600",
               INT3CALL_FAIL_FAST=os.environ.get("INT3CALL_FAIL_FAST", "1"))
    if path is not None and not path.startswith(MODEL_INPUTS):
        env["INT3CALL_SKIP_MODEL"] = "1"
    try:
        p = subprocess.run(["scripts/check.sh"], cwd=tree, env=env, capture_output=True, text=True, timeout=2400)
        out, rc = p.stdout + p.stderr, p.returncode
    except subprocess.TimeoutExpired as e:
        out, rc = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or ""), 124
    closing = [l for l in out.splitlines() if re.match(r"^\d+ passed, \d+ failed", l)]
    fails = [l.strip() for l in out.splitlines() if re.match(r"^\s*(not ok|FAIL|test .* FAILED|.*\.\.\. (FAIL|ERROR)$)", l)]
    closing = closing[-1] if closing else "no closing line"
    # check.sh's fail-fast line: which stage killed the mutant.
    stopped = [m.group(1) for m in re.finditer(r"^== INT3CALL_FAIL_FAST=1: stopping after the first failed stage \((.*)\)$", out, re.M)]
    if stopped:
        closing += f", stopped after {stopped[-1]}"
    return rc, closing, fails


def run_one(name, path, old, new):
    with tempfile.TemporaryDirectory(prefix="int3call-mutant-") as tree:
        copy_tree(tree)
        if name:
            target = os.path.join(tree, path)
            text = open(target).read()
            if text.count(old) != 1:
                return "STALE", f"the text to mutate occurs {text.count(old)} times in {path}", []
            with open(target, "w") as f:
                f.write(text.replace(old, new))
        rc, closing, fails = check(tree, path)
        # Killed by a non-zero exit, or by a closing line that counts a failure: a mutant of
        # the harness may break the exit status itself (counting_fail_fast_exits_zero did).
        failed = re.match(r"^\d+ passed, (\d+) failed", closing)
        killed = rc != 0 or (failed is not None and int(failed.group(1)) > 0)
        return ("KILLED" if killed else "SURVIVED"), closing, fails


def main():
    # Named mutants run in the order given (the ones that matter most first, when time is short).
    by_name = {m[0]: m for m in mutations()}
    unknown = [n for n in sys.argv[1:] if n not in by_name]
    if unknown:
        print(f"no such mutant in scripts/mutants.list: {' '.join(unknown)}")
        return 1
    todo = [by_name[n] for n in sys.argv[1:]] if len(sys.argv) > 1 else list(by_name.values())
    verdict, closing, fails = run_one(None, None, None, None)
    print(f"baseline (no mutation): {'pass' if verdict == 'SURVIVED' else 'FAIL'}: {closing}", flush=True)
    if verdict != "SURVIVED":
        print("\n".join("  " + f for f in fails[:10]))
        print("the unmutated sources fail make check: fix that first")
        return 1
    counts = {"KILLED": 0, "SURVIVED": 0, "STALE": 0}
    for name, path, old, new in todo:
        start = time.time()
        verdict, closing, fails = run_one(name, path, old, new)
        counts[verdict] += 1
        print(f"{verdict:8} {name} ({path}; {closing}; {time.time() - start:.0f} s)", flush=True)
        for f in fails[:3]:
            print(f"           {f[:150]}")
    print(f"mutants: {counts['KILLED']} killed, {counts['SURVIVED']} survived, {counts['STALE']} stale")
    return 0 if counts["SURVIVED"] == 0 and counts["STALE"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
