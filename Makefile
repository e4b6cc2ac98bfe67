# SPDX-License-Identifier: GPL-2.0
# int3call: top-level entry points.
#
#   make            build int3call.ko (against the cached test kernel, built on first use)
#   make check      host unit tests + KTAP selftests in a QEMU guest ("N passed, N failed, N skipped")
#   make check-debug  the selftests on the debug kernel (lockdep, KASAN, hung-task, ...)
#   make soak       100 unload-under-torture cycles (CYCLES=N)
#   make demo       boot the guest and show the mechanism at work
#   make vng        the selftests through the kernel's kselftest runner, in virtme-ng (TESTS="a.sh b.sh")
#   make kselftest-install  install the int3call kselftest target from the test kernel's tree (out/kselftest)
#   make verdicts   the torture's verdicts side by side: new/old signatures, every busted variant
#   make mutants    judge the tests: make check on each mutation of scripts/mutants.list
#   make model      the spin model of the int3 protocol (scripts/model/): each property, each mutant
#   make bench      the benchmark (icount guest): table printed, results/bench.md and .svg
#   make unit       host unit tests only
#   make KDIR=/path/to/your/rust-enabled/tree LLVM=1
#                   build against your own tree, as with the Rust-for-Linux out-of-tree template

KDIR ?=
LLVM ?= 1

ifneq ($(KDIR),)
all modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) LLVM=$(LLVM) modules
clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
else
all modules:
	scripts/build-module.sh
clean:
	rm -rf out results rust/host/target
endif

check:
	scripts/check.sh

check-debug:
	INT3CALL_FLAVOUR=debug scripts/check.sh

soak:
	scripts/soak.sh

demo:
	scripts/demo.sh

vng:
	TESTS="$(TESTS)" scripts/vng.sh

kselftest-install:
	scripts/kselftest-install.sh

bench:
	scripts/bench.sh

verdicts:
	scripts/demo.sh verdicts

mutants:
	scripts/mutants.py

model:
	scripts/model.sh

unit:
	cd rust/host && cargo test --offline

kernel:
	scripts/kernel.sh

.PHONY: all modules clean check check-debug soak demo vng kselftest-install bench verdicts mutants model unit kernel
