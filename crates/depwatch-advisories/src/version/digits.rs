//! Decimal numbers of any length, as version grammars without a size limit need them
//! (Maven's BigInteger items, RubyGems' Integer segments, Composer date versions).

use std::cmp::Ordering;
use std::fmt;

/// A non-negative decimal number kept as its digits, without leading zeros ("0" for zero).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Digits(Box<str>);

impl Digits {
    /// Builds from a run of ASCII digits; `None` when `s` is empty or has another character.
    pub fn new(s: &str) -> Option<Digits> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let trimmed = s.trim_start_matches('0');
        Some(Digits(if trimmed.is_empty() { "0".into() } else { trimmed.into() }))
    }

    /// The number 0.
    pub fn zero() -> Digits {
        Digits("0".into())
    }

    pub fn is_zero(&self) -> bool {
        &*self.0 == "0"
    }
}

impl Ord for Digits {
    fn cmp(&self, other: &Self) -> Ordering {
        // Without leading zeros, a longer number is larger; equal lengths compare lexically.
        self.0.len().cmp(&other.0.len()).then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for Digits {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Digits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_numerically_at_any_length() {
        let d = |s| Digits::new(s).unwrap();
        assert!(d("9") < d("10"));
        assert_eq!(d("007"), d("7"));
        assert_eq!(d("000"), d("0"));
        assert!(d("000").is_zero());
        assert!(d("123456789012345678901234567890") > d("99999999999999999999"));
        assert_eq!(Digits::new(""), None);
        assert_eq!(Digits::new("1a"), None);
    }
}
