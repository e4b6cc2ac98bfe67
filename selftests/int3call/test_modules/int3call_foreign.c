// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only module: "another patcher" that owns an int3 at int3call's call site.
 *
 * It stands for a kprobe of another module, or kgdb: it plants its own int3 on byte 0 of
 * int3call_traced while that site holds its NOP5, and handles the hits itself in a die
 * notifier that runs *after* int3call's (priority 0 < INT_MAX - 1). int3call must leave these
 * int3s alone (NOTIFY_DONE): if it claimed them (rewound the CPU to the site), the CPU would
 * trap again forever and this handler would never count a hit.
 *
 * It pins int3call while loaded, so that int3call's text cannot go away under its int3, and
 * puts the NOP's first byte back on unload. Never loaded outside the selftests.
 *
 * It calls three non-exported kernel functions. On a kCFI or IBT kernel it must not call
 * them through a pointer (kCFI traps on the type hash, IBT on a sealed ENDBR), so each gets a
 * static call, bound to the looked-up address with static_call_update(): direct jumps only.
 */
#include <linux/kdebug.h>
#include <linux/kprobes.h>
#include <linux/memory.h>
#include <linux/module.h>
#include <linux/notifier.h>
#include <linux/smp.h>
#include <linux/static_call.h>
#include <asm/sync_core.h>
#include <asm/text-patching.h>

static unsigned long hits;
module_param(hits, ulong, 0400);
/* Which of int3call's sites gets the int3: its traced function, or a slot of its site table. */
static char *target = "int3call_traced";
module_param(target, charp, 0400);
MODULE_PARM_DESC(target, "the int3call function whose first byte gets the int3");
MODULE_PARM_DESC(hits, "int3 hits at int3call's site that this module handled");

static const u8 nop5[5] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };
static u8 *site;
static struct module *owner;
static struct mutex *poke_mutex;

/* Where each static call goes until it is bound: nowhere. */
static unsigned long unbound_lookup_name(const char *name) { return 0; }
static void *unbound_poke(void *addr, const void *opcode, size_t len) { return addr; }
static struct module *unbound_module_address(unsigned long addr) { return NULL; }
DEFINE_STATIC_CALL(foreign_lookup_name, unbound_lookup_name);
DEFINE_STATIC_CALL(foreign_poke, unbound_poke);
DEFINE_STATIC_CALL(foreign_module_address, unbound_module_address);

static void sync_one(void *info)
{
	sync_core();
}

static void write_byte(u8 byte)
{
	mutex_lock(poke_mutex);
	static_call(foreign_poke)(site, &byte, 1);
	mutex_unlock(poke_mutex);
	on_each_cpu(sync_one, NULL, 1);
}

static int foreign_notify(struct notifier_block *nb, unsigned long val, void *data)
{
	struct die_args *args = data;

	if (val != DIE_INT3 || user_mode(args->regs) || args->regs->ip - 1 != (unsigned long)site)
		return NOTIFY_DONE;
	hits++;
	/* The int3 stands for the NOP5 it covers: continue after it. */
	args->regs->ip = (unsigned long)site + sizeof(nop5);
	return NOTIFY_STOP;
}

static struct notifier_block foreign_nb = {
	.notifier_call = foreign_notify,
	.priority = 0,
};

static unsigned long lookup(const char *name)
{
	static bool bound;
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };

	if (!bound) {
		if (register_kprobe(&kp) < 0)
			return 0;
		if (kp.addr)
			static_call_update(foreign_lookup_name, (typeof(&unbound_lookup_name))kp.addr);
		unregister_kprobe(&kp);
		bound = true;
	}
	return static_call(foreign_lookup_name)(name);
}

static int __init foreign_init(void)
{
	unsigned long poke, module_address;
	int ret;

	site = (u8 *)lookup(target);
	poke = lookup("text_poke");
	poke_mutex = (struct mutex *)lookup("text_mutex");
	module_address = lookup("__module_address");
	if (!site || !poke || !poke_mutex || !module_address) {
		pr_err("int3call_foreign: int3call (or a kernel symbol) not found\n");
		return -ENOENT;
	}
	static_call_update(foreign_poke, (typeof(&unbound_poke))poke);
	static_call_update(foreign_module_address, (typeof(&unbound_module_address))module_address);
	preempt_disable();
	owner = static_call(foreign_module_address)((unsigned long)site);
	if (owner && !try_module_get(owner))
		owner = NULL;
	preempt_enable();
	if (!owner)
		return -ENOENT;
	if (memcmp(site, nop5, sizeof(nop5))) {
		pr_err("int3call_foreign: int3call's site is not at NOP5: %5ph\n", site);
		ret = -EBUSY;
		goto put;
	}
	ret = register_die_notifier(&foreign_nb);
	if (ret)
		goto put;
	write_byte(INT3_INSN_OPCODE);
	pr_info("int3call_foreign: int3 planted at %pS\n", site);
	return 0;
put:
	module_put(owner);
	return ret;
}

static void __exit foreign_exit(void)
{
	write_byte(nop5[0]);
	unregister_die_notifier(&foreign_nb);
	module_put(owner);
	pr_info("int3call_foreign: site restored after %lu hits\n", hits);
}

module_init(foreign_init);
module_exit(foreign_exit);
MODULE_DESCRIPTION("int3call selftest: a foreign int3 at int3call's call site");
MODULE_LICENSE("GPL");
