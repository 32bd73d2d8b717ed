//! Loading OSV records from an `all.zip` export, a directory of JSON files, or one JSON file.
//!
//! One bad record never fails an import: it is reported as a [`SkippedRecord`] naming the
//! record (its id, or the file name when the id cannot be read) and the reason. Only a
//! container that cannot be read at all (a corrupt zip, an unreadable directory) is an error.

use crate::osv::{Advisory, RecordError};
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

/// Records larger than this are skipped, not read: the largest real OSV record is a few
/// hundred KiB, so this bounds memory without losing data.
pub const MAX_RECORD_BYTES: u64 = 16 * 1024 * 1024;

/// Why a whole import failed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{source_name}: not a readable zip archive: {reason}")]
    Zip { source_name: String, reason: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A record left out of an import, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SkippedRecord {
    /// The record id when it could be read, else the file (or zip entry) name.
    pub record: String,
    pub reason: String,
}

/// One record's raw bytes with the name of the file it came from, before parsing. A store
/// keeps these bytes as they are and parses them with [`Advisory::from_json`].
#[derive(Debug, Clone)]
pub struct RawRecord {
    pub file: String,
    pub json: Vec<u8>,
}

/// The result of an import.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Every record that parsed, withdrawn ones included (a store must see withdrawals to
    /// replace the records they withdraw; the matcher ignores them).
    pub advisories: Vec<Advisory>,
    pub skipped: Vec<SkippedRecord>,
}

impl Loaded {
    /// How many loaded records are withdrawn.
    pub fn withdrawn(&self) -> usize {
        self.advisories.iter().filter(|a| a.is_withdrawn()).count()
    }

    fn add(&mut self, file: &str, json: &[u8]) {
        match Advisory::from_json(json) {
            Ok(a) => self.advisories.push(a),
            Err(e) => self.skipped.push(SkippedRecord::of(file, json, e.to_string())),
        }
    }
}

impl SkippedRecord {
    /// The record in `json` (from `file`), named by its id when the JSON is good enough to
    /// have one, else by the file.
    pub fn of(file: &str, json: &[u8], reason: String) -> SkippedRecord {
        let id = Advisory::id_of(json).filter(|id| !id.trim().is_empty());
        SkippedRecord { record: id.unwrap_or_else(|| file.to_owned()), reason }
    }
}

/// Reads the `*.json` entries of an OSV `all.zip`, in archive order.
///
/// Entries that are too large or unreadable come back in the second list.
pub fn read_zip(
    bytes: &[u8],
    source_name: &str,
) -> Result<(Vec<RawRecord>, Vec<SkippedRecord>), LoadError> {
    let zip_err = |e: zip::result::ZipError| LoadError::Zip {
        source_name: source_name.to_owned(),
        reason: e.to_string(),
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(zip_err)?;
    let mut records = Vec::with_capacity(archive.len());
    let mut skipped = Vec::new();
    for i in 0..archive.len() {
        let mut entry = match archive.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                skipped.push(SkippedRecord {
                    record: format!("{source_name} entry #{i}"),
                    reason: format!("unreadable zip entry: {e}"),
                });
                continue;
            }
        };
        let file = entry.name().to_owned();
        if entry.is_dir() || !file.ends_with(".json") {
            continue;
        }
        if entry.size() > MAX_RECORD_BYTES {
            skipped.push(SkippedRecord {
                record: file,
                reason: format!("larger than {MAX_RECORD_BYTES} bytes"),
            });
            continue;
        }
        let mut json = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0));
        // `take` bounds the read even if the header lies about the size.
        match (&mut entry).take(MAX_RECORD_BYTES + 1).read_to_end(&mut json) {
            Ok(n) if n as u64 > MAX_RECORD_BYTES => skipped.push(SkippedRecord {
                record: file,
                reason: format!("larger than {MAX_RECORD_BYTES} bytes"),
            }),
            Ok(_) => records.push(RawRecord { file, json }),
            Err(e) => skipped
                .push(SkippedRecord { record: file, reason: format!("cannot decompress: {e}") }),
        }
    }
    Ok((records, skipped))
}

/// Loads every record of an OSV `all.zip` given as bytes.
pub fn load_zip(bytes: &[u8], source_name: &str) -> Result<Loaded, LoadError> {
    let (records, skipped) = read_zip(bytes, source_name)?;
    let mut loaded = Loaded { advisories: Vec::with_capacity(records.len()), skipped };
    for r in &records {
        loaded.add(&r.file, &r.json);
    }
    Ok(loaded)
}

/// Loads every `*.json` file under `dir` (recursively, in path order).
pub fn load_dir(dir: &Path) -> Result<Loaded, LoadError> {
    let mut files = Vec::new();
    collect_json_files(dir, &mut files)?;
    files.sort();
    let mut loaded = Loaded::default();
    for path in files {
        let name = path.strip_prefix(dir).unwrap_or(&path).display().to_string();
        match read_bounded(&path) {
            Ok(Some(json)) => load_json_into(&mut loaded, &name, &json),
            Ok(None) => loaded.skipped.push(SkippedRecord {
                record: name,
                reason: format!("larger than {MAX_RECORD_BYTES} bytes"),
            }),
            Err(e) => loaded.skipped.push(SkippedRecord { record: name, reason: e.to_string() }),
        }
    }
    Ok(loaded)
}

/// Loads one JSON file: a record, or an array of records.
pub fn load_file(path: &Path) -> Result<Loaded, LoadError> {
    let io = |source| LoadError::Io { path: path.to_owned(), source };
    let json = read_bounded(path).map_err(io)?.ok_or_else(|| {
        io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {MAX_RECORD_BYTES} bytes"),
        ))
    })?;
    let mut loaded = Loaded::default();
    load_json_into(&mut loaded, &path.display().to_string(), &json);
    Ok(loaded)
}

/// Loads JSON bytes holding one record or an array of records.
pub fn load_json(name: &str, json: &[u8]) -> Loaded {
    let mut loaded = Loaded::default();
    load_json_into(&mut loaded, name, json);
    loaded
}

fn load_json_into(loaded: &mut Loaded, name: &str, json: &[u8]) {
    let first = json.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'[') {
        loaded.add(name, json);
        return;
    }
    match Advisory::split_array(json) {
        Ok(records) => {
            for (i, record) in records.into_iter().enumerate() {
                match Advisory::from_json_str(record.get()) {
                    Ok(a) => loaded.advisories.push(a),
                    Err(e) => loaded.skipped.push(SkippedRecord {
                        record: Advisory::id_of(record.get().as_bytes())
                            .unwrap_or_else(|| format!("{name}[{i}]")),
                        reason: e.to_string(),
                    }),
                }
            }
        }
        Err(e) => loaded.skipped.push(SkippedRecord {
            record: name.to_owned(),
            reason: RecordError::Json(e.to_string()).to_string(),
        }),
    }
}

fn collect_json_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let io = |source| LoadError::Io { path: dir.to_owned(), source };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let path = entry.path();
        let kind = entry.file_type().map_err(io)?;
        if kind.is_dir() {
            collect_json_files(&path, out)?;
        } else if kind.is_file() && path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    Ok(())
}

/// Reads a file unless it is larger than [`MAX_RECORD_BYTES`] (`Ok(None)`).
fn read_bounded(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    let file = std::fs::File::open(path)?;
    let mut json = Vec::new();
    file.take(MAX_RECORD_BYTES + 1).read_to_end(&mut json)?;
    Ok((json.len() as u64 <= MAX_RECORD_BYTES).then_some(json))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_records_are_skipped_with_their_id_or_name() {
        let mut loaded = Loaded::default();
        loaded.add("a.json", br#"{"id":"OK-1","modified":"2024-01-01T00:00:00Z"}"#);
        loaded.add("b.json", br#"{"id":"BAD-1","affected":"nope"}"#);
        loaded.add("c.json", b"not json");
        loaded.add("d.json", br#"{"id":"NEW-1","schema_version":"2.0.0"}"#);
        assert_eq!(loaded.advisories.len(), 1);
        let names: Vec<&str> = loaded.skipped.iter().map(|s| s.record.as_str()).collect();
        assert_eq!(names, ["BAD-1", "c.json", "NEW-1"]);
        assert!(loaded.skipped[2].reason.contains("2.0.0"), "{:?}", loaded.skipped[2]);
    }

    #[test]
    fn a_json_array_loads_each_record() {
        let loaded =
            load_json("list.json", br#"[{"id":"A-1"},{"nope":1},{"id":"B-1","aliases":[]}]"#);
        assert_eq!(loaded.advisories.len(), 2);
        assert_eq!(
            loaded.skipped,
            vec![SkippedRecord {
                record: "list.json[1]".into(),
                reason: "the record has no `id`".into()
            }]
        );
    }

    #[test]
    fn an_array_record_that_fails_is_named_by_its_id_and_keeps_the_others() {
        let loaded = load_json(
            "list.json",
            br#"[{"id":"C-1","affected":"nope"},
                 {"id":"D-1","affected":[{"package":{"ecosystem":"crates.io","name":"x"},
                   "ecosystem_specific":{"affects":{"functions":["x::f"]}}}]}]"#,
        );
        assert_eq!(loaded.skipped.len(), 1, "{:?}", loaded.skipped);
        assert_eq!(loaded.skipped[0].record, "C-1");
        let kept = loaded.advisories[0].affected[0].ecosystem_specific.as_ref().map(|r| r.get());
        assert_eq!(kept, Some(r#"{"affects":{"functions":["x::f"]}}"#));
        let err = load_json("bad.json", b"[{\"id\":1},").skipped;
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].record, "bad.json");
        assert!(err[0].reason.starts_with("not a valid OSV record: "), "{err:?}");
    }

    #[test]
    fn a_corrupt_zip_is_an_error_naming_the_source() {
        let err = load_zip(b"PK\x03\x04garbage", "npm/all.zip").unwrap_err();
        assert!(err.to_string().starts_with("npm/all.zip: not a readable zip"), "{err}");
    }
}
