//! Compiles the module's kernel-independent files for `cargo test` on the host.
// Items that only the kernel module uses look dead here; the module's own build (CLIPPY=1, no
// warning allowed) is where dead code is judged.
#![expect(dead_code)]
#[path = "../emulate.rs"]
pub mod emulate;
#[path = "../insn.rs"]
pub mod insn;
#[path = "../command.rs"]
pub mod command;
#[path = "../policy.rs"]
pub mod policy;
#[path = "../busted.rs"]
pub mod busted;
#[path = "../verdict.rs"]
pub mod verdict;
#[path = "../names.rs"]
pub mod names;
#[path = "../protocol.rs"]
pub mod protocol;
