//! The offline advisory database: importing OSV exports from files, directories and URLs,
//! syncing the configured sources, and reporting what is stored.
//!
//! A record that does not parse is reported (id and reason) and skipped; only a source that
//! cannot be read at all fails its import. Downloads use conditional GET with the stored ETag
//! and Last-Modified, so an unchanged export costs one request and no writes.

use crate::App;
use depwatch_advisories::load::MAX_RECORD_BYTES;
use depwatch_advisories::{read_zip, Advisory, RawRecord, SkippedRecord};
use depwatch_core::Ecosystem;
use depwatch_store::{
    AdvisorySource, EcosystemCount, ImportMode, ImportStats, NewAdvisory, SourceKind, StoreError,
    SyncOutcome, SyncResult,
};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The OSV bucket's per-ecosystem exports that `sync` uses when no source is configured.
pub const OSV_BUCKET: &str = "https://osv-vulnerabilities.storage.googleapis.com";

/// The default source URL of one ecosystem: `<OSV_BUCKET>/<Ecosystem>/all.zip`.
pub fn default_source_url(ecosystem: Ecosystem) -> String {
    format!("{OSV_BUCKET}/{}/all.zip", ecosystem.as_str())
}

/// Why an import or sync failed as a whole.
#[derive(Debug, thiserror::Error)]
pub enum AdvisoryDbError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{source_name}: {reason}")]
    Zip { source_name: String, reason: String },
    #[error("{url}: {reason}")]
    Http { url: String, reason: String },
    #[error("{url}: the server answered HTTP {status}")]
    HttpStatus { url: String, status: u16 },
    #[error("{location}: larger than the {limit}-byte limit; not imported")]
    TooLarge { location: String, limit: u64 },
    #[error("{0}: not a URL, file or directory")]
    NotFound(String),
    #[error("{0}: only http:// and https:// URLs can be imported")]
    UnsupportedUrl(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Limits of advisory downloads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadLimits {
    /// Time to establish a connection.
    pub connect_timeout: Duration,
    /// Time for the whole download (the npm export is large on a slow link).
    pub timeout: Duration,
    /// Largest export accepted.
    pub max_bytes: u64,
}

impl Default for DownloadLimits {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(20),
            timeout: Duration::from_secs(15 * 60),
            // The largest OSV per-ecosystem export (npm) is a few hundred MiB at most.
            max_bytes: 1024 * 1024 * 1024,
        }
    }
}

/// What one import did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    /// URL (credentials removed) or path.
    pub source: String,
    pub kind: SourceKind,
    /// The server answered 304 Not Modified: nothing was read or written.
    pub not_modified: bool,
    /// Records read (withdrawn ones included).
    pub records: u64,
    pub withdrawn: u64,
    pub stats: ImportStats,
    /// Records left out, each with its id (or file name) and the reason.
    pub skipped: Vec<SkippedRecord>,
}

/// One source's sync: its location (credentials removed) and how its import went.
pub type SourceSync = (String, Result<ImportReport, AdvisoryDbError>);

/// What `depwatch advisories info` shows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdvisoryDbInfo {
    pub total: u64,
    pub ecosystems: Vec<EcosystemCount>,
    pub sources: Vec<AdvisorySource>,
}

/// A source's records, read and parsed, ready for the store.
struct Batch {
    records: Vec<NewAdvisory>,
    withdrawn: u64,
    skipped: Vec<SkippedRecord>,
}

impl Batch {
    fn new(capacity: usize) -> Self {
        Batch { records: Vec::with_capacity(capacity), withdrawn: 0, skipped: Vec::new() }
    }

    /// Parses one record's JSON and keeps the text as is.
    fn add_raw(&mut self, file: &str, json: &[u8], hint: Option<Ecosystem>) {
        let parsed = Advisory::from_json(json).map_err(|e| e.to_string()).and_then(|a| {
            std::str::from_utf8(json).map(|text| (a, text)).map_err(|e| e.to_string())
        });
        match parsed {
            Ok((advisory, text)) => self.push(advisory, text.to_owned(), hint),
            Err(reason) => self.skipped.push(SkippedRecord::of(file, json, reason)),
        }
    }

    /// A file holds one record or an array of records.
    fn add_file(&mut self, name: &str, json: &[u8]) {
        let first = json.iter().find(|b| !b.is_ascii_whitespace());
        if first != Some(&b'[') {
            self.add_raw(name, json, None);
            return;
        }
        match Advisory::split_array(json) {
            Ok(records) => {
                for (i, record) in records.into_iter().enumerate() {
                    let text = record.get();
                    match Advisory::from_json_str(text) {
                        Ok(advisory) => self.push(advisory, text.to_owned(), None),
                        Err(e) => self.skipped.push(SkippedRecord {
                            record: Advisory::id_of(text.as_bytes())
                                .unwrap_or_else(|| format!("{name}[{i}]")),
                            reason: e.to_string(),
                        }),
                    }
                }
            }
            Err(e) => self.skipped.push(SkippedRecord {
                record: name.to_owned(),
                reason: format!("not a valid OSV record or array of records: {e}"),
            }),
        }
    }

    fn push(&mut self, advisory: Advisory, raw_json: String, hint: Option<Ecosystem>) {
        let keys = advisory.package_keys();
        // Filed under its first known ecosystem; a withdrawn record often lists none, then
        // the export it came from names it.
        let ecosystem = keys
            .first()
            .map(|(e, _)| e.as_str().to_owned())
            .or_else(|| hint.map(|e| e.as_str().to_owned()))
            .unwrap_or_default();
        if advisory.is_withdrawn() {
            self.withdrawn += 1;
        }
        self.records.push(NewAdvisory {
            withdrawn: advisory.is_withdrawn(),
            packages: keys.into_iter().map(|(e, n)| (e.as_str().to_owned(), n)).collect(),
            id: advisory.id,
            ecosystem,
            modified: advisory.modified,
            raw_json,
        });
    }
}

/// The ecosystem an `…/<Ecosystem>/all.zip` URL or file path names, if any.
pub(crate) fn ecosystem_hint(location: &str) -> Option<Ecosystem> {
    let mut parts = location.trim_end_matches('/').rsplit('/');
    let last = parts.next()?;
    let candidate = if last == "all.zip" { parts.next()? } else { last.strip_suffix(".zip")? };
    Ecosystem::from_osv(candidate).map(|(e, _)| e)
}

/// The URL without `user:password@`, for messages and the source list.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((_, host)) => format!("{scheme}://{host}{path}"),
        None => url.to_owned(),
    }
}

fn is_url(input: &str) -> bool {
    input.contains("://")
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>, AdvisoryDbError> {
    let io = |source| AdvisoryDbError::Io { path: path.to_owned(), source };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(AdvisoryDbError::TooLarge { location: path.display().to_string(), limit });
    }
    Ok(bytes)
}

fn zip_batch(bytes: &[u8], name: &str, hint: Option<Ecosystem>) -> Result<Batch, AdvisoryDbError> {
    let (raws, skipped) = read_zip(bytes, name).map_err(|e| AdvisoryDbError::Zip {
        source_name: name.to_owned(),
        reason: e.to_string(),
    })?;
    let mut batch = Batch::new(raws.len());
    batch.skipped = skipped;
    for RawRecord { file, json } in &raws {
        batch.add_raw(file, json, hint);
    }
    Ok(batch)
}

fn dir_batch(dir: &Path) -> Result<Batch, AdvisoryDbError> {
    let mut files = Vec::new();
    collect_json_files(dir, &mut files, 0)?;
    files.sort();
    let mut batch = Batch::new(files.len());
    for path in files {
        let name = path.strip_prefix(dir).unwrap_or(&path).display().to_string();
        match read_capped(&path, MAX_RECORD_BYTES) {
            Ok(json) => batch.add_file(&name, &json),
            Err(e) => batch.skipped.push(SkippedRecord { record: name, reason: e.to_string() }),
        }
    }
    Ok(batch)
}

fn collect_json_files(
    dir: &Path,
    out: &mut Vec<PathBuf>,
    depth: usize,
) -> Result<(), AdvisoryDbError> {
    // Deep enough for any advisory repository layout, and a guard against symlink loops.
    const MAX_DEPTH: usize = 16;
    let io = |source| AdvisoryDbError::Io { path: dir.to_owned(), source };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let path = entry.path();
        let kind = entry.file_type().map_err(io)?;
        if kind.is_dir() && depth < MAX_DEPTH {
            collect_json_files(&path, out, depth + 1)?;
        } else if kind.is_file() && path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    Ok(())
}

/// The body of a download, or "unchanged".
enum Download {
    NotModified,
    Body { bytes: Vec<u8>, etag: Option<String>, last_modified: Option<String> },
}

fn download(
    url: &str,
    etag: Option<&str>,
    last_modified: Option<&str>,
    limits: &DownloadLimits,
) -> Result<Download, AdvisoryDbError> {
    let shown = redact_url(url);
    let http = |reason: String| AdvisoryDbError::Http { url: shown.clone(), reason };
    // reqwest's errors can embed the URL; print them without it so credentials never leak.
    let client = reqwest::blocking::Client::builder()
        .connect_timeout(limits.connect_timeout)
        .timeout(limits.timeout)
        .user_agent(concat!("depwatch/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| http(format!("cannot set up the HTTP client: {}", e.without_url())))?;
    let mut request = client.get(url);
    if let Some(etag) = etag {
        request = request.header(reqwest::header::IF_NONE_MATCH, etag);
    }
    if let Some(last_modified) = last_modified {
        request = request.header(reqwest::header::IF_MODIFIED_SINCE, last_modified);
    }
    let response = request.send().map_err(|e| http(e.without_url().to_string()))?;
    let status = response.status();
    if status == reqwest::StatusCode::NOT_MODIFIED {
        return Ok(Download::NotModified);
    }
    if !status.is_success() {
        return Err(AdvisoryDbError::HttpStatus { url: shown, status: status.as_u16() });
    }
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok().map(str::to_owned))
    };
    let etag = header(reqwest::header::ETAG);
    let last_modified = header(reqwest::header::LAST_MODIFIED);
    if response.content_length().is_some_and(|n| n > limits.max_bytes) {
        return Err(AdvisoryDbError::TooLarge { location: shown, limit: limits.max_bytes });
    }
    let mut bytes = Vec::new();
    // `take` bounds the read even when Content-Length is missing or wrong.
    response
        .take(limits.max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| http(format!("download interrupted: {e}")))?;
    if bytes.len() as u64 > limits.max_bytes {
        return Err(AdvisoryDbError::TooLarge { location: shown, limit: limits.max_bytes });
    }
    Ok(Download::Body { bytes, etag, last_modified })
}

impl App {
    /// Imports advisories from an `http(s)://…/all.zip` URL, a local `all.zip`, a directory
    /// of OSV JSON files, or one JSON file (a record or an array of records).
    ///
    /// A zip (local or downloaded) is the full content of its source: records it no longer
    /// holds are removed. Directories and files only add or update. Blocking: desktop callers
    /// run it off the UI thread.
    pub fn import_advisories(&self, input: &str) -> Result<ImportReport, AdvisoryDbError> {
        self.import_advisories_with(input, &DownloadLimits::default())
    }

    /// [`App::import_advisories`] with explicit download limits.
    pub fn import_advisories_with(
        &self,
        input: &str,
        limits: &DownloadLimits,
    ) -> Result<ImportReport, AdvisoryDbError> {
        let (location, kind) = classify(input)?;
        let source = self.store.ensure_advisory_source(&location, kind, false)?;
        self.import_source(&source, limits)
    }

    /// Imports one registered source and records the outcome on it.
    pub(crate) fn import_source(
        &self,
        source: &AdvisorySource,
        limits: &DownloadLimits,
    ) -> Result<ImportReport, AdvisoryDbError> {
        let result = self.import_source_unrecorded(source, limits);
        let outcome = match &result {
            Ok((report, etag, last_modified)) => SyncOutcome {
                result: if report.not_modified {
                    SyncResult::NotModified
                } else {
                    SyncResult::Imported
                },
                etag: etag.clone(),
                last_modified: last_modified.clone(),
                error: None,
                record_count: report.records,
                skipped_count: report.skipped.len() as u64,
            },
            Err(e) => SyncOutcome {
                result: SyncResult::Failed,
                etag: None,
                last_modified: None,
                error: Some(e.to_string()),
                record_count: 0,
                skipped_count: 0,
            },
        };
        self.store.record_advisory_sync(source.id, &outcome, now_unix())?;
        let (report, _, _) = result?;
        tracing::info!(
            source = %report.source,
            not_modified = report.not_modified,
            records = report.records,
            written = report.stats.written(),
            deleted = report.stats.deleted,
            skipped = report.skipped.len(),
            "advisory import finished"
        );
        Ok(report)
    }

    #[allow(clippy::type_complexity)]
    fn import_source_unrecorded(
        &self,
        source: &AdvisorySource,
        limits: &DownloadLimits,
    ) -> Result<(ImportReport, Option<String>, Option<String>), AdvisoryDbError> {
        let location = &source.location;
        let hint = ecosystem_hint(location);
        let shown =
            if source.kind == SourceKind::Url { redact_url(location) } else { location.clone() };
        let mut validators = (None, None);
        let (batch, mode) = match source.kind {
            SourceKind::Url => {
                // Validators only count while the data they describe is still here.
                let has_data = source.last_result.is_some_and(|r| r != SyncResult::Failed)
                    || source.record_count > 0;
                let (etag, modified) = if has_data {
                    (source.etag.as_deref(), source.last_modified.as_deref())
                } else {
                    (None, None)
                };
                match download(location, etag, modified, limits)? {
                    Download::NotModified => {
                        let report = ImportReport {
                            source: shown,
                            kind: source.kind,
                            not_modified: true,
                            records: source.record_count,
                            withdrawn: 0,
                            stats: ImportStats::default(),
                            skipped: Vec::new(),
                        };
                        return Ok((report, None, None));
                    }
                    Download::Body { bytes, etag, last_modified } => {
                        validators = (etag, last_modified);
                        (zip_batch(&bytes, &shown, hint)?, ImportMode::FullSnapshot)
                    }
                }
            }
            SourceKind::Zip => {
                let bytes = read_capped(Path::new(location), limits.max_bytes)?;
                (zip_batch(&bytes, &shown, hint)?, ImportMode::FullSnapshot)
            }
            SourceKind::Dir => (dir_batch(Path::new(location))?, ImportMode::Partial),
            SourceKind::File => {
                let bytes = read_capped(Path::new(location), MAX_RECORD_BYTES)?;
                let mut batch = Batch::new(1);
                batch.add_file(&shown, &bytes);
                (batch, ImportMode::Partial)
            }
        };
        let stats = self.store.import_advisories(source.id, &batch.records, mode)?;
        let report = ImportReport {
            source: shown,
            kind: source.kind,
            not_modified: false,
            records: batch.records.len() as u64,
            withdrawn: batch.withdrawn,
            stats,
            skipped: batch.skipped,
        };
        Ok((report, validators.0, validators.1))
    }

    /// Downloads every configured source, one after the other. When none is configured, the
    /// OSV bucket's exports of every supported ecosystem are configured first.
    ///
    /// One failing source does not stop the others: each gets its own result.
    pub fn sync_advisories(
        &self,
        limits: &DownloadLimits,
    ) -> Result<Vec<SourceSync>, AdvisoryDbError> {
        let sources = self.configured_advisory_sources()?;
        Ok(sources
            .iter()
            .map(|source| {
                let shown = redact_url(&source.location);
                (shown, self.import_source(source, limits))
            })
            .collect())
    }

    /// The sources `sync` fetches, configuring the OSV defaults when there are none.
    pub fn configured_advisory_sources(&self) -> Result<Vec<AdvisorySource>, AdvisoryDbError> {
        let configured: Vec<AdvisorySource> =
            self.store.advisory_sources()?.into_iter().filter(|s| s.configured).collect();
        if !configured.is_empty() {
            return Ok(configured);
        }
        Ecosystem::ALL
            .iter()
            .map(|&e| {
                Ok(self.store.ensure_advisory_source(
                    &default_source_url(e),
                    SourceKind::Url,
                    true,
                )?)
            })
            .collect()
    }

    /// Adds a source to `sync`: an `http(s)://` URL of an OSV `all.zip`, or a local zip,
    /// directory or JSON file.
    pub fn add_advisory_source(&self, input: &str) -> Result<AdvisorySource, AdvisoryDbError> {
        let (location, kind) = classify(input)?;
        Ok(self.store.ensure_advisory_source(&location, kind, true)?)
    }

    /// Takes a source out of `sync` (its records stay). False when no source has `location`.
    pub fn remove_advisory_source(&self, location: &str) -> Result<bool, AdvisoryDbError> {
        Ok(self.store.set_advisory_source_configured(location, false)?)
    }

    /// Record counts per ecosystem and every source's sync state.
    pub fn advisory_db_info(&self) -> Result<AdvisoryDbInfo, AdvisoryDbError> {
        let ecosystems = self.store.advisory_counts()?;
        let mut sources = self.store.advisory_sources()?;
        for source in &mut sources {
            if source.kind == SourceKind::Url {
                source.location = redact_url(&source.location);
            }
        }
        Ok(AdvisoryDbInfo {
            total: ecosystems.iter().map(|c| c.records).sum(),
            ecosystems,
            sources,
        })
    }
}

/// Where an import argument points: a URL (kept as given) or an absolute path, and its kind.
fn classify(input: &str) -> Result<(String, SourceKind), AdvisoryDbError> {
    if is_url(input) {
        let lower = input.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
            return Err(AdvisoryDbError::UnsupportedUrl(redact_url(input)));
        }
        return Ok((input.to_owned(), SourceKind::Url));
    }
    let path = Path::new(input);
    let meta = std::fs::metadata(path).map_err(|_| AdvisoryDbError::NotFound(input.to_owned()))?;
    let absolute = std::fs::canonicalize(path)
        .map_err(|source| AdvisoryDbError::Io { path: path.to_owned(), source })?;
    let kind = if meta.is_dir() {
        SourceKind::Dir
    } else if is_zip(path) {
        SourceKind::Zip
    } else {
        SourceKind::File
    };
    Ok((absolute.display().to_string(), kind))
}

/// A zip by content (`PK\x03\x04` or an empty archive's `PK\x05\x06`), else by extension.
fn is_zip(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    let read = std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic));
    match read {
        Ok(()) => magic == *b"PK\x03\x04" || magic == *b"PK\x05\x06",
        Err(_) => path.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_credentials_in_messages() {
        assert_eq!(redact_url("https://u:secret@host/a/all.zip"), "https://host/a/all.zip");
        assert_eq!(redact_url("https://host/a@b/all.zip"), "https://host/a@b/all.zip");
        assert_eq!(redact_url("/local/path"), "/local/path");
    }

    #[test]
    fn the_export_url_names_the_ecosystem() {
        assert_eq!(ecosystem_hint(&default_source_url(Ecosystem::PyPI)), Some(Ecosystem::PyPI));
        assert_eq!(ecosystem_hint("/data/crates.io.zip"), Some(Ecosystem::CratesIo));
        assert_eq!(ecosystem_hint("/data/mixed.zip"), None);
        assert_eq!(ecosystem_hint("https://h/Debian/all.zip"), None);
    }

    #[test]
    fn bad_records_in_a_file_are_reported_and_the_good_ones_kept() {
        let mut batch = Batch::new(3);
        batch.add_file(
            "two.json",
            br#"[{"id":"OK-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"Jinja2"}}]},
                {"id":"BAD-1","affected":"nope"}, 7]"#,
        );
        batch.add_file("broken.json", b"{not json");
        let ids: Vec<&str> = batch.records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["OK-1"]);
        assert_eq!(batch.records[0].packages, [("PyPI".to_owned(), "jinja2".to_owned())]);
        let skipped: Vec<&str> = batch.skipped.iter().map(|s| s.record.as_str()).collect();
        assert_eq!(skipped, ["BAD-1", "two.json[2]", "broken.json"]);
        assert!(batch.skipped.iter().all(|s| !s.reason.is_empty()));
    }
}
