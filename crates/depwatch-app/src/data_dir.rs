//! Where depwatch keeps its database and logs.

use std::path::{Path, PathBuf};

/// Environment variable that overrides the data directory (after `--data-dir`).
pub const DATA_DIR_ENV: &str = "DEPWATCH_DATA_DIR";

/// The per-installation data directory.
///
/// The desktop app and the CLI resolve it the same way, so both see the same database:
/// an explicit path (`--data-dir`), else `$DEPWATCH_DATA_DIR`, else the platform's data
/// directory (`~/.local/share/depwatch` on Linux, `~/Library/Application Support/dev.depwatch.depwatch`
/// on macOS, `%APPDATA%\depwatch\depwatch\data` on Windows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    path: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    #[error("no home directory found to place depwatch's data in; pass --data-dir or set {DATA_DIR_ENV}")]
    NoHome,
    #[error("cannot create the data directory {path}: {source}")]
    Create {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl DataDir {
    pub fn new(path: PathBuf) -> DataDir {
        DataDir { path }
    }

    /// Resolves the directory: `explicit`, else the environment override, else the platform default.
    pub fn resolve(explicit: Option<PathBuf>) -> Result<DataDir, DataDirError> {
        if let Some(path) = explicit {
            return Ok(DataDir::new(path));
        }
        if let Some(path) = std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()) {
            return Ok(DataDir::new(PathBuf::from(path)));
        }
        directories::ProjectDirs::from("dev", "depwatch", "depwatch")
            .map(|dirs| DataDir::new(dirs.data_dir().to_path_buf()))
            .ok_or(DataDirError::NoHome)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn database_path(&self) -> PathBuf {
        self.path.join("depwatch.db")
    }

    pub fn log_dir(&self) -> PathBuf {
        self.path.join("logs")
    }

    /// Creates the directory (and parents) if missing.
    pub fn ensure(&self) -> Result<(), DataDirError> {
        std::fs::create_dir_all(&self.path)
            .map_err(|source| DataDirError::Create { path: self.path.clone(), source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_explicit_directory_wins() {
        let dir = DataDir::resolve(Some(PathBuf::from("/tmp/x"))).unwrap();
        assert_eq!(dir.path(), Path::new("/tmp/x"));
        assert_eq!(dir.database_path(), PathBuf::from("/tmp/x/depwatch.db"));
        assert_eq!(dir.log_dir(), PathBuf::from("/tmp/x/logs"));
    }
}
