// SPDX-License-Identifier: GPL-2.0
//! Enumerations whose values are words of the interface (debugfs input, report lines, the
//! tests' lists). Each is declared once, with [`named!`]: the variant and its word side by
//! side. Everything else (`ALL`, parsing, the choices a refusal lists, report lines) is
//! derived from that declaration. No kernel dependency: unit-tested on the host.

/// An enumeration whose every value has one word (`name`), as nova-core's `Chipset::name()`.
pub(crate) trait Named: Copy + PartialEq + 'static {
    /// Every value, in declaration order.
    const VALUES: &'static [Self];

    fn name(self) -> &'static str;

    /// The value whose word is `word` (exact match).
    fn from_name(word: &str) -> Option<Self> {
        Self::VALUES.iter().copied().find(|v| v.name() == word)
    }
}

/// Declares a fieldless enum with one word per variant:
///
/// ```text
/// named! {
///     /// Which code rewrites the site.
///     pub(crate) enum Engine {
///         /// The kernel's `smp_text_poke_single()`.
///         Kernel = "kernel",
///         Module = "module",
///     }
/// }
/// ```
///
/// Variants are numbered from 0 in declaration order (`as usize` indexes arrays by them). It
/// derives `Clone`, `Copy`, `Debug`, `PartialEq`, `Eq`; add `Default` with `#[default]`.
macro_rules! named {
    (
        $(#[$meta:meta])*
        $vis:vis enum $ty:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $word:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        $vis enum $ty {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $ty {
            /// Every value, in declaration order.
            // Not every enum uses every item, and `expect` would fail on those that do.
            #[allow(dead_code)]
            pub(crate) const ALL: [$ty; [$(stringify!($variant)),+].len()] = [$($ty::$variant),+];

            /// The value's word in debugfs, reports and tests.
            pub(crate) const fn name(self) -> &'static str {
                match self {
                    $( $ty::$variant => $word, )+
                }
            }

            /// The value whose word is `word` (exact match).
            #[allow(dead_code)]
            pub(crate) fn from_name(word: &str) -> Option<Self> {
                <Self as $crate::names::Named>::from_name(word)
            }
        }

        impl $crate::names::Named for $ty {
            const VALUES: &'static [Self] = &$ty::ALL;

            fn name(self) -> &'static str {
                $ty::name(self)
            }
        }
    };
}
pub(crate) use named;

#[cfg(test)]
mod tests {
    named! {
        enum Colour {
            Red = "red",
            Dark = "dark_blue",
        }
    }

    #[test]
    fn words_round_trip_in_declaration_order() {
        assert_eq!(Colour::ALL, [Colour::Red, Colour::Dark]);
        assert_eq!(Colour::Dark as usize, 1);
        for c in Colour::ALL {
            assert_eq!(Colour::from_name(c.name()), Some(c));
        }
        assert_eq!(Colour::from_name("Red"), None);
        assert_eq!(Colour::from_name("dark"), None);
    }
}
