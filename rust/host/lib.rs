//! Compiles the module's kernel-independent files for `cargo test` on the host.
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
