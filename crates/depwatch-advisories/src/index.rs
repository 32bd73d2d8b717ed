//! The in-memory advisory index: records keyed by (ecosystem, normalized name), with every
//! range's events parsed and sorted once so matching is a few comparisons per candidate.

use crate::alias::AliasGroups;
use crate::osv::{Advisory, Event, RangeKind};
use crate::severity::{record_severity, SeverityProblem};
use crate::version::{Version, VersionError};
use depwatch_core::{Diagnostic, Ecosystem, FindingKind, RangeEvent, Severity};
use rustc_hash::FxHashMap;
use std::cmp::Ordering;
use std::sync::OnceLock;

/// One event bound, ordered `Zero < Version < Infinity`.
#[derive(Debug, Clone)]
pub(crate) enum Bound {
    /// `introduced: "0"`: below every version.
    Zero,
    At(Version),
    /// `limit: "*"`: above every version.
    Infinity,
}

impl Bound {
    fn compare(&self, other: &Bound) -> Ordering {
        match (self, other) {
            (Bound::Zero, Bound::Zero) | (Bound::Infinity, Bound::Infinity) => Ordering::Equal,
            (Bound::Zero, _) | (_, Bound::Infinity) => Ordering::Less,
            (_, Bound::Zero) | (Bound::Infinity, _) => Ordering::Greater,
            // Both parsed with one ecosystem's rules, so they always compare.
            (Bound::At(a), Bound::At(b)) => a.compare(b).unwrap_or(Ordering::Equal),
        }
    }

    /// `v` against this bound.
    pub(crate) fn cmp_version(&self, v: &Version) -> Result<Ordering, VersionError> {
        match self {
            Bound::Zero => Ok(Ordering::Less),
            Bound::Infinity => Ok(Ordering::Greater),
            Bound::At(b) => b.compare(v),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventKind {
    Introduced,
    Fixed,
    LastAffected,
    Limit,
}

impl EventKind {
    /// At equal versions an `introduced` is applied first, so `introduced X, fixed X` is empty.
    fn tie_rank(self) -> u8 {
        match self {
            EventKind::Introduced => 0,
            EventKind::Fixed | EventKind::LastAffected => 1,
            EventKind::Limit => 2,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct CompiledEvent {
    pub(crate) kind: EventKind,
    pub(crate) raw: String,
    pub(crate) bound: Bound,
}

impl CompiledEvent {
    pub(crate) fn to_range_event(&self) -> RangeEvent {
        let v = self.raw.clone();
        match self.kind {
            EventKind::Introduced => RangeEvent::Introduced(v),
            EventKind::Fixed => RangeEvent::Fixed(v),
            EventKind::LastAffected => RangeEvent::LastAffected(v),
            EventKind::Limit => RangeEvent::Limit(v),
        }
    }
}

/// A SEMVER or ECOSYSTEM range, ready to evaluate.
#[derive(Debug, Clone)]
pub(crate) struct CompiledRange {
    pub(crate) semver: bool,
    /// The rules the events were parsed with (and the installed version must be parsed with).
    pub(crate) rules: Ecosystem,
    /// Sorted by the ecosystem's order.
    pub(crate) events: Vec<CompiledEvent>,
    /// Why the range cannot be evaluated (an event version that does not parse), if so.
    pub(crate) unusable: Option<String>,
}

/// One `affected[]` entry of a supported ecosystem.
#[derive(Debug, Clone)]
pub(crate) struct CompiledEntry {
    /// Index in the record's `affected[]`.
    pub(crate) affected: usize,
    /// `versions[]`, parsed where possible, sorted; unparsable ones kept as strings.
    pub(crate) versions: Vec<Version>,
    pub(crate) raw_versions: Vec<String>,
    pub(crate) ranges: Vec<CompiledRange>,
}

/// A record in the index.
#[derive(Debug, Clone)]
pub(crate) struct IndexedRecord {
    pub(crate) advisory: Advisory,
    pub(crate) kind: FindingKind,
    pub(crate) group: usize,
    /// The record's severity through any entry (the alias fallback uses it), with the vectors
    /// that could not be scored: computed on first use, like `entry_severity`.
    pub(crate) severity: OnceLock<(Severity, Vec<SeverityProblem>)>,
    /// Severity through each `affected` entry, by index: scored on the first match of the
    /// record and kept, since CVSS v4 scoring is too slow for the matching hot path and most
    /// records loaded for a scan never match.
    pub(crate) entry_severity: OnceLock<Vec<Severity>>,
}

/// Where one package's entries live: record number and entry.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub(crate) record: usize,
    pub(crate) entry: CompiledEntry,
}

/// Counts from building an index, for an import summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct IndexStats {
    /// Records indexed (not withdrawn).
    pub records: usize,
    pub withdrawn: usize,
    /// `affected` entries of ecosystems depwatch does not handle, or with a registry suffix.
    pub entries_ignored: usize,
    /// Distinct (ecosystem, name) keys.
    pub packages: usize,
    /// Ranges left out because they are invalid (no `introduced`, malformed events).
    pub invalid_ranges: usize,
    /// Ranges with an event version that does not parse: they yield Unknown, not a miss.
    pub unusable_ranges: usize,
}

/// Advisories indexed by (ecosystem, normalized package name).
#[derive(Debug, Default)]
pub struct AdvisoryIndex {
    pub(crate) records: Vec<IndexedRecord>,
    /// Per ecosystem, so a lookup by `&str` needs no allocation. Fx hashing: the keys come from
    /// the advisory database, and a scan looks up every package name of a lockfile.
    pub(crate) by_package: FxHashMap<Ecosystem, FxHashMap<String, Vec<Candidate>>>,
    /// Sorted ids of each alias group.
    pub(crate) groups: Vec<Vec<String>>,
    /// Records of each alias group, by record number.
    pub(crate) group_records: Vec<Vec<usize>>,
    pub(crate) stats: IndexStats,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

/// The version rules a range type uses: SEMVER ranges are SemVer 2.0 whatever the ecosystem
/// (Go's and npm's parsers accept their ecosystems' spellings of it).
pub(crate) fn range_rules(ecosystem: Ecosystem, semver: bool) -> Ecosystem {
    match (semver, ecosystem) {
        (false, e) | (true, e @ (Ecosystem::Go | Ecosystem::Npm)) => e,
        (true, _) => Ecosystem::CratesIo,
    }
}

fn informational_kind(advisory: &Advisory) -> FindingKind {
    match advisory.informational() {
        None => FindingKind::Vulnerability,
        Some("unmaintained") => FindingKind::Unmaintained,
        Some("unsound") => FindingKind::Unsound,
        // `notice` and any class added later: informational, never an alert.
        Some(_) => FindingKind::Notice,
    }
}

/// Why an event could not be compiled.
enum EventProblem {
    /// Not exactly one field: the range is invalid and ignored.
    Malformed,
    /// The version does not parse: the range yields Unknown.
    Unparsable(VersionError),
}

fn compile_event(event: &Event, rules: Ecosystem) -> Result<CompiledEvent, EventProblem> {
    let fields = [
        (EventKind::Introduced, &event.introduced),
        (EventKind::Fixed, &event.fixed),
        (EventKind::LastAffected, &event.last_affected),
        (EventKind::Limit, &event.limit),
    ];
    let mut set = fields.iter().filter_map(|(k, v)| v.as_ref().map(|v| (*k, v)));
    let (Some((kind, raw)), None) = (set.next(), set.next()) else {
        return Err(EventProblem::Malformed);
    };
    let bound = match (kind, raw.as_str()) {
        (EventKind::Introduced, "0") => Bound::Zero,
        (EventKind::Limit, "*") => Bound::Infinity,
        _ => Bound::At(Version::parse(rules, raw).map_err(EventProblem::Unparsable)?),
    };
    Ok(CompiledEvent { kind, raw: raw.clone(), bound })
}

impl AdvisoryIndex {
    /// Builds the index. Withdrawn records are left out; records that share ids through
    /// `aliases` are grouped. Input order does not matter: records are sorted by id first.
    pub fn from_records(records: impl IntoIterator<Item = Advisory>) -> AdvisoryIndex {
        let mut all: Vec<Advisory> = records.into_iter().collect();
        all.sort_by(|a, b| a.id.cmp(&b.id).then_with(|| b.modified.cmp(&a.modified)));
        // The same id twice (two exports overlapping): keep the newest `modified`.
        all.dedup_by(|later, first| later.id == first.id);

        let mut index = AdvisoryIndex::default();
        let mut aliases = AliasGroups::default();
        for advisory in all {
            if advisory.is_withdrawn() {
                index.stats.withdrawn += 1;
                continue;
            }
            aliases.link(&advisory.id, &advisory.aliases);
            let record = index.records.len();
            index.add_entries(record, &advisory);
            let kind = informational_kind(&advisory);
            index.records.push(IndexedRecord {
                advisory,
                kind,
                group: 0,
                severity: OnceLock::new(),
                entry_severity: OnceLock::new(),
            });
        }
        let (by_id, groups) = aliases.finish();
        index.group_records = vec![Vec::new(); groups.len()];
        for (n, r) in index.records.iter_mut().enumerate() {
            r.group = by_id.get(&r.advisory.id).copied().unwrap_or(0);
            if let Some(list) = index.group_records.get_mut(r.group) {
                list.push(n);
            }
        }
        index.groups = groups;
        index.stats.records = index.records.len();
        index.stats.packages = index.by_package.values().map(FxHashMap::len).sum();
        if index.stats.withdrawn > 0 {
            index.diagnostics.push(Diagnostic::info(
                "advisories",
                format!("{} withdrawn advisories are ignored", index.stats.withdrawn),
            ));
        }
        index
    }

    fn add_entries(&mut self, record: usize, advisory: &Advisory) {
        for (i, affected) in advisory.affected.iter().enumerate() {
            let Some(key) = affected.package.as_ref().and_then(|p| p.key()) else {
                if affected.package.is_some() {
                    self.stats.entries_ignored += 1;
                }
                continue;
            };
            if key.suffix.is_some() {
                // Another registry (`Maven:https://maven.google.com`): lockfile packages come
                // from the central registry, so this entry does not apply to them.
                self.stats.entries_ignored += 1;
                continue;
            }
            let eco = key.ecosystem;
            let mut versions = Vec::new();
            let mut raw_versions = Vec::new();
            for v in &affected.versions {
                match Version::parse(eco, v) {
                    Ok(p) => versions.push(p),
                    Err(_) => raw_versions.push(v.clone()),
                }
            }
            versions.sort_by(|a, b| a.compare(b).unwrap_or(Ordering::Equal));
            let mut ranges = Vec::new();
            for (r, range) in affected.ranges.iter().enumerate() {
                let semver = match range.range_kind() {
                    RangeKind::Semver => true,
                    RangeKind::Ecosystem => false,
                    // GIT ranges name commits, not package versions; unknown types are skipped.
                    RangeKind::Git | RangeKind::Other => continue,
                };
                let rules = range_rules(eco, semver);
                let mut events = Vec::with_capacity(range.events.len());
                let mut unusable = None;
                let mut invalid = None;
                for event in &range.events {
                    match compile_event(event, rules) {
                        Ok(e) => events.push(e),
                        Err(EventProblem::Malformed) => {
                            invalid = Some(
                                "an event must have exactly one of introduced, fixed, \
                                 last_affected, limit"
                                    .to_owned(),
                            );
                        }
                        Err(EventProblem::Unparsable(e)) => {
                            unusable.get_or_insert(e.to_string());
                        }
                    }
                }
                let has_introduced = range.events.iter().any(|e| e.introduced.is_some());
                if invalid.is_none() && !has_introduced {
                    invalid = Some("the range has no `introduced` event".to_owned());
                }
                let at = format!("{} affected[{i}].ranges[{r}]", advisory.id);
                if let Some(reason) = invalid {
                    self.stats.invalid_ranges += 1;
                    self.diagnostics
                        .push(Diagnostic::warning(at, format!("range ignored: {reason}")));
                    continue;
                }
                if let Some(reason) = &unusable {
                    self.stats.unusable_ranges += 1;
                    self.diagnostics.push(Diagnostic::warning(
                        at,
                        format!("range cannot be evaluated, matches report Unknown: {reason}"),
                    ));
                }
                events.sort_by(|a, b| {
                    a.bound.compare(&b.bound).then(a.kind.tie_rank().cmp(&b.kind.tie_rank()))
                });
                ranges.push(CompiledRange { semver, rules, events, unusable });
            }
            let entry = CompiledEntry { affected: i, versions, raw_versions, ranges };
            self.by_package
                .entry(eco)
                .or_default()
                .entry(key.name)
                .or_default()
                .push(Candidate { record, entry });
        }
    }

    /// Counts from building the index.
    pub fn stats(&self) -> &IndexStats {
        &self.stats
    }

    /// Problems found while indexing (invalid or unusable ranges, withdrawn records).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// Number of indexed (not withdrawn) records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Every indexed record.
    pub fn advisories(&self) -> impl Iterator<Item = &Advisory> {
        self.records.iter().map(|r| &r.advisory)
    }

    /// The ecosystems that have at least one indexed entry.
    pub fn ecosystems(&self) -> impl Iterator<Item = Ecosystem> + '_ {
        self.by_package.iter().filter(|(_, names)| !names.is_empty()).map(|(eco, _)| *eco)
    }

    /// The (ecosystem, normalized name) keys that have advisories.
    pub fn packages(&self) -> impl Iterator<Item = (Ecosystem, &str)> {
        self.by_package
            .iter()
            .flat_map(|(eco, names)| names.keys().map(move |n| (*eco, n.as_str())))
    }

    /// The severity of `record` as matched through `entries` (the highest among them).
    pub(crate) fn severity_of(&self, record: usize, entries: &[usize]) -> Severity {
        let Some(r) = self.records.get(record) else { return Severity::unknown() };
        let by_entry =
            r.entry_severity.get_or_init(|| entry_severities(&r.advisory, r.record_severity()));
        entries
            .iter()
            .filter_map(|&i| by_entry.get(i))
            .max_by(|a, b| higher(a, b))
            .cloned()
            .unwrap_or_else(|| r.record_severity().clone())
    }
}

impl IndexedRecord {
    fn scored(&self) -> &(Severity, Vec<SeverityProblem>) {
        self.severity.get_or_init(|| {
            let every_entry: Vec<usize> = (0..self.advisory.affected.len()).collect();
            record_severity(&self.advisory, &every_entry)
        })
    }

    /// The record's severity through any entry.
    pub(crate) fn record_severity(&self) -> &Severity {
        &self.scored().0
    }

    /// One warning per severity vector of the record that cannot be scored.
    pub(crate) fn scoring_diagnostics(&self) -> impl Iterator<Item = Diagnostic> + '_ {
        self.scored().1.iter().map(|p| {
            Diagnostic::warning(
                self.advisory.id.clone(),
                format!("severity vector `{}` cannot be scored: {}", p.vector, p.reason),
            )
        })
    }
}

/// The severity through each `affected` entry. An entry without vectors of its own scores as
/// the record's top level does: that is scored once.
fn entry_severities(advisory: &Advisory, record: &Severity) -> Vec<Severity> {
    let own_vectors = |a: &crate::osv::Affected| {
        !a.severity.is_empty()
            || a.database_specific.as_ref().is_some_and(|d| d.get("cvss").is_some())
    };
    let top_level = if advisory.affected.iter().any(own_vectors) {
        record_severity(advisory, &[]).0
    } else {
        record.clone()
    };
    advisory
        .affected
        .iter()
        .enumerate()
        .map(
            |(i, a)| {
                if own_vectors(a) {
                    record_severity(advisory, &[i]).0
                } else {
                    top_level.clone()
                }
            },
        )
        .collect()
}

/// Orders severities by rating, then score.
pub(crate) fn higher(a: &Severity, b: &Severity) -> Ordering {
    a.rating.cmp(&b.rating).then_with(|| {
        a.score.unwrap_or(0.0).partial_cmp(&b.score.unwrap_or(0.0)).unwrap_or(Ordering::Equal)
    })
}
