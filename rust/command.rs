// SPDX-License-Identifier: GPL-2.0
//! Parsing of what userspace writes to the debugfs files. No kernel dependency: unit-tested
//! on the host. Every rejection says why, so the caller can `pr_warn` it.

/// The longest write any file accepts, newline included.
pub(crate) const MAX_INPUT: usize = 64;

/// Why a write was refused (the caller turns every one into `-EINVAL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reject {
    Empty,
    TooLong,
    NotText,
    Unknown,
}

impl Reject {
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Reject::Empty => "empty write",
            Reject::TooLong => "input too long",
            Reject::NotText => "input is not text",
            Reject::Unknown => "unknown value",
        }
    }
}

/// Turns raw bytes into one trimmed word (surrounding whitespace, such as `echo`'s newline,
/// is ignored).
pub(crate) fn text(bytes: &[u8]) -> Result<&str, Reject> {
    if bytes.len() > MAX_INPUT {
        return Err(Reject::TooLong);
    }
    let s = core::str::from_utf8(bytes).map_err(|_| Reject::NotText)?.trim();
    if s.is_empty() {
        return Err(Reject::Empty);
    }
    if s.bytes().any(|b| b.is_ascii_control()) {
        return Err(Reject::NotText);
    }
    Ok(s)
}

/// Looks `input` up in `table` by exact name.
pub(crate) fn keyword<T: Copy>(input: &str, table: &[(&str, T)]) -> Result<T, Reject> {
    table.iter().find(|(name, _)| *name == input).map(|&(_, v)| v).ok_or(Reject::Unknown)
}

/// Writes to `selftest`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SelftestCmd {
    Run,
}
pub(crate) const SELFTEST_CMDS: [(&str, SelftestCmd); 1] = [("run", SelftestCmd::Run)];

/// Writes to `stats`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StatsCmd {
    Reset,
}
pub(crate) const STATS_CMDS: [(&str, StatsCmd); 1] = [("reset", StatsCmd::Reset)];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_trims_echo_newline_and_rejects_the_rest() {
        assert_eq!(text(b"run\n"), Ok("run"));
        assert_eq!(text(b"  run \t\n"), Ok("run"));
        assert_eq!(text(b""), Err(Reject::Empty));
        assert_eq!(text(b" \n"), Err(Reject::Empty));
        assert_eq!(text(&[b'a'; MAX_INPUT + 1]), Err(Reject::TooLong));
        assert_eq!(text(&[0xff, 0xfe]), Err(Reject::NotText));
        assert_eq!(text(b"r\x01n"), Err(Reject::NotText));
    }

    #[test]
    fn keyword_matches_exactly() {
        assert_eq!(keyword("run", &SELFTEST_CMDS), Ok(SelftestCmd::Run));
        assert_eq!(keyword("reset", &STATS_CMDS), Ok(StatsCmd::Reset));
        assert_eq!(keyword("RUN", &SELFTEST_CMDS), Err(Reject::Unknown));
        assert_eq!(keyword("runx", &SELFTEST_CMDS), Err(Reject::Unknown));
    }
}
