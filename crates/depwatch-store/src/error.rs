use std::path::PathBuf;

/// Everything that can go wrong in the store, with the file it concerns.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the database {path} has schema version {found}, but this depwatch only knows up to version \
         {supported}; it was written by a newer depwatch. Upgrade depwatch, or point --data-dir at \
         another directory. The file was left untouched."
    )]
    TooNew { path: PathBuf, found: u32, supported: u32 },
    #[error("cannot create the data directory {path}: {source}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open the database {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{path} is not a depwatch database (or is damaged): {source}")]
    NotADatabase {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("migration {version} ({name}) failed on {path}: {source}")]
    Migration {
        path: PathBuf,
        version: u32,
        name: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    #[error("setting `{key}` holds a value that cannot be read: {message}")]
    BadSetting { key: String, message: String },
    #[error("inbox entry {id} row is unreadable: {message}")]
    BadInboxRow { id: i64, message: String },
    #[error("inbox entry {id} is not claimed (state: {}); only a claimed entry can be finished", state.as_deref().unwrap_or("no such entry"))]
    InboxNotClaimed { id: i64, state: Option<String> },
    #[error("inbox entry {id} has not failed (state: {}); only failed entries can be retried", state.as_deref().unwrap_or("no such entry"))]
    InboxNotFailed { id: i64, state: Option<String> },
    #[error("advisory source {id} row is unreadable: {message}")]
    BadAdvisorySource { id: i64, message: String },
    #[error("a Bitbucket instance named `{name}` already exists; choose another --name")]
    DuplicateInstance { name: String },
    #[error("cannot encode {what} for the database: {message}")]
    Encode { what: &'static str, message: String },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
}
