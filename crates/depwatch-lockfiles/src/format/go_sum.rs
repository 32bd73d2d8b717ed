//! Go's `go.sum`, the fallback inventory for modules without a usable `go.mod`.
//!
//! go.sum records every go.mod that was consulted, which is more than the build list. Only
//! lines for module contents (without `/go.mod`) mean the module's code was downloaded, and
//! of several versions MVS keeps the highest: that is what we report. Versions lose their `v`
//! as in `go_mod`.

use super::go_mod::{compare, strip_v};
use crate::inventory::{input_text, Entry, Inventory};
use crate::Input;
use depwatch_core::{Ecosystem, Parsed};
use std::cmp::Ordering;
use std::collections::BTreeMap;

pub(crate) fn parse(input: &Input<'_>) -> Parsed {
    let mut inv = Inventory::new(Ecosystem::Go, input.path);
    if crate::parsed::is_blank(input.bytes) {
        return inv.finish();
    }
    let Some(content) = input_text(input, &mut inv) else {
        return inv.finish();
    };
    let mut highest: BTreeMap<String, String> = BTreeMap::new();
    let mut lines_read = 0usize;
    for (i, raw) in content.lines().enumerate() {
        let tokens: Vec<&str> = raw.split_whitespace().collect();
        match tokens.as_slice() {
            [] => {}
            [module, version, hash]
                if hash.contains(':')
                    && version
                        .strip_prefix('v')
                        .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit())) =>
            {
                lines_read += 1;
                if version.ends_with("/go.mod") {
                    continue;
                }
                match highest.get_mut(*module) {
                    Some(v) if compare(version, v) == Ordering::Greater => {
                        *v = (*version).to_owned()
                    }
                    Some(_) => {}
                    None => {
                        highest.insert((*module).to_owned(), (*version).to_owned());
                    }
                }
            }
            _ => inv
                .warn(Some(i + 1), "cannot read line (expected `module vX.Y.Z[/go.mod] h1:hash`)"),
        }
    }
    for (module, version) in highest {
        inv.add(Entry::registry(module, strip_v(&version)));
    }
    if lines_read > 0 {
        inv.info(
            None,
            "inventory taken from go.sum (no go.mod): it may list modules the build does not use, and cannot tell direct from indirect",
        );
    }
    inv.finish()
}
