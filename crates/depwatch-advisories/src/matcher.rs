//! Matching installed packages against the index, with OSV's evaluation semantics.
//!
//! Per candidate record: an exact hit in `versions[]`, or a SEMVER/ECOSYSTEM range whose
//! sorted events contain the version (`introduced`/`fixed`/`last_affected`, bounded by
//! `limit`); all `affected` entries are OR'ed; GIT and unknown range types are skipped. A
//! version or event that does not parse gives Unknown, reported as a diagnostic, never a
//! silent miss. Records linked by aliases become one finding listing every id.

use crate::index::{
    higher, AdvisoryIndex, Bound, CompiledEntry, CompiledEvent, CompiledRange, EventKind,
    IndexedRecord,
};
use crate::version::{Version, VersionError};
use depwatch_core::{
    Dependency, Diagnostic, Ecosystem, Finding, FindingKind, FixSuggestion, MatchedRange, Severity,
    SeverityRating, SeveritySource, Source,
};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// Findings and diagnostics for a set of packages.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MatchReport {
    /// Sorted by manifest, ecosystem, package, version, id.
    pub findings: Vec<Finding>,
    pub diagnostics: Vec<Diagnostic>,
}

/// The installed version parsed with each set of rules a candidate range needs.
struct Installed<'a> {
    raw: &'a str,
    parsed: Vec<(Ecosystem, Result<Version, VersionError>)>,
}

impl Installed<'_> {
    fn get(&mut self, rules: Ecosystem) -> &Result<Version, VersionError> {
        let pos = match self.parsed.iter().position(|(e, _)| *e == rules) {
            Some(p) => p,
            None => {
                self.parsed.push((rules, Version::parse(rules, self.raw)));
                self.parsed.len() - 1
            }
        };
        // `pos` is in bounds: found above or just pushed.
        &self.parsed[pos].1
    }
}

/// What one record says about one installed version.
#[derive(Default)]
struct RecordVerdict<'i> {
    matched: Vec<MatchedRange>,
    entries: Vec<usize>,
    /// Fixed events above the installed version, and last_affected events at or above it.
    fixed: Vec<&'i CompiledEvent>,
    last_affected: Vec<&'i CompiledEvent>,
    unknown: Option<String>,
}

/// `in_range` of the OSV schema's evaluation pseudocode, on events sorted by the ecosystem.
fn in_range(v: &Version, range: &CompiledRange) -> Result<bool, VersionError> {
    let mut limited = false;
    let mut below_a_limit = false;
    for e in range.events.iter().filter(|e| e.kind == EventKind::Limit) {
        limited = true;
        if e.bound.cmp_version(v)? == Ordering::Greater {
            below_a_limit = true;
        }
    }
    if limited && !below_a_limit {
        return Ok(false);
    }
    let mut affected = false;
    for e in &range.events {
        let bound_vs_v = e.bound.cmp_version(v)?;
        match e.kind {
            EventKind::Introduced if bound_vs_v != Ordering::Greater => affected = true,
            EventKind::Fixed if bound_vs_v != Ordering::Greater => affected = false,
            EventKind::LastAffected if bound_vs_v == Ordering::Less => affected = false,
            _ => {}
        }
    }
    Ok(affected)
}

/// Fix candidates of one range for the installed version.
fn collect_fixes<'i>(v: &Version, range: &'i CompiledRange, verdict: &mut RecordVerdict<'i>) {
    for e in &range.events {
        let Ok(ord) = e.bound.cmp_version(v) else { continue };
        match e.kind {
            EventKind::Fixed if ord == Ordering::Greater => verdict.fixed.push(e),
            EventKind::LastAffected if ord != Ordering::Less => verdict.last_affected.push(e),
            _ => {}
        }
    }
}

fn evaluate_entry<'i>(
    id: &str,
    entry: &'i CompiledEntry,
    installed: &mut Installed<'_>,
    ecosystem: Ecosystem,
    verdict: &mut RecordVerdict<'i>,
) {
    let raw = installed.raw;
    let mut hit = false;
    if !entry.versions.is_empty() || !entry.raw_versions.is_empty() {
        let listed = match installed.get(ecosystem) {
            Ok(v) => {
                entry.versions.binary_search_by(|x| x.compare(v).unwrap_or(Ordering::Less)).is_ok()
            }
            Err(e) => {
                // Only an exact string can still match; if none does, the answer is Unknown.
                if !entry.versions.is_empty() {
                    verdict.unknown.get_or_insert_with(|| e.to_string());
                }
                false
            }
        } || entry.raw_versions.iter().any(|r| r == raw);
        if listed {
            hit = true;
            verdict.matched.push(MatchedRange::Versions { advisory: id.to_owned() });
        }
    }
    let mut hit_ranges: Vec<&CompiledRange> = Vec::new();
    for range in &entry.ranges {
        if let Some(reason) = &range.unusable {
            verdict.unknown.get_or_insert_with(|| reason.clone());
            continue;
        }
        let v = match installed.get(range.rules) {
            Ok(v) => v,
            Err(e) => {
                verdict.unknown.get_or_insert_with(|| e.to_string());
                continue;
            }
        };
        if !v.is_rangeable() {
            verdict.unknown.get_or_insert_with(|| {
                format!("`{raw}` is a legacy (non-PEP 440) version; ranges cannot place it")
            });
            continue;
        }
        match in_range(v, range) {
            Ok(true) => {
                hit = true;
                hit_ranges.push(range);
                let events = range.events.iter().map(CompiledEvent::to_range_event).collect();
                verdict.matched.push(if range.semver {
                    MatchedRange::Semver { advisory: id.to_owned(), events }
                } else {
                    MatchedRange::Ecosystem { advisory: id.to_owned(), events }
                });
            }
            Ok(false) => {}
            Err(e) => {
                verdict.unknown.get_or_insert_with(|| e.to_string());
            }
        }
    }
    if !hit {
        return;
    }
    verdict.entries.push(entry.affected);
    // A `versions[]` hit takes its fix from the entry's ranges (PyPA lists both).
    let fix_ranges: Vec<&CompiledRange> = if hit_ranges.is_empty() {
        entry.ranges.iter().filter(|r| r.unusable.is_none()).collect()
    } else {
        hit_ranges
    };
    for range in fix_ranges {
        if let Ok(v) = installed.get(range.rules) {
            collect_fixes(v, range, verdict);
        }
    }
}

/// Lowest version among events, by their parsed order (raw text when rules differ).
fn lowest<'i>(events: &[&'i CompiledEvent]) -> Option<&'i CompiledEvent> {
    events.iter().copied().min_by(|a, b| match (&a.bound, &b.bound) {
        (Bound::At(x), Bound::At(y)) => x.compare(y).unwrap_or_else(|_| a.raw.cmp(&b.raw)),
        _ => a.raw.cmp(&b.raw),
    })
}

/// The ecosystem database's own id first (RUSTSEC, GO, PYSEC, …), then GHSA, then CVE.
fn id_rank(id: &str) -> u8 {
    if id.starts_with("CVE-") {
        2
    } else if id.starts_with("GHSA-") {
        1
    } else {
        0
    }
}

impl AdvisoryIndex {
    /// Matches one installed package version.
    pub fn match_package(
        &self,
        ecosystem: Ecosystem,
        name: &str,
        version: &str,
        manifest: &str,
    ) -> MatchReport {
        let mut report = MatchReport::default();
        let normalized;
        let key = match ecosystem {
            Ecosystem::PyPI | Ecosystem::NuGet | Ecosystem::Packagist => {
                normalized = ecosystem.normalize_name(name);
                normalized.as_str()
            }
            _ => name,
        };
        let Some(candidates) = self.by_package.get(&ecosystem).and_then(|m| m.get(key)) else {
            return report;
        };
        let mut installed = Installed { raw: version, parsed: Vec::new() };
        // Candidates of one record are adjacent (entries are added record by record).
        let mut verdicts: Vec<(usize, RecordVerdict<'_>)> = Vec::new();
        for c in candidates {
            let Some(record) = self.records.get(c.record) else { continue };
            if verdicts.last().is_none_or(|(r, _)| *r != c.record) {
                verdicts.push((c.record, RecordVerdict::default()));
            }
            if let Some((_, verdict)) = verdicts.last_mut() {
                evaluate_entry(&record.advisory.id, &c.entry, &mut installed, ecosystem, verdict);
            }
        }

        // Group hits by alias group; Unknowns only matter for groups without a hit.
        // One finding per alias group and kind: a vulnerability and an `unmaintained` notice
        // that share a CVE alias stay two alerts, as cargo-audit reports them.
        let mut hit_groups: BTreeMap<(usize, FindingKind), Vec<usize>> = BTreeMap::new();
        for (record, verdict) in &verdicts {
            let record = *record;
            if !verdict.matched.is_empty() {
                if let Some(r) = self.records.get(record) {
                    hit_groups.entry((r.group, r.kind)).or_default().push(record);
                }
            }
        }
        let mut unknown: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        let mut unknown_groups = BTreeSet::new();
        for (record, verdict) in &verdicts {
            let (Some(reason), Some(r)) = (&verdict.unknown, self.records.get(*record)) else {
                continue;
            };
            if verdict.matched.is_empty()
                && !hit_groups.keys().any(|(g, _)| *g == r.group)
                && unknown_groups.insert(r.group)
            {
                unknown.entry(reason.as_str()).or_default().push(r.advisory.id.as_str());
            }
        }
        for (reason, ids) in unknown {
            report.diagnostics.push(Diagnostic::warning(
                manifest,
                format!(
                    "cannot tell whether {ecosystem} package {name} {version} is affected by {}: {reason}",
                    ids.join(", ")
                ),
            ));
        }

        for records in hit_groups.values() {
            if let Some(f) =
                self.finding(records, &mut verdicts, ecosystem, name, version, manifest)
            {
                report.findings.push(f);
            }
            // Vectors are scored when a record first matches, so their problems are told
            // with the findings they concern (once per scan: see `match_dependencies`).
            for r in records.iter().filter_map(|&r| self.records.get(r)) {
                report.diagnostics.extend(r.scoring_diagnostics());
            }
        }
        report.findings.sort_by(|a, b| a.id.cmp(&b.id));
        report
    }

    fn finding(
        &self,
        records: &[usize],
        verdicts: &mut [(usize, RecordVerdict<'_>)],
        ecosystem: Ecosystem,
        name: &str,
        version: &str,
        manifest: &str,
    ) -> Option<Finding> {
        let id_of = |r: usize| self.records.get(r).map_or("", |x| x.advisory.id.as_str());
        let primary = records.iter().copied().min_by(|&a, &b| {
            let (ia, ib) = (id_of(a), id_of(b));
            id_rank(ia).cmp(&id_rank(ib)).then_with(|| ia.cmp(ib))
        })?;
        let rec = self.records.get(primary)?;
        let id = rec.advisory.id.clone();
        // The group holds every member's id and aliases, sorted and distinct.
        let aliases: Vec<String> = self
            .groups
            .get(rec.group)
            .into_iter()
            .flatten()
            .filter(|a| **a != id)
            .cloned()
            .collect();

        let mut matched = Vec::new();
        let mut fixed = Vec::new();
        let mut last_affected = Vec::new();
        let mut entries = Vec::new();
        for (r, v) in verdicts.iter_mut().filter(|(r, _)| records.contains(r)) {
            // Each record belongs to one group: its verdict is consumed once.
            matched.append(&mut v.matched);
            fixed.extend(v.fixed.iter().copied());
            last_affected.extend(v.last_affected.iter().copied());
            if *r == primary {
                entries = std::mem::take(&mut v.entries);
            }
        }
        let fix = match (lowest(&fixed), lowest(&last_affected)) {
            // `0.3.1-0` (RustSec, Go) bounds "0.3.1 and its pre-releases": suggest 0.3.1.
            (Some(f), _) => FixSuggestion::FixedIn {
                version: f.raw.strip_suffix("-0").unwrap_or(&f.raw).to_owned(),
            },
            (None, Some(l)) => FixSuggestion::AfterLastAffected { version: l.raw.clone() },
            (None, None) => FixSuggestion::NoFix,
        };

        let mut severity = self.severity_of(primary, &entries);
        if severity.rating == SeverityRating::Unknown {
            severity = self.alias_severity(rec.group, primary).unwrap_or(severity);
        }
        let summary = std::iter::once(primary)
            .chain(records.iter().copied())
            .filter_map(|r| self.records.get(r)?.advisory.summary.clone())
            .find(|s| !s.trim().is_empty());
        Some(Finding {
            id,
            aliases,
            kind: rec.kind,
            ecosystem,
            package: name.to_owned(),
            version: version.to_owned(),
            manifest: manifest.to_owned(),
            matched,
            fix,
            severity,
            summary,
        })
    }

    /// The highest severity among the other records of an alias group.
    fn alias_severity(&self, group: usize, except: usize) -> Option<Severity> {
        let best = self
            .group_records
            .get(group)?
            .iter()
            .filter(|&&r| r != except)
            .filter_map(|&r| self.records.get(r).map(IndexedRecord::record_severity))
            .filter(|s| s.rating != SeverityRating::Unknown)
            .max_by(|a, b| higher(a, b))?;
        Some(Severity { source: SeveritySource::Alias, ..best.clone() })
    }

    /// Matches every dependency of a lockfile or repository.
    ///
    /// Only pinned registry packages are matched. The others are counted per manifest in one
    /// diagnostic each: unpinned ones as a warning (results may be incomplete), non-registry
    /// sources (git, path, url, workspace) as info.
    pub fn match_dependencies(&self, dependencies: &[Dependency]) -> MatchReport {
        let mut report = MatchReport::default();
        let mut unpinned: BTreeMap<&str, usize> = BTreeMap::new();
        let mut other_source: BTreeMap<&str, usize> = BTreeMap::new();
        let mut seen = BTreeSet::new();
        let mut told = BTreeSet::new();
        for dep in dependencies {
            if dep.source != Source::Registry {
                *other_source.entry(&dep.manifest).or_default() += 1;
                continue;
            }
            if !dep.pinned {
                *unpinned.entry(&dep.manifest).or_default() += 1;
                continue;
            }
            if !seen.insert((&dep.manifest, dep.ecosystem, &dep.name, &dep.version)) {
                continue;
            }
            let r = self.match_package(dep.ecosystem, &dep.name, &dep.version, &dep.manifest);
            report.findings.extend(r.findings);
            for d in r.diagnostics {
                // A record matched through several packages reports its scoring problems once.
                if told.insert((d.source.clone(), d.message.clone())) {
                    report.diagnostics.push(d);
                }
            }
        }
        for (manifest, n) in unpinned {
            report.diagnostics.push(Diagnostic::warning(
                manifest,
                format!(
                    "{n} packages have no pinned version and were not checked against advisories"
                ),
            ));
        }
        for (manifest, n) in other_source {
            report.diagnostics.push(Diagnostic::info(
                manifest,
                format!("{n} packages from git, path, url or workspace sources were not checked against advisories"),
            ));
        }
        report.findings.sort_by(|a, b| {
            (&a.manifest, a.ecosystem, &a.package, &a.version, &a.id).cmp(&(
                &b.manifest,
                b.ecosystem,
                &b.package,
                &b.version,
                &b.id,
            ))
        });
        report
    }
}
