//! Secrets: a redacting wrapper type and where secrets are kept between runs.
//!
//! [`Secret`] never prints its value: `Debug` and `Display` both show `***`, so a secret that ends up
//! in a log line or an error message by accident leaks nothing.
//!
//! [`SecretStore`] keeps secrets between runs. [`KeyringStore`] uses the OS keychain (macOS Keychain,
//! Windows Credential Manager, the freedesktop Secret Service on Linux). Many Linux machines (servers,
//! minimal desktops, CI) run no Secret Service; there [`FileStore`] keeps secrets in a JSON file that
//! only the owner can read (mode 0600, directory 0700). [`open_secret_store`] picks one and tells the
//! caller which, and why, so the app can say so.
//!
//! Both stores are blocking (the keychain talks D-Bus or an OS API). From async code, call them
//! inside `tokio::task::spawn_blocking`.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::Deserialize;

/// A secret string (token, password, private key PEM, session handle).
///
/// `Debug` and `Display` print `***`. There is deliberately no `Serialize` implementation: code that
/// needs the value must call [`Secret::expose`], which is easy to find in review.
#[derive(Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret value. Never log it or put it into an error.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Which kind of store holds the secrets, so the UI can tell the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretStoreKind {
    /// The OS keychain (Keychain, Credential Manager, Secret Service).
    OsKeychain,
    /// An owner-only (0600) JSON file at this path.
    File {
        /// The file that holds the secrets.
        path: PathBuf,
    },
}

impl fmt::Display for SecretStoreKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretStoreKind::OsKeychain => f.write_str("the OS keychain"),
            SecretStoreKind::File { path } => {
                write!(f, "the owner-only file {}", path.display())
            }
        }
    }
}

/// A failure to read or write a stored secret. Messages never contain secret values.
#[derive(Debug, thiserror::Error)]
pub enum SecretStoreError {
    /// The OS keychain is not usable on this machine (no Secret Service, locked, denied).
    #[error("OS keychain unavailable: {0}")]
    KeychainUnavailable(String),
    /// The OS keychain answered with an error for this account.
    #[error("OS keychain error for {account:?}: {detail}")]
    Keychain {
        /// The account name (not a secret).
        account: String,
        /// What the keychain said.
        detail: String,
    },
    /// The secrets file could not be read or written.
    #[error("secrets file {path}: {detail}")]
    File {
        /// The secrets file.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// An account name that cannot be stored (empty or too long).
    #[error("invalid secret account name {0:?}: use 1 to 200 printable characters")]
    InvalidAccount(String),
}

/// A place that keeps secrets between runs, keyed by account name (for example
/// `"server-1/oauth-private-key"`). Implementations never log secret values.
pub trait SecretStore: Send + Sync {
    /// Which kind of store this is.
    fn kind(&self) -> SecretStoreKind;
    /// Reads a secret; `Ok(None)` when nothing is stored under `account`.
    fn get(&self, account: &str) -> Result<Option<Secret>, SecretStoreError>;
    /// Stores or replaces a secret.
    fn set(&self, account: &str, value: &Secret) -> Result<(), SecretStoreError>;
    /// Deletes a secret; deleting a missing one is not an error.
    fn delete(&self, account: &str) -> Result<(), SecretStoreError>;
}

fn check_account(account: &str) -> Result<(), SecretStoreError> {
    if account.is_empty() || account.len() > 200 || account.chars().any(char::is_control) {
        return Err(SecretStoreError::InvalidAccount(account.to_owned()));
    }
    Ok(())
}

/// Secrets in the OS keychain through the `keyring` crate, under one service name.
#[derive(Debug, Clone)]
pub struct KeyringStore {
    service: String,
}

/// The account used to check that the keychain answers at all.
const PROBE_ACCOUNT: &str = "depwatch-keychain-probe";

impl KeyringStore {
    /// Opens the OS keychain for `service` and checks that it answers.
    ///
    /// Fails with [`SecretStoreError::KeychainUnavailable`] when there is no usable keychain (for
    /// example no Secret Service on the D-Bus session bus).
    pub fn open(service: &str) -> Result<Self, SecretStoreError> {
        if let Err(err) = keyring::Entry::store_status() {
            return Err(SecretStoreError::KeychainUnavailable(err.to_string()));
        }
        let store = KeyringStore { service: service.to_owned() };
        // A store can initialise and still fail on first use (no daemon behind the bus name,
        // locked collection): read a probe entry so we fail here rather than on the first save.
        let entry = keyring::Entry::new(&store.service, PROBE_ACCOUNT)
            .map_err(|e| SecretStoreError::KeychainUnavailable(e.to_string()))?;
        match entry.get_password() {
            Ok(_) | Err(keyring::Error::NoEntry) => Ok(store),
            Err(err) => Err(SecretStoreError::KeychainUnavailable(err.to_string())),
        }
    }

    fn entry(&self, account: &str) -> Result<keyring::Entry, SecretStoreError> {
        check_account(account)?;
        keyring::Entry::new(&self.service, account).map_err(|e| SecretStoreError::Keychain {
            account: account.to_owned(),
            detail: e.to_string(),
        })
    }
}

impl SecretStore for KeyringStore {
    fn kind(&self) -> SecretStoreKind {
        SecretStoreKind::OsKeychain
    }

    fn get(&self, account: &str) -> Result<Option<Secret>, SecretStoreError> {
        match self.entry(account)?.get_password() {
            Ok(value) => Ok(Some(Secret::new(value))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(err) => Err(SecretStoreError::Keychain {
                account: account.to_owned(),
                detail: err.to_string(),
            }),
        }
    }

    fn set(&self, account: &str, value: &Secret) -> Result<(), SecretStoreError> {
        self.entry(account)?.set_password(value.expose()).map_err(|err| {
            SecretStoreError::Keychain { account: account.to_owned(), detail: err.to_string() }
        })
    }

    fn delete(&self, account: &str) -> Result<(), SecretStoreError> {
        match self.entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(err) => Err(SecretStoreError::Keychain {
                account: account.to_owned(),
                detail: err.to_string(),
            }),
        }
    }
}

/// Secrets in one owner-only JSON file (`{"account": "value", ...}`), for machines without a
/// keychain. The file is created with mode 0600 in a 0700 directory and replaced atomically on
/// every write; a file found with wider permissions is tightened to 0600 before use.
#[derive(Debug, Clone)]
pub struct FileStore {
    path: PathBuf,
    // Serialises read-modify-write cycles within this process.
    lock: Arc<Mutex<()>>,
}

/// Largest secrets file we read; a bigger one is not ours.
const MAX_SECRETS_FILE: u64 = 4 * 1024 * 1024;

impl FileStore {
    /// Uses `path` as the secrets file. Nothing is created until the first `set`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileStore { path: path.into(), lock: Arc::new(Mutex::new(())) }
    }

    /// The secrets file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, detail: impl fmt::Display) -> SecretStoreError {
        SecretStoreError::File { path: self.path.clone(), detail: detail.to_string() }
    }

    fn read_all(&self) -> Result<BTreeMap<String, String>, SecretStoreError> {
        let meta = match fs::metadata(&self.path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => return Err(self.err(e)),
        };
        if meta.len() > MAX_SECRETS_FILE {
            return Err(self.err(format!(
                "file is {} bytes, larger than the {MAX_SECRETS_FILE}-byte limit",
                meta.len()
            )));
        }
        self.tighten_permissions(&meta)?;
        let text = fs::read_to_string(&self.path).map_err(|e| self.err(e))?;
        if text.trim().is_empty() {
            return Ok(BTreeMap::new());
        }
        // serde_json's error names line and column but never echoes the values.
        serde_json::from_str(&text)
            .map_err(|e| self.err(format!("not a JSON object of strings: {e}")))
    }

    #[cfg(unix)]
    fn tighten_permissions(&self, meta: &fs::Metadata) -> Result<(), SecretStoreError> {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                path = %self.path.display(),
                mode = format!("{mode:o}"),
                "secrets file was readable by others; setting mode 0600"
            );
            fs::set_permissions(&self.path, fs::Permissions::from_mode(0o600))
                .map_err(|e| self.err(format!("cannot set mode 0600: {e}")))?;
        }
        Ok(())
    }

    #[cfg(not(unix))]
    fn tighten_permissions(&self, _meta: &fs::Metadata) -> Result<(), SecretStoreError> {
        Ok(())
    }

    fn write_all(&self, map: &BTreeMap<String, String>) -> Result<(), SecretStoreError> {
        let dir = match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        create_private_dir(&dir).map_err(|e| self.err(format!("cannot create directory: {e}")))?;
        let file_name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| self.err("path has no file name"))?;
        let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
        let json = serde_json::to_vec_pretty(map).map_err(|e| self.err(e))?;
        let result = (|| -> std::io::Result<()> {
            let mut file = open_private_file(&tmp)?;
            file.write_all(&json)?;
            file.sync_all()?;
            fs::rename(&tmp, &self.path)
        })();
        if let Err(e) = result {
            let _ = fs::remove_file(&tmp);
            return Err(self.err(e));
        }
        Ok(())
    }

    fn guard(&self) -> std::sync::MutexGuard<'_, ()> {
        // A panic while holding the lock leaves no half-written state (writes are atomic
        // renames), so a poisoned lock is safe to reuse.
        self.lock.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)
}

#[cfg(unix)]
fn open_private_file(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)
}

#[cfg(not(unix))]
fn open_private_file(path: &Path) -> std::io::Result<fs::File> {
    fs::OpenOptions::new().write(true).create(true).truncate(true).open(path)
}

impl SecretStore for FileStore {
    fn kind(&self) -> SecretStoreKind {
        SecretStoreKind::File { path: self.path.clone() }
    }

    fn get(&self, account: &str) -> Result<Option<Secret>, SecretStoreError> {
        check_account(account)?;
        let _guard = self.guard();
        Ok(self.read_all()?.remove(account).map(Secret::new))
    }

    fn set(&self, account: &str, value: &Secret) -> Result<(), SecretStoreError> {
        check_account(account)?;
        let _guard = self.guard();
        let mut map = self.read_all()?;
        map.insert(account.to_owned(), value.expose().to_owned());
        self.write_all(&map)
    }

    fn delete(&self, account: &str) -> Result<(), SecretStoreError> {
        check_account(account)?;
        let _guard = self.guard();
        let mut map = self.read_all()?;
        if map.remove(account).is_some() {
            self.write_all(&map)?;
        }
        Ok(())
    }
}

/// The store [`open_secret_store`] chose, and why it fell back when it did.
#[derive(Clone)]
pub struct OpenedSecretStore {
    /// The store to use.
    pub store: Arc<dyn SecretStore>,
    /// Why the OS keychain was not used (`None` when it is in use).
    pub keychain_unavailable: Option<String>,
}

impl fmt::Debug for OpenedSecretStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenedSecretStore")
            .field("kind", &self.store.kind())
            .field("keychain_unavailable", &self.keychain_unavailable)
            .finish()
    }
}

/// Opens the OS keychain under `service`, or falls back to the owner-only file `fallback_file`
/// when no keychain answers. Blocking: call from `spawn_blocking` in async code.
pub fn open_secret_store(service: &str, fallback_file: impl Into<PathBuf>) -> OpenedSecretStore {
    match KeyringStore::open(service) {
        Ok(store) => OpenedSecretStore { store: Arc::new(store), keychain_unavailable: None },
        Err(err) => {
            let file = FileStore::new(fallback_file);
            tracing::info!(
                reason = %err,
                path = %file.path().display(),
                "OS keychain unavailable; keeping secrets in an owner-only file"
            );
            OpenedSecretStore { store: Arc::new(file), keychain_unavailable: Some(err.to_string()) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_is_redacted_in_debug_and_display() {
        let s = Secret::new("hunter2-token");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(format!("{s}"), "***");
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Holder {
            token: Secret,
        }
        let shown = format!("{:?}", Holder { token: s.clone() });
        assert!(!shown.contains("hunter2"), "{shown}");
        assert_eq!(s.expose(), "hunter2-token");
    }

    #[test]
    fn secret_deserializes_transparently() {
        let s: Secret = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(s.expose(), "abc");
    }

    #[test]
    fn file_store_round_trip_with_owner_only_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("secrets.json");
        let store = FileStore::new(&path);
        assert_eq!(store.get("server-1/token").unwrap(), None);
        store.set("server-1/token", &Secret::new("t0ken")).unwrap();
        store.set("server-1/key", &Secret::new("-----BEGIN")).unwrap();
        assert_eq!(
            store.get("server-1/token").unwrap().map(|s| s.expose().to_owned()),
            Some("t0ken".to_owned())
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "file mode {mode:o}");
            let dmode = fs::metadata(path.parent().unwrap()).unwrap().permissions().mode() & 0o777;
            assert_eq!(dmode, 0o700, "dir mode {dmode:o}");
        }
        store.delete("server-1/token").unwrap();
        store.delete("server-1/token").unwrap();
        assert_eq!(store.get("server-1/token").unwrap(), None);
        assert!(store.get("server-1/key").unwrap().is_some());
        assert_eq!(store.kind(), SecretStoreKind::File { path: path.clone() });
        // A second store on the same file sees the same data (a restart).
        let again = FileStore::new(&path);
        assert!(again.get("server-1/key").unwrap().is_some());
    }

    #[cfg(unix)]
    #[test]
    fn file_store_tightens_loose_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.json");
        fs::write(&path, r#"{"a":"b"}"#).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let store = FileStore::new(&path);
        assert_eq!(store.get("a").unwrap().map(|s| s.expose().to_owned()), Some("b".into()));
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn file_store_reports_corrupt_file_without_echoing_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.json");
        fs::write(&path, "not json sekrit-value").unwrap();
        let err = FileStore::new(&path).get("a").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("secrets.json"), "{text}");
        assert!(!text.contains("sekrit"), "{text}");
    }

    #[test]
    fn invalid_account_names_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("s.json"));
        assert!(matches!(
            store.set("", &Secret::new("x")),
            Err(SecretStoreError::InvalidAccount(_))
        ));
        assert!(matches!(store.get("a\nb"), Err(SecretStoreError::InvalidAccount(_))));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn open_secret_store_works_from_spawn_blocking_in_a_runtime() {
        // The app calls the (blocking) stores from async code through spawn_blocking.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.json");
        let opened = tokio::task::spawn_blocking(move || {
            let opened = open_secret_store("depwatch-test", &path);
            if let SecretStoreKind::File { .. } = opened.store.kind() {
                opened.store.set("k", &Secret::new("v")).unwrap();
            }
            opened
        })
        .await
        .unwrap();
        let shown = format!("{opened:?}");
        assert!(shown.contains("kind"), "{shown}");
        drop(dir);
    }

    #[test]
    fn open_secret_store_falls_back_cleanly_or_uses_keychain() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.json");
        let opened = open_secret_store("depwatch-test", &path);
        match opened.store.kind() {
            SecretStoreKind::OsKeychain => assert!(opened.keychain_unavailable.is_none()),
            SecretStoreKind::File { path: p } => {
                assert_eq!(p, path);
                let reason = opened.keychain_unavailable.clone().unwrap_or_default();
                assert!(!reason.is_empty());
                opened.store.set("acct", &Secret::new("v")).unwrap();
                assert_eq!(
                    opened.store.get("acct").unwrap().map(|s| s.expose().to_owned()),
                    Some("v".to_owned())
                );
            }
        }
    }
}
