// SPDX-License-Identifier: GPL-2.0
//! The traced function, its live-patch replacement, the trampolines and the emulation stubs,
//! in assembly, because their bytes and stack layout are the subject of the test.
//!
//! * `int3call_traced(x)`: bytes 0..4 are the patch site (NOP5 at rest, like an `-mfentry`
//!   site), then the original body v1, which returns `x + V1_TAG`. The live patch sends calls
//!   to `int3call_traced_v2`, which returns `x + V2_TAG`; the result tells v1 from v2 and also
//!   shows that the argument survived the trampoline.
//! * Trampolines save a full `struct pt_regs` (offsets from the kernel's own bindings), call
//!   Rust with a 16-byte-aligned stack, restore, and return to `regs->ip`, which a callback
//!   may have changed: `ftrace_regs_caller`'s contract. One custom trampoline per callback
//!   calls it directly; the iterator trampoline calls `int3call_iterate`.
//! * No-regs trampolines, one per callback, save only the argument registers (and rax, as
//!   `ftrace_caller` does): the C ABI makes the callee keep the others. They call the callback
//!   with a null `regs` and return where they were called from: `ftrace_caller`'s contract.
//! * Direct entries, one per callback, only count the call and preserve every register, so
//!   that a site may call one with no trampoline (a static call's, or an ftrace direct call's,
//!   fast path). Only the probes allow it (`policy::FASTEST`).
//! * What a site calls (a trampoline or a direct entry) is its *callee* (`callee()`).
//! * Emulation stubs, 16 bytes apart, one per (emulation, target): count the hit, then act as the
//!   target (jump to a trampoline, or return = NOP). An int3 hit is emulated as a call to a
//!   stub, on both engines, so every emulated call is counted exactly, by emulation.

use crate::{
    callbacks,
    policy,
    sites,
    stats::Counter, //
};
use core::mem::{
    offset_of,
    size_of, //
};
use kernel::bindings::pt_regs;

pub(crate) use crate::sites::{
    V1_TAG,
    V2_TAG, //
};

/// What `int3call_traced_checked` puts in the callee-saved registers (plus 1..6).
const CANARY: u64 = 0x1c3c_a11e_d5a7_0000;

/// Hits per emulation stub, indexed by `policy::stub_index`; bumped by the stubs themselves.
pub(crate) static EMUL_COUNTS: [Counter; policy::STUBS] = [const { Counter::new() }; policy::STUBS];

// The iret frame order (ip, cs, flags, sp, ss) is the hardware's; cs and ss are unions in
// the bindings, so they are addressed from their neighbours.
const _: () = assert!(offset_of!(pt_regs, flags) == offset_of!(pt_regs, ip) + 16);
const _: () = assert!(offset_of!(pt_regs, sp) == offset_of!(pt_regs, ip) + 24);
const _: () = assert!(size_of::<Counter>() == 8);

core::arch::global_asm!(
    // In .kprobes.text: a kprobe on the site, a trampoline or a stub would plant an int3
    // that races with our own flips' int3s (the module loader blacklists this section).
    ".pushsection .kprobes.text, \"ax\"",
    // ---- the traced function and its replacement ------------------------------------
    ".p2align 4",
    ".globl int3call_traced",
    ".type int3call_traced, @function",
    "int3call_traced:",
    annotate_noendbr!(),
    // The patch site: an inline static-call site of our key (objtool lists it in
    // `.static_call_sites`), which the kernel turns into a NOP5 at load, since the key has no
    // function: at rest it is the NOP an `-mfentry` site holds.
    "    call __SCT__int3call_traced",
    // Rust computes the site's end (a call's rel32 is relative to it), and the compiler may
    // fold that into a reference to this address: to objtool, one more address taken.
    annotate_noendbr!(),
    "    lea rax, [rdi + {v1}]",
    asm_ret!(),
    ".size int3call_traced, . - int3call_traced",
    ".p2align 4",
    ".globl int3call_traced_v2",
    ".type int3call_traced_v2, @function",
    "int3call_traced_v2:",
    annotate_noendbr!(),
    "    lea rax, [rdi + {v2}]",
    asm_ret!(),
    ".size int3call_traced_v2, . - int3call_traced_v2",
    // The table of sites, entries 1..SITES (`sites.rs`), right after entry 0 so that a batch
    // that holds entry 0 is in ascending address order. Slot k (entry k) is a function: its
    // site, then v1 returning `x + V1_TAG + k * TAG`; its v2, `x + V2_TAG + k * TAG`, starts
    // `V2_OFFSET` bytes in. Only direct calls reach a slot (`int3call_sweep`).
    ".macro INT3CALL_SLOT k",
    ".p2align 6",
    ".globl int3call_site_\\k",
    ".type int3call_site_\\k, @function",
    "int3call_site_\\k:",
    annotate_noendbr!(),
    "    .byte 0x0f, 0x1f, 0x44, 0x00, 0x00",
    "    lea rax, [rdi + {v1} + \\k * {tag}]",
    asm_ret!(),
    ".size int3call_site_\\k, . - int3call_site_\\k",
    ".p2align 5",
    ".type int3call_site_\\k\\()_v2, @function",
    "int3call_site_\\k\\()_v2:",
    "    lea rax, [rdi + {v2} + \\k * {tag}]",
    asm_ret!(),
    ".size int3call_site_\\k\\()_v2, . - int3call_site_\\k\\()_v2",
    ".endm",
    ".altmacro",
    ".set int3call_k, 1",
    ".rept {table_slots}",
    "INT3CALL_SLOT %int3call_k",
    ".set int3call_k, int3call_k + 1",
    ".endr",
    ".noaltmacro",
    ".purgem INT3CALL_SLOT",
    ".p2align 6",
    "int3call_site_table_end:",
    // Calls entries 1..=rdx of the table in order with the argument rdi, and stores entry k's
    // result at rsi[k - 1]: one direct call per entry, unrolled, so no indirect call (and no
    // kCFI type hash or ENDBR) is needed to reach thousands of sites.
    ".macro INT3CALL_SWEEP_STEP k",
    "    mov rdi, rbx",
    "    call int3call_site_\\k",
    "    mov [r12 + 8 * (\\k - 1)], rax",
    "    dec r13",
    "    jz 9f",
    ".endm",
    ".p2align 4",
    ".globl int3call_sweep",
    ".type int3call_sweep, @function",
    "int3call_sweep:",
    "    push rbx",
    "    push r12",
    "    push r13",
    "    mov rbx, rdi",
    "    mov r12, rsi",
    "    mov r13, rdx",
    "    test r13, r13",
    "    jz 9f",
    ".altmacro",
    ".set int3call_k, 1",
    ".rept {table_slots}",
    "INT3CALL_SWEEP_STEP %int3call_k",
    ".set int3call_k, int3call_k + 1",
    ".endr",
    ".noaltmacro",
    ".purgem INT3CALL_SWEEP_STEP",
    "9:  pop r13",
    "    pop r12",
    "    pop rbx",
    asm_ret!(),
    ".size int3call_sweep, . - int3call_sweep",
    // The traced function whose site ftrace owns (engine `ftrace`): a `call __fentry__`,
    // which objtool turns into a NOP5 and lists in `__mcount_loc`, as the compiler's
    // `-mfentry` does for C. Its body is v1's.
    ".p2align 4",
    ".globl int3call_ftraced",
    ".type int3call_ftraced, @function",
    "int3call_ftraced:",
    annotate_noendbr!(),
    "    call __fentry__",
    annotate_noendbr!(),
    "    lea rax, [rdi + {v1}]",
    asm_ret!(),
    ".size int3call_ftraced, . - int3call_ftraced",
    // The floor of a direct call: v1's body behind a direct call to probe1's direct entry
    // that the assembler wrote, not a flip.
    ".p2align 4",
    ".globl int3call_plain_direct",
    ".type int3call_plain_direct, @function",
    "int3call_plain_direct:",
    "    call int3call_direct_probe1",
    "    lea rax, [rdi + {v1}]",
    asm_ret!(),
    ".size int3call_plain_direct, . - int3call_plain_direct",
    // The benchmarks' baseline: v1's body with no site in front of it.
    ".p2align 4",
    ".globl int3call_plain",
    ".type int3call_plain, @function",
    "int3call_plain:",
    "    lea rax, [rdi + {v1}]",
    asm_ret!(),
    ".size int3call_plain, . - int3call_plain",
    // ---- benchmark loops: `fn(n) -> sum of f(x) for x = n..1`, the same few instructions
    // around each call whatever f is (a compiled loop's shape would vary with f)
    ".macro INT3CALL_BENCH_LOOP name, callee",
    ".p2align 4",
    ".globl \\name",
    ".type \\name, @function",
    "\\name:",
    "    push rbx",
    "    push r12",
    "    mov rbx, rdi",
    "    xor r12d, r12d",
    "    test rbx, rbx",
    "    jz 8f",
    "7:  mov rdi, rbx",
    "    call \\callee",
    "    add r12, rax",
    "    dec rbx",
    "    jnz 7b",
    "8:  mov rax, r12",
    "    pop r12",
    "    pop rbx",
    asm_ret!(),
    ".size \\name, . - \\name",
    ".endm",
    // Calls the traced function with a canary in every callee-saved register and checks them
    // after: a trampoline that clobbers one breaks the caller's state silently, and the C ABI
    // says none may. On a changed one it returns `x` itself, which no body returns (a
    // `corrupt` result).
    ".p2align 4",
    ".globl int3call_traced_checked",
    ".type int3call_traced_checked, @function",
    "int3call_traced_checked:",
    "    push rbx",
    "    push rbp",
    "    push r12",
    "    push r13",
    "    push r14",
    "    push r15",
    "    push rdi",
    "    movabs rbx, {canary} + 1",
    "    movabs rbp, {canary} + 2",
    "    movabs r12, {canary} + 3",
    "    movabs r13, {canary} + 4",
    "    movabs r14, {canary} + 5",
    "    movabs r15, {canary} + 6",
    "    call int3call_traced",
    "    movabs r11, {canary} + 1",
    "    cmp rbx, r11",
    "    jne 1f",
    "    inc r11",
    "    cmp rbp, r11",
    "    jne 1f",
    "    inc r11",
    "    cmp r12, r11",
    "    jne 1f",
    "    inc r11",
    "    cmp r13, r11",
    "    jne 1f",
    "    inc r11",
    "    cmp r14, r11",
    "    jne 1f",
    "    inc r11",
    "    cmp r15, r11",
    "    je 2f",
    "1:  mov rax, [rsp]",
    "2:  add rsp, 8",
    "    pop r15",
    "    pop r14",
    "    pop r13",
    "    pop r12",
    "    pop rbp",
    "    pop rbx",
    asm_ret!(),
    ".size int3call_traced_checked, . - int3call_traced_checked",
    "INT3CALL_BENCH_LOOP int3call_loop_plain, int3call_plain",
    "INT3CALL_BENCH_LOOP int3call_loop_plain_direct, int3call_plain_direct",
    "INT3CALL_BENCH_LOOP int3call_loop_traced, int3call_traced",
    "INT3CALL_BENCH_LOOP int3call_loop_ftraced, int3call_ftraced",
    ".purgem INT3CALL_BENCH_LOOP",
    // ---- trampolines ------------------------------------------------------------------
    ".macro INT3CALL_TRAMPOLINE name, callee",
    ".p2align 4",
    ".globl \\name",
    ".type \\name, @function",
    "\\name:",
    annotate_noendbr!(),
    "    push rbp",
    "    mov rbp, rsp",
    "    sub rsp, {regs_size}",
    "    and rsp, -16",
    "    mov [rsp + {r15}], r15",
    "    mov [rsp + {r14}], r14",
    "    mov [rsp + {r13}], r13",
    "    mov [rsp + {r12}], r12",
    "    mov [rsp + {bx}], rbx",
    "    mov [rsp + {r11}], r11",
    "    mov [rsp + {r10}], r10",
    "    mov [rsp + {r9}], r9",
    "    mov [rsp + {r8}], r8",
    "    mov [rsp + {ax}], rax",
    "    mov [rsp + {cx}], rcx",
    "    mov [rsp + {dx}], rdx",
    "    mov [rsp + {si}], rsi",
    "    mov [rsp + {di}], rdi",
    "    mov rax, [rbp]",
    "    mov [rsp + {bp}], rax",
    "    mov qword ptr [rsp + {orig_ax}], -1",
    "    mov rax, [rbp + 8]", // return address: the instruction after the site
    "    mov [rsp + {ip}], rax",
    "    mov qword ptr [rsp + {ip} + 8], {kernel_cs}",
    "    pushfq",
    "    pop qword ptr [rsp + {flags}]",
    "    lea rax, [rbp + 16]", // sp as it was at the site
    "    mov [rsp + {sp}], rax",
    "    mov qword ptr [rsp + {sp} + 8], {kernel_ds}",
    "    mov rdi, rsp",
    "    call \\callee",
    "    mov rax, [rsp + {ip}]", // honour a changed regs->ip (the live patch)
    "    mov [rbp + 8], rax",
    "    mov r15, [rsp + {r15}]",
    "    mov r14, [rsp + {r14}]",
    "    mov r13, [rsp + {r13}]",
    "    mov r12, [rsp + {r12}]",
    "    mov rbx, [rsp + {bx}]",
    "    mov r11, [rsp + {r11}]",
    "    mov r10, [rsp + {r10}]",
    "    mov r9, [rsp + {r9}]",
    "    mov r8, [rsp + {r8}]",
    "    mov rcx, [rsp + {cx}]",
    "    mov rdx, [rsp + {dx}]",
    "    mov rsi, [rsp + {si}]",
    "    mov rdi, [rsp + {di}]",
    "    mov rax, [rsp + {ax}]",
    "    mov rsp, rbp",
    "    pop rbp",
    asm_ret!(),
    ".size \\name, . - \\name",
    ".endm",
    // One custom trampoline per callback, named after it (`policy::CALLBACKS` order).
    ".irp name, livepatch, counter, probe1, probe2, probe3, probe4, probe5, probe6",
    "INT3CALL_TRAMPOLINE int3call_tramp_\\name, int3call_\\name",
    ".endr",
    "INT3CALL_TRAMPOLINE int3call_tramp_iterator, int3call_iterate",
    ".purgem INT3CALL_TRAMPOLINE",
    // ---- no-regs trampolines: what the callee may clobber and the traced function still
    // needs (its arguments; rax, as ftrace_caller keeps it), and nothing more. No realignment:
    // the kernel's C keeps the stack 8-byte aligned (-mstack-alignment=8), and calls Rust
    // that way everywhere; ftrace_caller does not realign either.
    ".macro INT3CALL_NOREGS name, callee",
    ".p2align 4",
    ".globl \\name",
    ".type \\name, @function",
    "\\name:",
    annotate_noendbr!(),
    "    push rdi",
    "    push rsi",
    "    push rdx",
    "    push rcx",
    "    push r8",
    "    push r9",
    "    push rax",
    "    xor edi, edi", // no regs on this path
    "    call \\callee",
    "    pop rax",
    "    pop r9",
    "    pop r8",
    "    pop rcx",
    "    pop rdx",
    "    pop rsi",
    "    pop rdi",
    asm_ret!(),
    ".size \\name, . - \\name",
    ".endm",
    ".irp name, livepatch, counter, probe1, probe2, probe3, probe4, probe5, probe6",
    "INT3CALL_NOREGS int3call_noregs_\\name, int3call_\\name",
    ".endr",
    ".purgem INT3CALL_NOREGS",
    // ---- direct entries: count the call, touch no register (`lock inc` changes only the
    // flags, which no function expects to keep across a call).
    ".macro INT3CALL_DIRECT name, index",
    ".p2align 4",
    ".globl int3call_direct_\\name",
    ".type int3call_direct_\\name, @function",
    "int3call_direct_\\name:",
    annotate_noendbr!(),
    "    lock inc qword ptr [rip + {hits} + 8 * \\index]",
    asm_ret!(),
    ".size int3call_direct_\\name, . - int3call_direct_\\name",
    ".endm",
    "INT3CALL_DIRECT livepatch, 0",
    "INT3CALL_DIRECT counter, 1",
    "INT3CALL_DIRECT probe1, 2",
    "INT3CALL_DIRECT probe2, 3",
    "INT3CALL_DIRECT probe3, 4",
    "INT3CALL_DIRECT probe4, 5",
    "INT3CALL_DIRECT probe5, 6",
    "INT3CALL_DIRECT probe6, 7",
    ".purgem INT3CALL_DIRECT",
    // ---- emulation stubs: (emulation p, flip to state kind k, target t) at
    // int3call_emul_stubs + 16 * ((p * {modes} + k) * {targets} + t)
    ".macro INT3CALL_STUB p, k, t, to",
    ".p2align 4",
    // Each stub is a function of its own: reached only by emulated calls, objtool would
    // otherwise call every one after the first unreachable.
    ".type int3call_emul_p\\p\\()_k\\k\\()_t\\t, @function",
    "int3call_emul_p\\p\\()_k\\k\\()_t\\t:",
    "    lock inc qword ptr [rip + {emul_counts} + 8 * ((\\p * {modes} + \\k) * {targets} + \\t)]",
    // No target: the skip (a NOP acts as a plain return).
    ".ifb \\to",
    asm_ret!(),
    ".else",
    "    jmp \\to",
    ".endif",
    ".size int3call_emul_p\\p\\()_k\\k\\()_t\\t, . - int3call_emul_p\\p\\()_k\\k\\()_t\\t",
    ".endm",
    // A row: the stubs of one (emulation, state kind), by target (`policy::STUB_TARGETS`).
    // (Macros, because LLVM's assembler does not substitute the middle one of three nested
    // `.irp`s.)
    ".macro INT3CALL_STUB_ROW p, k",
    "INT3CALL_STUB \\p, \\k, 0, int3call_tramp_livepatch",
    "INT3CALL_STUB \\p, \\k, 1, int3call_tramp_counter",
    "INT3CALL_STUB \\p, \\k, 2, int3call_tramp_probe1",
    "INT3CALL_STUB \\p, \\k, 3, int3call_tramp_probe2",
    "INT3CALL_STUB \\p, \\k, 4, int3call_tramp_probe3",
    "INT3CALL_STUB \\p, \\k, 5, int3call_tramp_probe4",
    "INT3CALL_STUB \\p, \\k, 6, int3call_tramp_probe5",
    "INT3CALL_STUB \\p, \\k, 7, int3call_tramp_probe6",
    "INT3CALL_STUB \\p, \\k, 8, int3call_noregs_livepatch",
    "INT3CALL_STUB \\p, \\k, 9, int3call_noregs_counter",
    "INT3CALL_STUB \\p, \\k, 10, int3call_noregs_probe1",
    "INT3CALL_STUB \\p, \\k, 11, int3call_noregs_probe2",
    "INT3CALL_STUB \\p, \\k, 12, int3call_noregs_probe3",
    "INT3CALL_STUB \\p, \\k, 13, int3call_noregs_probe4",
    "INT3CALL_STUB \\p, \\k, 14, int3call_noregs_probe5",
    "INT3CALL_STUB \\p, \\k, 15, int3call_noregs_probe6",
    "INT3CALL_STUB \\p, \\k, 16, int3call_direct_livepatch",
    "INT3CALL_STUB \\p, \\k, 17, int3call_direct_counter",
    "INT3CALL_STUB \\p, \\k, 18, int3call_direct_probe1",
    "INT3CALL_STUB \\p, \\k, 19, int3call_direct_probe2",
    "INT3CALL_STUB \\p, \\k, 20, int3call_direct_probe3",
    "INT3CALL_STUB \\p, \\k, 21, int3call_direct_probe4",
    "INT3CALL_STUB \\p, \\k, 22, int3call_direct_probe5",
    "INT3CALL_STUB \\p, \\k, 23, int3call_direct_probe6",
    "INT3CALL_STUB \\p, \\k, 24, int3call_tramp_iterator",
    "INT3CALL_STUB \\p, \\k, 25",
    ".endm",
    ".p2align 4",
    ".globl int3call_emul_stubs",
    "int3call_emul_stubs:",
    annotate_noendbr!(),
    ".irp p, 0,1,2",
    ".irp k, 0,1,2,3,4",
    "INT3CALL_STUB_ROW \\p, \\k",
    ".endr",
    ".endr",
    ".purgem INT3CALL_STUB_ROW",
    ".purgem INT3CALL_STUB",
    ".p2align 4",
    "int3call_emul_stubs_end:",
    ".popsection",
    // The key's trampoline: what `ARCH_DEFINE_STATIC_CALL_NULL_TRAMP` emits, a return and
    // the signature `__static_call_validate()` checks. No caller uses it: the site is
    // patched inline; `__static_call_update()` rewrites it with the site.
    ".pushsection .static_call.text, \"ax\"",
    ".balign 4",
    ".globl __SCT__int3call_traced",
    "__SCT__int3call_traced:",
    annotate_noendbr!(),
    static_call_null!(),
    ".byte 0x0f, 0xb9, 0xcc",
    ".type __SCT__int3call_traced, @function",
    ".size __SCT__int3call_traced, . - __SCT__int3call_traced",
    ".popsection",
    // Its key, as `DEFINE_STATIC_CALL_NULL` lays it out: no function, no sites list yet
    // (`type = 1`). The kernel links our site to it at load and owns its sites list.
    ".pushsection .data, \"aw\"",
    ".balign 8",
    ".globl __SCK__int3call_traced",
    ".type __SCK__int3call_traced, @object",
    "__SCK__int3call_traced:",
    "    .quad 0, 1",
    ".size __SCK__int3call_traced, 16",
    ".popsection",
    // Their span, for `check_layout`: a constant the assembler works out. (Taking the end
    // label's address from Rust would point objtool at whatever function comes next.)
    ".pushsection .rodata, \"a\"",
    ".balign 8",
    ".globl int3call_emul_stubs_len",
    "int3call_emul_stubs_len:",
    "    .quad int3call_emul_stubs_end - int3call_emul_stubs",
    ".globl int3call_site_table_len",
    "int3call_site_table_len:",
    "    .quad int3call_site_table_end - int3call_site_1",
    ".popsection",
    v1 = const V1_TAG,
    v2 = const V2_TAG,
    tag = const sites::TAG,
    table_slots = const sites::SITES - 1,
    regs_size = const size_of::<pt_regs>(),
    r15 = const offset_of!(pt_regs, r15),
    r14 = const offset_of!(pt_regs, r14),
    r13 = const offset_of!(pt_regs, r13),
    r12 = const offset_of!(pt_regs, r12),
    bp = const offset_of!(pt_regs, bp),
    bx = const offset_of!(pt_regs, bx),
    r11 = const offset_of!(pt_regs, r11),
    r10 = const offset_of!(pt_regs, r10),
    r9 = const offset_of!(pt_regs, r9),
    r8 = const offset_of!(pt_regs, r8),
    ax = const offset_of!(pt_regs, ax),
    cx = const offset_of!(pt_regs, cx),
    dx = const offset_of!(pt_regs, dx),
    si = const offset_of!(pt_regs, si),
    di = const offset_of!(pt_regs, di),
    orig_ax = const offset_of!(pt_regs, orig_ax),
    ip = const offset_of!(pt_regs, ip),
    flags = const offset_of!(pt_regs, flags),
    sp = const offset_of!(pt_regs, sp),
    kernel_cs = const kernel::bindings::__KERNEL_CS,
    kernel_ds = const kernel::bindings::__KERNEL_DS,
    emul_counts = sym EMUL_COUNTS,
    hits = sym callbacks::HITS,
    canary = const CANARY,
    targets = const policy::STUB_TARGETS,
    modes = const policy::StateKind::ALL.len(),
);

// The names the asm above uses for the callbacks must exist with these symbols.
const _: () = assert!(policy::CALLBACKS.len() == 8 && policy::STUB_TARGETS == 26);
const _: () = assert!(policy::StateKind::ALL.len() == 5);
const _: () = assert!(size_of::<[Counter; policy::CALLBACKS.len()]>() == 8 * 8);
const _: [unsafe extern "C" fn(*mut pt_regs); 9] = [
    callbacks::int3call_livepatch,
    callbacks::int3call_counter,
    callbacks::int3call_probe1,
    callbacks::int3call_probe2,
    callbacks::int3call_probe3,
    callbacks::int3call_probe4,
    callbacks::int3call_probe5,
    callbacks::int3call_probe6,
    callbacks::int3call_iterate,
];

extern "C" {
    fn int3call_traced(x: u64) -> u64;
    fn int3call_traced_checked(x: u64) -> u64;
    fn int3call_ftraced(x: u64) -> u64;
    fn int3call_traced_v2(x: u64) -> u64;
    fn int3call_loop_plain(n: u64) -> u64;
    fn int3call_loop_plain_direct(n: u64) -> u64;
    fn int3call_loop_traced(n: u64) -> u64;
    fn int3call_loop_ftraced(n: u64) -> u64;
    fn int3call_tramp_livepatch();
    fn int3call_tramp_counter();
    fn int3call_tramp_probe1();
    fn int3call_tramp_probe2();
    fn int3call_tramp_probe3();
    fn int3call_tramp_probe4();
    fn int3call_tramp_probe5();
    fn int3call_tramp_probe6();
    fn int3call_tramp_iterator();
    fn int3call_noregs_livepatch();
    fn int3call_noregs_counter();
    fn int3call_noregs_probe1();
    fn int3call_noregs_probe2();
    fn int3call_noregs_probe3();
    fn int3call_noregs_probe4();
    fn int3call_noregs_probe5();
    fn int3call_noregs_probe6();
    fn int3call_direct_livepatch();
    fn int3call_direct_counter();
    fn int3call_direct_probe1();
    fn int3call_direct_probe2();
    fn int3call_direct_probe3();
    fn int3call_direct_probe4();
    fn int3call_direct_probe5();
    fn int3call_direct_probe6();
    fn int3call_emul_stubs();
    static int3call_emul_stubs_len: u64;
    fn int3call_site_1();
    static int3call_site_table_len: u64;
    fn int3call_sweep(x: u64, out: *mut u64, count: usize);
}

/// Address of the patch site (the traced function's first byte).
#[inline(always)]
pub(crate) fn site() -> usize {
    int3call_traced as usize
}

/// Address of the site ftrace owns (engine `ftrace`), `int3call_ftraced`'s first byte.
#[inline(always)]
pub(crate) fn ftrace_site() -> usize {
    int3call_ftraced as usize
}

/// Where the live patch sends calls of entry 0 (and of the site ftrace owns, whose body is
/// v1's).
pub(crate) fn v2_body() -> usize {
    int3call_traced_v2 as usize
}

/// Where the entries are (`sites.rs`).
#[inline(always)]
pub(crate) fn layout() -> sites::Layout {
    sites::Layout {
        single: site(),
        table: int3call_site_1 as usize,
    }
}

/// Where the live patch sends a call that returns to `ret`: the v2 of the entry it came from;
/// entry 0's for any other (the site ftrace owns).
#[inline(always)]
pub(crate) fn v2_after(ret: usize) -> usize {
    layout().v2_after(ret, v2_body()).unwrap_or(v2_body())
}

/// Calls entries 1..=`out.len()` of the table once each with the argument `x`, in order, and
/// stores entry k's result in `out[k - 1]`. Entries past the table are not called.
pub(crate) fn sweep(x: u64, out: &mut [u64]) {
    let count = out.len().min(sites::SITES - 1);
    // SAFETY: `int3call_sweep` follows the C ABI (it saves the callee-saved registers it
    // uses), writes `out[..count]` only, and calls slots of our table, each of which returns
    // `x` plus its tags whatever its site holds (NOP, or a call to a trampoline, which saves
    // and restores every register).
    unsafe { int3call_sweep(x, out.as_mut_ptr(), count) }
}

type Entry = unsafe extern "C" fn();
/// Per callback: its custom trampoline, its no-regs trampoline, its direct entry.
const CUSTOM: [Entry; 8] = [
    int3call_tramp_livepatch,
    int3call_tramp_counter,
    int3call_tramp_probe1,
    int3call_tramp_probe2,
    int3call_tramp_probe3,
    int3call_tramp_probe4,
    int3call_tramp_probe5,
    int3call_tramp_probe6,
];
const NOREGS: [Entry; 8] = [
    int3call_noregs_livepatch,
    int3call_noregs_counter,
    int3call_noregs_probe1,
    int3call_noregs_probe2,
    int3call_noregs_probe3,
    int3call_noregs_probe4,
    int3call_noregs_probe5,
    int3call_noregs_probe6,
];
const DIRECT: [Entry; 8] = [
    int3call_direct_livepatch,
    int3call_direct_counter,
    int3call_direct_probe1,
    int3call_direct_probe2,
    int3call_direct_probe3,
    int3call_direct_probe4,
    int3call_direct_probe5,
    int3call_direct_probe6,
];

/// What a site in `state` calls (a trampoline, or a direct entry), or `None` for a NOP.
#[inline(always)]
pub(crate) fn callee(state: policy::SiteState) -> Option<usize> {
    let of = |table: &[Entry; 8], cb: usize| table.get(cb).map(|&f| f as usize);
    match state {
        policy::SiteState::Nop => None,
        policy::SiteState::Custom(cb) => of(&CUSTOM, cb),
        policy::SiteState::NoRegs(cb) => of(&NOREGS, cb),
        policy::SiteState::Direct(cb) => of(&DIRECT, cb),
        policy::SiteState::Iterator => Some(int3call_tramp_iterator as usize),
    }
}

/// Whether `addr` is one of our callees (a call the site may legitimately hold).
#[inline(always)]
pub(crate) fn is_callee(addr: usize) -> bool {
    addr == int3call_tramp_iterator as usize
        || [&CUSTOM, &NOREGS, &DIRECT]
            .iter()
            .any(|table| table.iter().any(|&f| f as usize == addr))
}

/// Hits that reached any stub of `emulation`.
pub(crate) fn emulated_by(emulation: policy::Emulation) -> u64 {
    let base = emulation as usize * policy::STUBS_PER_EMULATION;
    EMUL_COUNTS[base..base + policy::STUBS_PER_EMULATION]
        .iter()
        .map(Counter::get)
        .sum()
}

/// Hits that `emulation` emulated in flips to a `to` site, by stub target.
pub(crate) fn emulated_to(
    emulation: policy::Emulation,
    to: policy::StateKind,
) -> [u64; policy::STUB_TARGETS] {
    let base =
        emulation as usize * policy::STUBS_PER_EMULATION + to as usize * policy::STUB_TARGETS;
    core::array::from_fn(|t| EMUL_COUNTS[base + t].get())
}

/// Address of the emulation stub with `index` (see `policy::stub_index`).
pub(crate) fn stub(index: usize) -> usize {
    int3call_emul_stubs as usize + 16 * index
}

/// Calls the traced function of `engine` once: the one whose site ftrace owns on `ftrace`,
/// the one of our own site on the others.
#[inline(always)]
pub(crate) fn call_traced(engine: policy::Engine, x: u64) -> u64 {
    if engine == policy::Engine::Ftrace {
        // SAFETY: `int3call_ftraced` follows the C ABI; whatever ftrace made its site (NOP,
        // or a call to an ftrace trampoline, which saves and restores the registers) it
        // returns `x` plus a tag.
        unsafe { int3call_ftraced(x) }
    } else {
        // SAFETY: `int3call_traced_checked` follows the C ABI (it saves the callee-saved
        // registers it fills with canaries) and calls `int3call_traced`, which, whatever its
        // site holds (NOP, or a call to one of our callees), returns `x` plus a tag, or `x`
        // alone if the callee broke a callee-saved register.
        unsafe { int3call_traced_checked(x) }
    }
}

/// Calls the plain function (v1 without a site) for x = n down to 1, and returns the sum of
/// the results: the benchmarks' baseline.
pub(crate) fn loop_plain(n: u64) -> u64 {
    // SAFETY: the loop follows the C ABI (it saves the callee-saved registers it uses) and
    // calls `int3call_plain`, which only computes `x + V1_TAG`.
    unsafe { int3call_loop_plain(n) }
}

/// Calls the plain function with a direct call to probe1's direct entry in front (the floor of
/// the `direct` path) for x = n down to 1, and returns the sum of the results.
pub(crate) fn loop_plain_direct(n: u64) -> u64 {
    // SAFETY: as `loop_plain`; `int3call_plain_direct` calls probe1's direct entry, which
    // preserves every register, then computes `x + V1_TAG`.
    unsafe { int3call_loop_plain_direct(n) }
}

/// Calls the traced function for x = n down to 1, and returns the sum of the results.
pub(crate) fn loop_traced(n: u64) -> u64 {
    // SAFETY: as `loop_plain`; `int3call_traced` is safe to call whatever its site holds
    // (see `call_traced`).
    unsafe { int3call_loop_traced(n) }
}

/// As [`loop_traced`], for the traced function whose site ftrace owns.
pub(crate) fn loop_ftraced(n: u64) -> u64 {
    // SAFETY: as `loop_plain`; `int3call_ftraced` is safe to call whatever ftrace made its
    // site (see `call_traced`).
    unsafe { int3call_loop_ftraced(n) }
}

/// Checks what the assembler cannot check for us (jump sizes are relaxed late): every stub
/// fits its 16-byte slot, so `stub()` addresses the right one.
pub(crate) fn check_layout() -> kernel::error::Result {
    // The torture's observer reads the site's bytes in one aligned 8-byte load.
    if site() % 8 != 0 {
        kernel::pr_err!("the traced site at {:#x} is not 8-byte aligned\n", site());
        return Err(kernel::error::code::EINVAL);
    }
    let table = int3call_site_1 as usize;
    // SAFETY: a constant in .rodata, written by the assembler, never changed.
    let table_len = unsafe { int3call_site_table_len } as usize;
    if table <= site()
        || table % sites::STRIDE != 0
        || table_len != (sites::SITES - 1) * sites::STRIDE
    {
        kernel::pr_err!(
            "the site table at {:#x} spans {} bytes: expected {} slots of {} after the traced site\n",
            table,
            table_len,
            sites::SITES - 1,
            sites::STRIDE
        );
        return Err(kernel::error::code::EINVAL);
    }
    // SAFETY: a constant in .rodata, written by the assembler, never changed.
    let len = unsafe { int3call_emul_stubs_len } as usize;
    if len != 16 * policy::STUBS {
        kernel::pr_err!(
            "emulation stubs span {} bytes, expected {}\n",
            len,
            16 * policy::STUBS
        );
        return Err(kernel::error::code::EINVAL);
    }
    Ok(())
}
