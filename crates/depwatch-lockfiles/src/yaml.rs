//! YAML (pnpm, yarn berry) read into `serde_json::Value`s with serde-saphyr, under a budget
//! that scales with the input so hostile files (alias bombs, deep nesting) stay bounded.

use depwatch_core::Diagnostic;
use serde_json::Value;

fn options(len: usize) -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    // Real lockfiles need about one node per 20 bytes; allow one per byte (and never less than
    // the defaults), so the caps only stop pathological inputs.
    budget.max_nodes = budget.max_nodes.max(len);
    budget.max_events = budget.max_events.max(len.saturating_mul(2));
    budget.max_depth = 64;
    // pnpm and yarn never write anchors or aliases: a few are tolerated, a bomb is not.
    budget.max_aliases = 1_000;
    budget.max_anchors = 1_000;
    budget.max_recorded_anchor_events = 100_000;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options
}

fn error(path: &str, e: &serde_saphyr::Error) -> Diagnostic {
    let rendered = e.to_string();
    // The rendered error may carry a source snippet; the first line is the message.
    let first = rendered.lines().next().unwrap_or("unreadable YAML").trim();
    let diag = Diagnostic::error(path, format!("invalid YAML: {first}"));
    match e.location().map(|l| l.line()) {
        Some(line) if line > 0 => diag.at_line(u32::try_from(line).unwrap_or(u32::MAX)),
        _ => diag,
    }
}

/// Every document of a YAML stream (`---`-separated), in order.
pub(crate) fn documents(path: &str, text: &str) -> Result<Vec<Value>, Diagnostic> {
    serde_saphyr::from_multiple_with_options::<Value>(text, options(text.len()))
        .map_err(|e| error(path, &e))
}
