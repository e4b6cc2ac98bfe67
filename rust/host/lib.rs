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
#[path = "../sites.rs"]
pub mod sites;

/// The interface's words are declared once, in the module (`names.rs`); the README and the
/// selftests must follow them. A word added to the code without its test or its line in the
/// README, or renamed in one place only, fails here.
#[cfg(test)]
mod interface_words {
    use crate::busted::Busted;
    use crate::command::File;
    use crate::policy::{Emulation, Engine};
    use crate::verdict::{Invariant, Scenario, Verdict};

    const README: &str = include_str!("../../README.md");
    // The torture's reference: every invariant and busted variant is explained there.
    const TORTURE_MD: &str = include_str!("../../scripts/torture.md");
    const BUSTED_SH: &str = include_str!("../../selftests/int3call/busted.sh");
    const MODEL_SH: &str = include_str!("../../scripts/model.sh");
    const FILES_SH: &str = include_str!("../../selftests/int3call/debugfs_files.sh");
    /// The selftests that run every engine or every emulation, by name.
    const SELFTESTS: [(&str, &str); 6] = [
        ("bench_smoke.sh", include_str!("../../selftests/int3call/bench_smoke.sh")),
        ("busted.sh", include_str!("../../selftests/int3call/busted.sh")),
        ("torture.sh", include_str!("../../selftests/int3call/torture.sh")),
        ("transitions.sh", include_str!("../../selftests/int3call/transitions.sh")),
        ("unload_patched.sh", include_str!("../../selftests/int3call/unload_patched.sh")),
        ("unload_busy.sh", include_str!("../../selftests/int3call/unload_busy.sh")),
    ];

    /// The words of a selftest's `NAME="a b c"` line, if it has one.
    fn list<'a>(script: &'a str, name: &str) -> Option<Vec<&'a str>> {
        let prefix = format!("{name}=\"");
        script
            .lines()
            .find_map(|l| l.strip_prefix(prefix.as_str()))
            .and_then(|l| l.strip_suffix('"'))
            .map(|l| l.split_whitespace().collect())
    }

    fn documented(doc: &str, word: &str) -> bool {
        doc.contains(&format!("`{word}`")) || doc.contains(&format!("`{word}:`"))
    }

    #[test]
    fn every_word_is_in_the_readme() {
        let words = (Verdict::ALL.iter().map(|v| v.name()))
            .chain(Engine::ALL.iter().map(|v| v.name()))
            .chain(Emulation::ALL.iter().map(|v| v.name()))
            .chain(Scenario::ALL.iter().map(|v| v.name()))
            .chain(File::ALL.iter().map(|v| v.name()));
        for word in words {
            assert!(documented(README, word), "README.md never names `{word}`");
        }
    }

    #[test]
    fn every_invariant_and_variant_is_in_the_torture_reference() {
        let words =
            (Busted::ALL.iter().map(|v| v.name())).chain(Invariant::ALL.iter().map(|v| v.name()));
        for word in words {
            assert!(
                documented(TORTURE_MD, word),
                "scripts/torture.md never names `{word}`"
            );
        }
    }

    #[test]
    fn every_busted_variant_is_caught_by_a_test() {
        // busted.sh runs a variant as the first word of a VARIANTS line; the model runs those
        // TCG cannot catch (`variant "busted=NAME"`).
        let in_busted_sh = |w: &str| BUSTED_SH.lines().any(|l| l.split_whitespace().next() == Some(w));
        let in_model = |w: &str| MODEL_SH.contains(&format!("\"busted={w}\""));
        for b in Busted::ALL.into_iter().filter(|&b| b != Busted::None) {
            assert!(in_busted_sh(b.name()) || in_model(b.name()), "no test runs busted={}", b.name());
        }
    }

    #[test]
    fn the_files_test_checks_every_file() {
        let want: Vec<&str> = File::ALL.iter().map(|f| f.name()).collect();
        assert_eq!(list(FILES_SH, "FILES"), Some(want));
    }

    #[test]
    fn the_selftests_run_every_engine_and_every_emulation() {
        let engines: Vec<&str> = Engine::ALL.iter().map(|e| e.name()).collect();
        let emulations: Vec<&str> = Emulation::ALL.iter().map(|e| e.name()).collect();
        for (name, script) in SELFTESTS {
            assert_eq!(list(script, "ENGINES"), Some(engines.clone()), "{name}: ENGINES");
        }
        assert_eq!(list(SELFTESTS[2].1, "EMULATIONS"), Some(emulations), "torture.sh");
    }
}
