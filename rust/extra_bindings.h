/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Headers the kernel's own bindings_helper.h leaves out. Kbuild runs bindgen over this file
 * with the kernel's C flags, so struct layouts always match the tree we build against.
 */
#include <linux/ftrace.h>
#include <linux/kdebug.h>
#include <linux/kprobes.h>
#include <linux/static_call.h>
#include <asm/unwind.h>
