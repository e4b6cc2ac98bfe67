// SPDX-License-Identifier: GPL-2.0
//! The kernel's conventions for hand-written asm, as string pieces for `global_asm!`
//! ([`arch/x86/include/asm/linkage.h`], [`include/linux/annotate.h`]): the compiler applies
//! them to Rust code, but never to our asm.
//!
//! [`arch/x86/include/asm/linkage.h`]: srctree/arch/x86/include/asm/linkage.h
//! [`include/linux/annotate.h`]: srctree/include/linux/annotate.h

/// `RET`: with return thunks, `jmp __x86_return_thunk` (objtool lists it in
/// `.return_sites`, so alternatives can patch it); else `ret` followed by `int3`, so that a
/// straight-line speculation past the `ret` stops (MITIGATION_SLS).
#[cfg(CONFIG_MITIGATION_RETHUNK)]
macro_rules! asm_ret {
    () => {
        "    jmp __x86_return_thunk"
    };
}
#[cfg(not(CONFIG_MITIGATION_RETHUNK))]
macro_rules! asm_ret {
    () => {
        "    ret\n    int3"
    };
}

/// `ANNOTATE_NOENDBR`: a function whose address Rust takes (so objtool's IBT check would ask
/// for an ENDBR) but that no indirect branch ever reaches: direct and int3-emulated calls
/// only. Leaving ENDBR out keeps it from being a valid indirect-branch target.
macro_rules! annotate_noendbr {
    () => {
        concat!(
            "911:\n.pushsection .discard.annotate_insn, \"M\", @progbits, 8\n",
            ".long 911b - ., 1\n.popsection"
        )
    };
}

/// The body of a static-call trampoline whose key has no function
/// (`ARCH_DEFINE_STATIC_CALL_NULL_TRAMP`, [`arch/x86/include/asm/static_call.h`]): five
/// bytes that return, since `__static_call_validate()` wants the signature at offset 5.
///
/// [`arch/x86/include/asm/static_call.h`]: srctree/arch/x86/include/asm/static_call.h
#[cfg(CONFIG_MITIGATION_RETHUNK)]
macro_rules! static_call_null {
    () => {
        "    jmp __x86_return_thunk"
    };
}
#[cfg(not(CONFIG_MITIGATION_RETHUNK))]
macro_rules! static_call_null {
    () => {
        "    ret\n    int3\n    nop\n    nop\n    nop"
    };
}
