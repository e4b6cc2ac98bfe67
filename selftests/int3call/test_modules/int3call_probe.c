// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only module: tries to place a kprobe on the symbol `sym` at load, with the kprobes API
 * itself. Loading fails with register_kprobe()'s error when kprobes refuse the address (on
 * the blacklist: int3call's .kprobes.text), and succeeds when the probe was placed; unloading
 * removes it. tracefs's kprobe_events cannot serve here: it refuses every function without an
 * ftrace site ("notrace"), which is every Rust function, blacklisted or not.
 */
#include <linux/kprobes.h>
#include <linux/module.h>

static char *sym;
module_param(sym, charp, 0400);
MODULE_PARM_DESC(sym, "the symbol to place a kprobe on");

static struct kprobe kp;

static int __init probe_init(void)
{
	int ret;

	if (!sym)
		return -EINVAL;
	kp.symbol_name = sym;
	ret = register_kprobe(&kp);
	pr_info("int3call_probe: kprobe on %s: %d\n", sym, ret);
	return ret;
}

static void __exit probe_exit(void)
{
	unregister_kprobe(&kp);
}

module_init(probe_init);
module_exit(probe_exit);
MODULE_DESCRIPTION("int3call selftest: place a kprobe on a symbol, or fail to");
MODULE_LICENSE("GPL");
