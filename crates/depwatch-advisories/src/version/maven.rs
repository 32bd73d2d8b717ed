//! Maven: `org.apache.maven.artifact.versioning.ComparableVersion`, Maven **3.8** rules
//! (<https://maven.apache.org/pom.html#Version_Order_Specification>).
//!
//! Maven 3.9 (combination items, MNG-7559) and Maven 4 order a few exotic strings
//! differently. We follow the 3.x javadoc as shipped in maven-artifact 3.8.7, including
//! "treat `.X` as `-X` for a string qualifier X" (`1.0.RC2` parses as `1-rc-2`), and checked
//! the fixture table against that jar's `ComparableVersion` main.

use super::digits::Digits;
use super::{reject_garbage, VersionError};
use depwatch_core::Ecosystem;
use std::cmp::Ordering;
use std::fmt;

/// A Maven version as ComparableVersion's item tree.
#[derive(Debug, Clone)]
pub struct MavenVersion {
    raw: String,
    items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Int(Digits),
    Str(Qualifier),
    List(Vec<Item>),
}

/// A string item: a well-known qualifier (by rank) or an unknown one (after all known ones).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Qualifier {
    /// Index in `alpha, beta, milestone, rc, snapshot, "", sp`.
    Known(u8),
    Unknown(String),
}

/// Rank of the empty qualifier (`""`, `ga`, `final`, `release`): a release.
const RELEASE: u8 = 5;

impl Qualifier {
    fn new(value: &str, followed_by_digit: bool) -> Qualifier {
        // `a1`, `b1`, `m1` are alpha-1, beta-1, milestone-1 only right before a digit.
        let value = match value {
            "a" if followed_by_digit => "alpha",
            "b" if followed_by_digit => "beta",
            "m" if followed_by_digit => "milestone",
            other => other,
        };
        let value = match value {
            "ga" | "final" | "release" => "",
            "cr" => "rc",
            other => other,
        };
        match value {
            "alpha" => Qualifier::Known(0),
            "beta" => Qualifier::Known(1),
            "milestone" => Qualifier::Known(2),
            "rc" => Qualifier::Known(3),
            "snapshot" => Qualifier::Known(4),
            "" => Qualifier::Known(RELEASE),
            "sp" => Qualifier::Known(6),
            other => Qualifier::Unknown(other.to_owned()),
        }
    }
}

impl Item {
    fn is_null(&self) -> bool {
        match self {
            Item::Int(d) => d.is_zero(),
            Item::Str(q) => *q == Qualifier::Known(RELEASE),
            Item::List(l) => l.is_empty(),
        }
    }

    /// `Item.compareTo`, where `None` is the padding a shorter version gets.
    fn compare(&self, other: Option<&Item>) -> Ordering {
        match (self, other) {
            (Item::Int(a), None) => {
                if a.is_zero() {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            (Item::Int(a), Some(Item::Int(b))) => a.cmp(b),
            (Item::Int(_), Some(Item::Str(_) | Item::List(_))) => Ordering::Greater,
            (Item::Str(a), None) => a.cmp(&Qualifier::Known(RELEASE)),
            (Item::Str(_), Some(Item::Int(_) | Item::List(_))) => Ordering::Less,
            (Item::Str(a), Some(Item::Str(b))) => a.cmp(b),
            // Every item against padding, not just the first (MNG-6964, Maven 3.8).
            (Item::List(l), None) => l
                .iter()
                .map(|i| i.compare(None))
                .find(|o| *o != Ordering::Equal)
                .unwrap_or(Ordering::Equal),
            (Item::List(_), Some(Item::Int(_))) => Ordering::Less,
            (Item::List(_), Some(Item::Str(_))) => Ordering::Greater,
            (Item::List(l), Some(Item::List(r))) => compare_lists(l, r),
        }
    }
}

fn compare_lists(l: &[Item], r: &[Item]) -> Ordering {
    for i in 0..l.len().max(r.len()) {
        let ord = match (l.get(i), r.get(i)) {
            (Some(a), b) => a.compare(b),
            (None, Some(b)) => b.compare(None).reverse(),
            (None, None) => Ordering::Equal,
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

impl PartialEq for MavenVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for MavenVersion {}

impl Ord for MavenVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_lists(&self.items, &other.items)
    }
}

impl PartialOrd for MavenVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for MavenVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl MavenVersion {
    /// ComparableVersion's canonical form (`1.0.0-SNAPSHOT` → `1-snapshot`).
    pub fn canonical(&self) -> String {
        canonical(&self.items)
    }
}

/// `ListItem.toString`: `-` before a sub-list, `.` before anything else.
fn canonical(items: &[Item]) -> String {
    let mut out = String::new();
    for item in items {
        if !out.is_empty() {
            out.push(if matches!(item, Item::List(_)) { '-' } else { '.' });
        }
        match item {
            Item::Int(d) => out.push_str(&d.to_string()),
            Item::Str(Qualifier::Known(k)) => out.push_str(
                ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"]
                    .get(usize::from(*k))
                    .copied()
                    .unwrap_or(""),
            ),
            Item::Str(Qualifier::Unknown(s)) => out.push_str(s),
            Item::List(l) => out.push_str(&canonical(l)),
        }
    }
    out
}

/// Builds the nested list ComparableVersion builds. Once a sub-list opens, every later item
/// goes into it or deeper, so the tree is a chain: a stack of lists, folded at the end.
struct Builder {
    stack: Vec<Vec<Item>>,
}

impl Builder {
    fn add(&mut self, item: Item) {
        if let Some(cur) = self.stack.last_mut() {
            cur.push(item);
        }
    }

    /// `list.add(list = new ListItem()); stack.push(list)`.
    fn open_list(&mut self) {
        self.stack.push(Vec::new());
    }

    fn current_is_empty(&self) -> bool {
        self.stack.last().is_none_or(Vec::is_empty)
    }

    fn finish(mut self) -> Vec<Item> {
        while self.stack.len() > 1 {
            if let Some(child) = self.stack.pop() {
                self.add(Item::List(child));
            }
        }
        self.stack.pop().unwrap_or_default()
    }
}

fn parse_item(is_digit: bool, buf: &str) -> Item {
    if is_digit {
        if let Some(d) = Digits::new(buf) {
            return Item::Int(d);
        }
    }
    Item::Str(Qualifier::new(buf, false))
}

/// Trailing null items (0, "", empty list) are removed, looking past trailing lists, at every
/// level from the innermost out (`ListItem.normalize` over the stack).
fn normalize(items: &mut Vec<Item>) {
    for item in items.iter_mut() {
        if let Item::List(l) = item {
            normalize(l);
        }
    }
    let mut i = items.len();
    while i > 0 {
        i -= 1;
        let Some(item) = items.get(i) else { break };
        if item.is_null() {
            items.remove(i);
        } else if !matches!(item, Item::List(_)) {
            break;
        }
    }
}

pub(super) fn parse(s: &str) -> Result<MavenVersion, VersionError> {
    let raw = s.trim();
    reject_garbage(Ecosystem::Maven, raw)?;
    if !raw.is_ascii() {
        return Err(VersionError::invalid(Ecosystem::Maven, s, "contains non-ASCII characters"));
    }
    let version = raw.to_ascii_lowercase();
    let bytes = version.as_bytes();
    let mut b = Builder { stack: vec![Vec::new()] };
    let mut is_digit = false;
    let mut start = 0usize;
    for (i, &c) in bytes.iter().enumerate() {
        if c == b'.' || c == b'-' {
            if i == start {
                b.add(Item::Int(Digits::zero()));
            } else {
                b.add(parse_item(is_digit, &version[start..i]));
            }
            start = i + 1;
            if c == b'-' {
                b.open_list();
            }
        } else if c.is_ascii_digit() {
            if !is_digit && i > start {
                // 1.0.0.X1 < 1.0.0-X2: treat .X as -X for any string qualifier X.
                if !b.current_is_empty() {
                    b.open_list();
                }
                b.add(Item::Str(Qualifier::new(&version[start..i], true)));
                start = i;
                b.open_list();
            }
            is_digit = true;
        } else {
            if is_digit && i > start {
                b.add(parse_item(true, &version[start..i]));
                start = i;
                b.open_list();
            }
            is_digit = false;
        }
    }
    if version.len() > start {
        if !is_digit && !b.current_is_empty() {
            b.open_list();
        }
        b.add(parse_item(is_digit, &version[start..]));
    }
    let mut items = b.finish();
    normalize(&mut items);
    Ok(MavenVersion { raw: raw.to_owned(), items })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn canon(s: &str, expected: &str) {
        assert_eq!(parse(s).unwrap().canonical(), expected, "{s}");
    }

    #[test]
    fn canonical_forms_match_maven_3_8_7() {
        // Outputs of `java -cp maven-artifact-3.8.7.jar ...ComparableVersion <v>`.
        canon("1.0.0", "1");
        canon("1.0-SNAPSHOT", "1-snapshot");
        canon("1.0.RC2", "1-rc-2");
        canon("1-1.foo-bar1baz-.1", "1-1.foo-bar-1-baz-0.1");
        canon("1.0.0-foo.0.0", "1-foo");
        canon("1a1", "1-alpha-1");
    }
}
