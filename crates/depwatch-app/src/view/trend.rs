//! Open findings per day: a finding counts on a day when, at that day's end (UTC), it had been
//! seen, was not yet fixed, and its state (from its recorded history) was open or acknowledged.

use super::{date, severity_label};
use depwatch_store::{FindingRecord, FindingState, FindingStateChange};
use serde::Serialize;
use std::collections::HashMap;

const DAY_MS: i64 = 86_400_000;

/// One day of the trend chart (`TrendPoint` in types.ts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrendPoint {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub critical: u64,
    pub high: u64,
    pub medium: u64,
    pub low: u64,
    pub unknown: u64,
    /// Informational findings (all kinds).
    pub informational: u64,
}

/// `days` points, oldest first, the last one being today (evaluated at `now_ms`).
pub(crate) fn trend(
    findings: &[&FindingRecord],
    changes: &[FindingStateChange],
    now_ms: i64,
    days: u32,
) -> Vec<TrendPoint> {
    let mut history: HashMap<i64, Vec<(i64, FindingState)>> = HashMap::new();
    for c in changes {
        history.entry(c.finding.0).or_default().push((c.at_ms, c.state));
    }
    for list in history.values_mut() {
        // Stable: changes at the same instant keep their recorded order.
        list.sort_by_key(|(at, _)| *at);
    }
    let today_start = now_ms.div_euclid(DAY_MS) * DAY_MS;
    (0..i64::from(days))
        .rev()
        .map(|back| {
            let day_start = today_start - back * DAY_MS;
            let at = (day_start + DAY_MS - 1).min(now_ms);
            let mut point = TrendPoint {
                date: date(day_start),
                critical: 0,
                high: 0,
                medium: 0,
                low: 0,
                unknown: 0,
                informational: 0,
            };
            for f in findings {
                if f.first_seen_at_ms > at || f.fixed_at_ms.is_some_and(|fixed| fixed <= at) {
                    continue;
                }
                let state = history
                    .get(&f.id.0)
                    .and_then(|h| h.iter().take_while(|(t, _)| *t <= at).last())
                    .map_or(FindingState::Open, |(_, s)| *s);
                if !matches!(state, FindingState::Open | FindingState::Acknowledged) {
                    continue;
                }
                if f.kind != "vulnerability" {
                    point.informational += 1;
                    continue;
                }
                match severity_label(&f.severity) {
                    "critical" => point.critical += 1,
                    "high" => point.high += 1,
                    "medium" => point.medium += 1,
                    "low" => point.low += 1,
                    _ => point.unknown += 1,
                }
            }
            point
        })
        .collect()
}
