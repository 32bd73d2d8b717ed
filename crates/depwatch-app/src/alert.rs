//! Which finding events become desktop notifications, and how they are grouped.
//!
//! Pure policy: the shell collects the finding events of a short window into a batch, asks
//! [`AlertPlanner::plan`] what to show, and delivers the answers with the platform's
//! notification service. Baselines (the historical scan) never notify; a push with new findings
//! gives one notification naming its worst advisory; many at once give one digest; quiet hours
//! hold everything back until they end, then deliver one digest.

use crate::event::{Event, FindingOrigin, FindingSummary};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Severity ranks, worst first, as findings store them.
const SEVERITY_ORDER: [&str; 5] = ["critical", "high", "medium", "low", "unknown"];

/// Rank of a severity string: 0 = critical … 4 = unknown (and anything unrecognised).
pub fn severity_rank(severity: &str) -> usize {
    SEVERITY_ORDER.iter().position(|s| *s == severity).unwrap_or(SEVERITY_ORDER.len() - 1)
}

/// Quiet hours in local time; `start > end` spans midnight (22:00–07:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietHours {
    /// Minutes after local midnight.
    pub start_minute: u16,
    pub end_minute: u16,
}

impl QuietHours {
    /// Parses `HH:MM` bounds as the settings screen writes them.
    pub fn parse(start: &str, end: &str) -> Option<QuietHours> {
        Some(QuietHours { start_minute: minute_of_day(start)?, end_minute: minute_of_day(end)? })
    }

    /// Whether `minute` (minutes after local midnight) falls inside the quiet hours.
    pub fn contains(&self, minute: u16) -> bool {
        match self.start_minute.cmp(&self.end_minute) {
            std::cmp::Ordering::Equal => false,
            std::cmp::Ordering::Less => (self.start_minute..self.end_minute).contains(&minute),
            std::cmp::Ordering::Greater => minute >= self.start_minute || minute < self.end_minute,
        }
    }
}

fn minute_of_day(text: &str) -> Option<u16> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// What the user asked to be told about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertPolicy {
    /// `critical`, `high`, `medium`, `low` or `unknown`: findings below it stay silent.
    pub minimum_severity: String,
    /// More findings than this in one batch become one digest.
    pub digest_threshold: usize,
    pub quiet_hours: Option<QuietHours>,
    /// Also notify for unmaintained / unsound / notice.
    pub include_informational: bool,
}

impl Default for AlertPolicy {
    fn default() -> Self {
        AlertPolicy {
            minimum_severity: "low".to_owned(),
            digest_threshold: 5,
            quiet_hours: None,
            include_informational: false,
        }
    }
}

/// How insistent a notification is (maps to the platform's urgency where there is one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Urgency {
    Low,
    Normal,
    Critical,
}

fn urgency_of(severity: &str, kind: &str) -> Urgency {
    if kind != "vulnerability" {
        return Urgency::Low;
    }
    match severity_rank(severity) {
        0 | 1 => Urgency::Critical,
        2 => Urgency::Normal,
        _ => Urgency::Low,
    }
}

/// One notification to show.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    pub title: String,
    pub body: String,
    pub urgency: Urgency,
    /// Finding the notification opens when clicked: the worst one it mentions.
    pub open_finding: i64,
    /// Every finding it stands for: when all are fixed the notification can be withdrawn.
    pub finding_ids: Vec<i64>,
}

/// A finding that may be worth a notification, with why it appeared.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub origin: FindingOrigin,
    pub finding: FindingSummary,
}

impl Candidate {
    /// The candidate an event carries: new findings from pushes and advisory refreshes. The
    /// historical scan is a baseline, and fixes are handled by [`AlertPlanner::fixed`].
    pub fn from_event(event: &Event) -> Option<Candidate> {
        match event {
            Event::FindingIntroduced { origin, finding }
                if *origin != FindingOrigin::HistoricalScan =>
            {
                Some(Candidate { origin: *origin, finding: finding.clone() })
            }
            _ => None,
        }
    }
}

/// Turns batches of candidates into notifications, holding them through quiet hours.
#[derive(Debug, Default)]
pub struct AlertPlanner {
    held: Vec<Candidate>,
}

impl AlertPlanner {
    pub fn new() -> AlertPlanner {
        AlertPlanner::default()
    }

    /// Findings waiting for the quiet hours to end.
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// The notifications for one batch, at `minute` local time. Inside quiet hours the batch is
    /// held and nothing is returned; the first call outside them delivers what was held as one
    /// digest (plus the batch itself).
    pub fn plan(&mut self, batch: Vec<Candidate>, policy: &AlertPolicy, minute: u16) -> Vec<Alert> {
        let wanted: Vec<Candidate> = batch.into_iter().filter(|c| is_wanted(c, policy)).collect();
        if policy.quiet_hours.is_some_and(|q| q.contains(minute)) {
            self.held.extend(wanted);
            return Vec::new();
        }
        let mut alerts = Vec::new();
        if !self.held.is_empty() {
            let held = std::mem::take(&mut self.held);
            alerts.extend(digest(&held, "During quiet hours: "));
        }
        if wanted.is_empty() {
            return alerts;
        }
        let groups = group_by_push(&wanted);
        if groups.len() > 1 && wanted.len() > policy.digest_threshold {
            alerts.extend(digest(&wanted, ""));
        } else {
            alerts.extend(groups.values().filter_map(|g| per_push(g, policy)));
        }
        alerts
    }
}

fn is_wanted(c: &Candidate, policy: &AlertPolicy) -> bool {
    if c.finding.kind != "vulnerability" {
        return policy.include_informational;
    }
    severity_rank(&c.finding.severity) <= severity_rank(&policy.minimum_severity)
}

/// Groups candidates by the push (or advisory refresh) that produced them, keeping order.
fn group_by_push(
    candidates: &[Candidate],
) -> BTreeMap<(String, String, String, String), Vec<&Candidate>> {
    let mut groups: BTreeMap<_, Vec<&Candidate>> = BTreeMap::new();
    for c in candidates {
        let f = &c.finding;
        let commit = match c.origin {
            FindingOrigin::Push => f.commit_id.clone(),
            // One advisory refresh of one repository is one group, whatever the commit.
            _ => String::new(),
        };
        groups
            .entry((f.instance.clone(), f.repository.clone(), f.ref_id.clone(), commit))
            .or_default()
            .push(c);
    }
    groups
}

fn worst<'a>(candidates: impl IntoIterator<Item = &'a Candidate>) -> Option<&'a Candidate> {
    candidates.into_iter().min_by(|a, b| {
        let kind_rank = |c: &Candidate| usize::from(c.finding.kind != "vulnerability");
        (kind_rank(a), severity_rank(&a.finding.severity), &a.finding.advisory_id).cmp(&(
            kind_rank(b),
            severity_rank(&b.finding.severity),
            &b.finding.advisory_id,
        ))
    })
}

fn branch_name(ref_id: &str) -> &str {
    ref_id
        .strip_prefix("refs/heads/")
        .or_else(|| ref_id.strip_prefix("refs/tags/"))
        .unwrap_or(ref_id)
}

fn short_commit(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

fn finding_line(f: &FindingSummary) -> String {
    let what = if f.kind == "vulnerability" { f.severity.as_str() } else { f.kind.as_str() };
    let mut line = format!("{} in {} {} ({what})", f.advisory_id, f.package, f.version);
    if let Some(summary) = f.summary.as_deref().filter(|s| !s.trim().is_empty()) {
        line.push_str(": ");
        line.push_str(summary.trim());
    }
    line
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn per_push(group: &[&Candidate], policy: &AlertPolicy) -> Option<Alert> {
    let top = worst(group.iter().copied())?;
    let f = &top.finding;
    let count = group.len();
    let noun = if group.iter().all(|c| c.finding.kind != "vulnerability") {
        ("warning", "warnings")
    } else {
        ("vulnerable dependency", "vulnerable dependencies")
    };
    let what =
        if count == 1 { format!("new {}", noun.0) } else { format!("{count} new {}", noun.1) };
    let title = match top.origin {
        FindingOrigin::Push => format!("{what} in {}", f.repository),
        _ => format!("New advisory affects {}", f.repository),
    };
    let mut body = match top.origin {
        FindingOrigin::Push if f.commit_id.is_empty() => branch_name(&f.ref_id).to_owned(),
        FindingOrigin::Push => {
            format!("{} @ {}", branch_name(&f.ref_id), short_commit(&f.commit_id))
        }
        _ => branch_name(&f.ref_id).to_owned(),
    };
    if let (FindingOrigin::Push, Some(author)) = (top.origin, f.author.as_deref()) {
        body.push_str(" by ");
        body.push_str(author);
    }
    body.push('\n');
    body.push_str(&finding_line(f));
    if count > 1 {
        body.push_str(&format!("\nand {} more", count - 1));
        if count > policy.digest_threshold {
            body.push_str(" — open depwatch for the list");
        }
    }
    Some(Alert {
        title: capitalize(title),
        body,
        urgency: urgency_of(&f.severity, &f.kind),
        open_finding: f.finding_id,
        finding_ids: group.iter().map(|c| c.finding.finding_id).collect(),
    })
}

fn digest(candidates: &[Candidate], prefix: &str) -> Option<Alert> {
    let top = worst(candidates)?;
    let mut repositories: Vec<&str> =
        candidates.iter().map(|c| c.finding.repository.as_str()).collect();
    repositories.sort_unstable();
    repositories.dedup();
    let title = format!(
        "{prefix}{} in {}",
        plural(candidates.len(), "new finding", "new findings"),
        plural(repositories.len(), "repository", "repositories")
    );
    let mut per_severity: BTreeMap<usize, usize> = BTreeMap::new();
    for c in candidates.iter().filter(|c| c.finding.kind == "vulnerability") {
        *per_severity.entry(severity_rank(&c.finding.severity)).or_default() += 1;
    }
    let informational = candidates.iter().filter(|c| c.finding.kind != "vulnerability").count();
    let mut counts: Vec<String> =
        per_severity.iter().map(|(rank, n)| format!("{n} {}", SEVERITY_ORDER[*rank])).collect();
    if informational > 0 {
        counts.push(plural(informational, "warning", "warnings"));
    }
    let body = format!(
        "{}\nWorst: {} ({})",
        counts.join(", "),
        finding_line(&top.finding),
        top.finding.repository
    );
    Some(Alert {
        title: capitalize(title),
        body,
        urgency: candidates
            .iter()
            .map(|c| urgency_of(&c.finding.severity, &c.finding.kind))
            .max_by_key(|u| *u as u8)
            .unwrap_or(Urgency::Low),
        open_finding: top.finding.finding_id,
        finding_ids: candidates.iter().map(|c| c.finding.finding_id).collect(),
    })
}

fn capitalize(text: String) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

/// Which shown notifications can be withdrawn because every finding they mention was fixed.
#[derive(Debug, Default)]
pub struct Withdrawals {
    open: BTreeMap<u32, std::collections::BTreeSet<i64>>,
}

impl Withdrawals {
    /// Remembers that notification `id` (the platform's) stands for `findings`.
    pub fn record(&mut self, id: u32, findings: &[i64]) {
        // A platform may reuse ids; the newest notification wins.
        self.open.insert(id, findings.iter().copied().collect());
        // Bounded: the oldest notifications are long gone from the screen anyway.
        while self.open.len() > 256 {
            self.open.pop_first();
        }
    }

    /// A finding was fixed: the notifications that have nothing left to report.
    pub fn fixed(&mut self, finding: i64) -> Vec<u32> {
        let mut done = Vec::new();
        self.open.retain(|id, findings| {
            if findings.remove(&finding) && findings.is_empty() {
                done.push(*id);
                return false;
            }
            true
        });
        done
    }
}

/// Where alerts go: the platform's notification service, or a test's list.
pub trait AlertSink: Send + 'static {
    fn show(&mut self, alert: Alert);
    /// A finding disappeared (fixed by a push); the sink may withdraw what it showed.
    fn fixed(&mut self, finding_id: i64);
}

/// How long the dispatcher gathers events into one batch.
#[derive(Debug, Clone, Copy)]
pub struct BatchTiming {
    /// A batch closes after this long without a new candidate…
    pub settle: std::time::Duration,
    /// …or this long after its first candidate, whichever comes first.
    pub max_delay: std::time::Duration,
}

impl Default for BatchTiming {
    fn default() -> Self {
        BatchTiming {
            settle: std::time::Duration::from_millis(1500),
            max_delay: std::time::Duration::from_secs(6),
        }
    }
}

/// Turns the app's event stream into notifications until the stream closes: gathers the
/// candidates of a push (or of a burst of pushes) into one batch, plans it with the policy
/// current at that moment, and flushes held alerts once quiet hours end.
/// `local_minute` gives the minutes after local midnight.
pub async fn dispatch_alerts<S, P, M>(
    mut events: tokio::sync::broadcast::Receiver<Event>,
    policy: P,
    local_minute: M,
    mut sink: S,
    timing: BatchTiming,
) where
    S: AlertSink,
    P: Fn() -> AlertPolicy,
    M: Fn() -> u16,
{
    use tokio::sync::broadcast::error::RecvError;
    use tokio::time::{sleep_until, Instant};

    let mut planner = AlertPlanner::new();
    let mut batch: Vec<Candidate> = Vec::new();
    let mut first_at = Instant::now();
    let mut deadline = Instant::now();
    // Held alerts are re-planned once a minute so they go out when quiet hours end.
    let mut held_check = Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let wake = if batch.is_empty() { held_check } else { deadline.min(held_check) };
        tokio::select! {
            received = events.recv() => match received {
                Ok(Event::FindingFixed { finding, .. }) => sink.fixed(finding.finding_id),
                Ok(event) => {
                    if let Some(candidate) = Candidate::from_event(&event) {
                        let now = Instant::now();
                        if batch.is_empty() {
                            first_at = now;
                        }
                        batch.push(candidate);
                        deadline = (now + timing.settle).min(first_at + timing.max_delay);
                    }
                }
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(skipped = n, "alert dispatcher fell behind; some findings were not notified");
                }
                Err(RecvError::Closed) => break,
            },
            () = sleep_until(wake) => {
                if !batch.is_empty() && Instant::now() >= deadline {
                    for alert in planner.plan(std::mem::take(&mut batch), &policy(), local_minute()) {
                        sink.show(alert);
                    }
                }
                if Instant::now() >= held_check {
                    held_check = Instant::now() + std::time::Duration::from_secs(60);
                    if planner.held() > 0 {
                        for alert in planner.plan(Vec::new(), &policy(), local_minute()) {
                            sink.show(alert);
                        }
                    }
                }
            }
        }
    }
    if !batch.is_empty() {
        for alert in planner.plan(batch, &policy(), local_minute()) {
            sink.show(alert);
        }
    }
}

/// How things stand overall: the tray icon's colour and tooltip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Standing {
    pub level: StandingLevel,
    /// One line: `3 critical, 1 high, 2 warnings` or `No open findings`.
    pub summary: String,
}

/// Green, amber or red.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StandingLevel {
    /// Nothing open.
    Clear,
    /// Medium, low or unrated vulnerabilities, or informational warnings.
    Warning,
    /// A critical or high vulnerability is open (acknowledged ones count: they stay red).
    Alert,
}

impl Standing {
    /// Sums open and acknowledged findings per kind and severity.
    pub fn from_tally(tally: &[depwatch_store::FindingTally]) -> Standing {
        let mut per_severity = [0u64; SEVERITY_ORDER.len()];
        let mut warnings = 0u64;
        for t in tally {
            if t.kind == "vulnerability" {
                if let Some(slot) = per_severity.get_mut(severity_rank(&t.severity)) {
                    *slot += t.count;
                }
            } else {
                warnings += t.count;
            }
        }
        let level = if per_severity[0] + per_severity[1] > 0 {
            StandingLevel::Alert
        } else if per_severity.iter().sum::<u64>() + warnings > 0 {
            StandingLevel::Warning
        } else {
            StandingLevel::Clear
        };
        let mut parts: Vec<String> = per_severity
            .iter()
            .zip(SEVERITY_ORDER)
            .filter(|(n, _)| **n > 0)
            .map(|(n, name)| format!("{n} {name}"))
            .collect();
        if warnings > 0 {
            parts.push(if warnings == 1 {
                "1 warning".to_owned()
            } else {
                format!("{warnings} warnings")
            });
        }
        let summary =
            if parts.is_empty() { "No open findings".to_owned() } else { parts.join(", ") };
        Standing { level, summary }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(id: i64, repo: &str, commit: &str, severity: &str, kind: &str) -> FindingSummary {
        FindingSummary {
            finding_id: id,
            instance: "corp".into(),
            repository: repo.into(),
            ref_id: "refs/heads/main".into(),
            commit_id: commit.into(),
            advisory_id: format!("GHSA-{id:04}"),
            package: "lodash".into(),
            version: "4.17.20".into(),
            severity: severity.into(),
            kind: kind.into(),
            summary: Some("Prototype pollution".into()),
            manifest: "package-lock.json".into(),
            author: Some("Jane Doe".into()),
        }
    }

    fn push(f: FindingSummary) -> Candidate {
        Candidate { origin: FindingOrigin::Push, finding: f }
    }

    #[test]
    fn historical_scan_findings_never_become_candidates() {
        let f = finding(1, "SHOP/web", "abc", "critical", "vulnerability");
        let scan =
            Event::FindingIntroduced { origin: FindingOrigin::HistoricalScan, finding: f.clone() };
        let pushed = Event::FindingIntroduced { origin: FindingOrigin::Push, finding: f.clone() };
        let fixed = Event::FindingFixed { origin: FindingOrigin::Push, finding: f };
        assert_eq!(Candidate::from_event(&scan), None);
        assert_eq!(Candidate::from_event(&fixed), None);
        assert!(Candidate::from_event(&pushed).is_some());
    }

    #[test]
    fn one_push_gives_one_notification_naming_the_worst_advisory() {
        let mut planner = AlertPlanner::new();
        let batch = vec![
            push(finding(1, "SHOP/web", "0123456789abcdef", "medium", "vulnerability")),
            push(finding(2, "SHOP/web", "0123456789abcdef", "critical", "vulnerability")),
        ];
        let alerts = planner.plan(batch, &AlertPolicy::default(), 600);
        assert_eq!(alerts.len(), 1);
        let a = &alerts[0];
        assert_eq!(a.title, "2 new vulnerable dependencies in SHOP/web");
        assert_eq!(
            a.body,
            "main @ 0123456789ab by Jane Doe\nGHSA-0002 in lodash 4.17.20 (critical): Prototype pollution\nand 1 more"
        );
        assert_eq!(a.urgency, Urgency::Critical);
        assert_eq!(a.open_finding, 2);
        assert_eq!(a.finding_ids, vec![1, 2]);
    }

    #[test]
    fn findings_below_the_minimum_severity_and_informational_ones_stay_silent() {
        let mut planner = AlertPlanner::new();
        let policy = AlertPolicy { minimum_severity: "high".into(), ..AlertPolicy::default() };
        let batch = vec![
            push(finding(1, "SHOP/web", "c1", "medium", "vulnerability")),
            push(finding(2, "SHOP/web", "c1", "unknown", "unmaintained")),
        ];
        assert!(planner.plan(batch.clone(), &policy, 600).is_empty());
        let policy = AlertPolicy { include_informational: true, ..policy };
        let alerts = planner.plan(batch, &policy, 600);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].title, "New warning in SHOP/web");
        assert_eq!(alerts[0].urgency, Urgency::Low);
    }

    #[test]
    fn many_pushes_at_once_become_one_digest() {
        let mut planner = AlertPlanner::new();
        let policy = AlertPolicy { digest_threshold: 3, ..AlertPolicy::default() };
        let batch: Vec<Candidate> = (1..=6)
            .map(|i| {
                let severity = if i == 4 { "high" } else { "low" };
                push(finding(
                    i,
                    &format!("SHOP/repo{}", i % 3),
                    &format!("c{i}"),
                    severity,
                    "vulnerability",
                ))
            })
            .collect();
        let alerts = planner.plan(batch, &policy, 600);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].title, "6 new findings in 3 repositories");
        assert!(
            alerts[0].body.starts_with("1 high, 5 low\nWorst: GHSA-0004"),
            "{}",
            alerts[0].body
        );
        assert_eq!(alerts[0].urgency, Urgency::Critical);
        assert_eq!(alerts[0].open_finding, 4);
    }

    #[test]
    fn a_few_pushes_below_the_threshold_notify_one_by_one() {
        let mut planner = AlertPlanner::new();
        let batch = vec![
            push(finding(1, "SHOP/web", "c1", "high", "vulnerability")),
            push(finding(2, "SHOP/api", "c2", "high", "vulnerability")),
        ];
        let alerts = planner.plan(batch, &AlertPolicy::default(), 600);
        let titles: Vec<&str> = alerts.iter().map(|a| a.title.as_str()).collect();
        assert_eq!(
            titles,
            ["New vulnerable dependency in SHOP/api", "New vulnerable dependency in SHOP/web"]
        );
    }

    #[test]
    fn a_push_without_a_known_commit_names_only_the_branch() {
        let mut planner = AlertPlanner::new();
        let hit = push(finding(9, "SHOP/web", "", "high", "vulnerability"));
        let alerts = planner.plan(vec![hit], &AlertPolicy::default(), 600);
        assert_eq!(alerts[0].body.lines().next(), Some("main by Jane Doe"));
    }

    #[test]
    fn quiet_hours_hold_alerts_and_deliver_one_digest_afterwards() {
        let mut planner = AlertPlanner::new();
        let policy = AlertPolicy {
            quiet_hours: QuietHours::parse("22:00", "07:00"),
            ..AlertPolicy::default()
        };
        let at_night = 23 * 60;
        let early = 6 * 60 + 59;
        let morning = 7 * 60;
        assert!(planner
            .plan(
                vec![push(finding(1, "SHOP/web", "c1", "high", "vulnerability"))],
                &policy,
                at_night
            )
            .is_empty());
        assert!(planner
            .plan(vec![push(finding(2, "SHOP/api", "c2", "low", "vulnerability"))], &policy, early)
            .is_empty());
        assert_eq!(planner.held(), 2);
        let alerts = planner.plan(Vec::new(), &policy, morning);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].title, "During quiet hours: 2 new findings in 2 repositories");
        assert_eq!(alerts[0].finding_ids, vec![1, 2]);
        assert_eq!(planner.held(), 0);
    }

    #[test]
    fn standing_is_red_for_critical_or_high_amber_for_the_rest_green_when_clear() {
        let t = |kind: &str, severity: &str, count| depwatch_store::FindingTally {
            kind: kind.into(),
            severity: severity.into(),
            count,
        };
        let clear = Standing::from_tally(&[]);
        assert_eq!(
            clear,
            Standing { level: StandingLevel::Clear, summary: "No open findings".into() }
        );
        let amber =
            Standing::from_tally(&[t("vulnerability", "medium", 2), t("notice", "unknown", 1)]);
        assert_eq!(
            amber,
            Standing { level: StandingLevel::Warning, summary: "2 medium, 1 warning".into() }
        );
        let red = Standing::from_tally(&[
            t("vulnerability", "low", 1),
            t("vulnerability", "critical", 3),
            t("unsound", "unknown", 2),
            t("vulnerability", "high", 1),
        ]);
        assert_eq!(
            red,
            Standing {
                level: StandingLevel::Alert,
                summary: "3 critical, 1 high, 1 low, 2 warnings".into()
            }
        );
    }

    #[test]
    fn a_notification_is_withdrawn_once_all_its_findings_are_fixed() {
        let mut w = Withdrawals::default();
        w.record(10, &[1, 2]);
        w.record(11, &[3]);
        assert!(w.fixed(1).is_empty());
        assert!(w.fixed(99).is_empty());
        assert_eq!(w.fixed(2), vec![10]);
        assert!(w.fixed(2).is_empty(), "withdrawn once");
        assert_eq!(w.fixed(3), vec![11]);
    }

    #[derive(Clone, Default)]
    struct Recorder(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

    impl AlertSink for Recorder {
        fn show(&mut self, alert: Alert) {
            self.0.lock().unwrap().push(alert.title);
        }
        fn fixed(&mut self, finding_id: i64) {
            self.0.lock().unwrap().push(format!("fixed {finding_id}"));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn dispatcher_batches_a_push_skips_the_baseline_and_passes_fixes_on() {
        let hub = crate::EventHub::default();
        let recorder = Recorder::default();
        let task = tokio::spawn(dispatch_alerts(
            hub.subscribe(),
            AlertPolicy::default,
            || 600,
            recorder.clone(),
            BatchTiming::default(),
        ));
        let introduced = |origin, f| Event::FindingIntroduced { origin, finding: f };
        hub.emit(introduced(
            FindingOrigin::HistoricalScan,
            finding(1, "SHOP/web", "c0", "critical", "vulnerability"),
        ));
        hub.emit(introduced(
            FindingOrigin::Push,
            finding(2, "SHOP/web", "c1", "high", "vulnerability"),
        ));
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        hub.emit(introduced(
            FindingOrigin::Push,
            finding(3, "SHOP/web", "c1", "low", "vulnerability"),
        ));
        hub.emit(Event::FindingFixed {
            origin: FindingOrigin::Push,
            finding: finding(7, "SHOP/api", "c2", "low", "vulnerability"),
        });
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        drop(hub);
        task.await.unwrap();
        assert_eq!(
            *recorder.0.lock().unwrap(),
            ["fixed 7", "2 new vulnerable dependencies in SHOP/web"]
        );
    }

    #[test]
    fn an_advisory_hit_names_the_repository_and_branch_without_a_pusher() {
        let mut planner = AlertPlanner::new();
        let hit = Candidate {
            origin: FindingOrigin::Advisory,
            finding: finding(5, "SHOP/web", "c9", "critical", "vulnerability"),
        };
        let alerts = planner.plan(vec![hit], &AlertPolicy::default(), 600);
        assert_eq!(alerts[0].title, "New advisory affects SHOP/web");
        assert_eq!(
            alerts[0].body,
            "main\nGHSA-0005 in lodash 4.17.20 (critical): Prototype pollution"
        );
    }

    #[test]
    fn quiet_hours_parse_and_wrap_midnight() {
        let q = QuietHours::parse("22:30", "06:15").unwrap();
        assert!(q.contains(22 * 60 + 30) && q.contains(0) && q.contains(6 * 60 + 14));
        assert!(!q.contains(6 * 60 + 15) && !q.contains(12 * 60));
        let day = QuietHours::parse("12:00", "13:00").unwrap();
        assert!(day.contains(12 * 60 + 59) && !day.contains(13 * 60));
        assert!(!QuietHours::parse("08:00", "08:00").unwrap().contains(8 * 60));
        assert_eq!(QuietHours::parse("24:00", "07:00"), None);
        assert_eq!(QuietHours::parse("7", "08:00"), None);
    }
}
