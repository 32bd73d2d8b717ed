//! The user's settings, shared by the desktop shell, `depwatch serve` and the monitor runtime:
//! listener address and port, advisory sync interval, monitored ref patterns, notification
//! rules and start-at-login. They are one JSON value under the `settings` key of the store's
//! setting table, so every process reading the database sees the same values.
//!
//! The webhook secret is not a setting: it lives in the secret store (OS keychain or the
//! owner-only secrets file) and never in the database, in a log line or in an error.

use crate::advisory_db::{ecosystem_hint, AdvisoryDbError, DownloadLimits, SourceSync};
use crate::ref_filter::{RefFilter, RefPattern};
use crate::{redact_url, App, OSV_BUCKET};
use depwatch_bitbucket::secret::SecretStoreError;
use depwatch_bitbucket::Secret;
/// Ecosystem names as the UI shows them (OSV spellings).
pub use depwatch_core::Ecosystem;
use depwatch_store::{AdvisorySource, SourceKind, StoreError, SyncResult};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};

/// Key of the settings value in the store's setting table.
pub const SETTINGS_KEY: &str = "settings";

/// Secret-store account of the webhook HMAC secret.
const WEBHOOK_SECRET_ACCOUNT: &str = "webhook/secret";

/// Shortest webhook secret accepted (Bitbucket takes any; a short one is guessable).
pub const MIN_WEBHOOK_SECRET_LEN: usize = 16;
const MAX_WEBHOOK_SECRET_LEN: usize = 256;
const MAX_REF_PATTERNS: usize = 50;
const MAX_SYNC_INTERVAL_HOURS: u32 = 24 * 30;
const MAX_DIGEST_THRESHOLD: u32 = 10_000;

/// Why reading or saving settings failed. Messages never contain the webhook secret.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("secret store: {0}")]
    Secret(#[from] SecretStoreError),
    #[error(transparent)]
    Advisories(#[from] AdvisoryDbError),
    /// A value the user gave is not acceptable; the message names the field.
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error("cannot generate a random webhook secret: {0}")]
    Random(String),
}

fn invalid(field: &'static str, message: impl Into<String>) -> SettingsError {
    SettingsError::Invalid { field, message: message.into() }
}

/// Severity threshold of notifications (the UI's `Severity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Unknown,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Parses a stored finding severity (`critical`, `HIGH`, …); anything else is `Unknown`.
    pub fn from_label(label: &str) -> Severity {
        match label.trim().to_ascii_lowercase().as_str() {
            "critical" => Severity::Critical,
            "high" => Severity::High,
            "medium" | "moderate" => Severity::Medium,
            "low" => Severity::Low,
            _ => Severity::Unknown,
        }
    }
}

/// Hours during which notifications wait (local time, `HH:MM`; may wrap midnight).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuietHours {
    pub enabled: bool,
    pub start: String,
    pub end: String,
}

/// `HH:MM` → minutes since midnight.
fn parse_hh_mm(text: &str) -> Option<u16> {
    crate::alert::QuietHours::parse(text, text).map(|q| q.start_minute)
}

/// When and how findings notify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationSettings {
    /// Findings below this severity do not notify.
    pub minimum_severity: Severity,
    /// More than this many findings at once become one digest notification.
    pub digest_threshold: u32,
    pub quiet_hours: QuietHours,
    /// Also notify for unmaintained / unsound / notice advisories.
    pub include_informational: bool,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        NotificationSettings {
            minimum_severity: Severity::High,
            digest_threshold: 5,
            quiet_hours: QuietHours {
                enabled: false,
                start: "22:00".to_owned(),
                end: "07:00".to_owned(),
            },
            include_informational: false,
        }
    }
}

impl NotificationSettings {
    /// The alert policy the notification planner applies.
    pub fn alert_policy(&self) -> crate::alert::AlertPolicy {
        let severity = match self.minimum_severity {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Unknown => "unknown",
        };
        crate::alert::AlertPolicy {
            minimum_severity: severity.to_owned(),
            digest_threshold: self.digest_threshold as usize,
            quiet_hours: if self.quiet_hours.enabled {
                crate::alert::QuietHours::parse(&self.quiet_hours.start, &self.quiet_hours.end)
            } else {
                None
            },
            include_informational: self.include_informational,
        }
    }
}

/// The persisted settings. Missing fields take their defaults, so a value written by an older
/// depwatch still reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// Address the webhook listener binds.
    pub listen_address: IpAddr,
    pub listen_port: u16,
    /// Hours between advisory database syncs; 0 = no scheduled sync.
    pub sync_interval_hours: u32,
    /// Branch patterns monitored besides the default branch (`release/*`).
    pub ref_patterns: Vec<String>,
    pub notifications: NotificationSettings,
    /// Start the desktop app when the user logs in (the shell applies it).
    pub start_at_login: bool,
}

impl Default for Settings {
    /// All interfaces on the hook's default port (Bitbucket runs on another machine), a sync
    /// every 6 hours, the ref filter's default patterns, notifications from `high` up.
    fn default() -> Self {
        Settings {
            listen_address: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            listen_port: depwatch_hook::DEFAULT_PORT,
            sync_interval_hours: 6,
            ref_patterns: RefFilter::default()
                .branch_patterns
                .iter()
                .map(|p| p.as_str().to_owned())
                .collect(),
            notifications: NotificationSettings::default(),
            start_at_login: false,
        }
    }
}

impl Settings {
    /// The socket address the listener binds.
    pub fn listen_addr(&self) -> SocketAddr {
        SocketAddr::new(self.listen_address, self.listen_port)
    }

    /// True when only this machine can reach the listener (Bitbucket elsewhere cannot).
    pub fn loopback_only(&self) -> bool {
        self.listen_address.is_loopback()
    }

    /// The ref filter the pipeline applies (tags stay off).
    pub fn ref_filter(&self) -> Result<RefFilter, SettingsError> {
        RefFilter::from_patterns(&self.ref_patterns, false)
            .map_err(|e| invalid("refPatterns", e.to_string()))
    }

    /// Checks every field; the error names the field and what is wrong.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.listen_port == 0 {
            return Err(invalid("listenPort", "port 0 is not a port (use 1 to 65535)"));
        }
        if self.listen_address.is_multicast() {
            return Err(invalid(
                "listenAddress",
                format!("{} is a multicast address", self.listen_address),
            ));
        }
        // 0 = no scheduled sync (offline machines sync by hand or import files).
        if self.sync_interval_hours > MAX_SYNC_INTERVAL_HOURS {
            return Err(invalid(
                "syncIntervalHours",
                format!(
                    "{} hours is out of range (0 = never, up to {MAX_SYNC_INTERVAL_HOURS})",
                    self.sync_interval_hours
                ),
            ));
        }
        if self.ref_patterns.len() > MAX_REF_PATTERNS {
            return Err(invalid(
                "refPatterns",
                format!("at most {MAX_REF_PATTERNS} patterns (got {})", self.ref_patterns.len()),
            ));
        }
        for pattern in &self.ref_patterns {
            if pattern.trim().starts_with("refs/") {
                return Err(invalid(
                    "refPatterns",
                    format!("{pattern:?}: give branch names with * wildcards (release/*), without refs/heads/"),
                ));
            }
            RefPattern::new(pattern).map_err(|e| invalid("refPatterns", e.to_string()))?;
        }
        let n = &self.notifications;
        if n.digest_threshold == 0 || n.digest_threshold > MAX_DIGEST_THRESHOLD {
            return Err(invalid(
                "notifications.digestThreshold",
                format!("{} is out of range (1 to {MAX_DIGEST_THRESHOLD})", n.digest_threshold),
            ));
        }
        for (field, value) in [
            ("notifications.quietHours.start", &n.quiet_hours.start),
            ("notifications.quietHours.end", &n.quiet_hours.end),
        ] {
            if parse_hh_mm(value).is_none() {
                return Err(invalid(field, format!("{value:?} is not a time of day (HH:MM)")));
            }
        }
        Ok(())
    }

    /// Normalizes what a person typed: trimmed, empty patterns dropped, duplicates removed.
    fn normalized(mut self) -> Settings {
        let mut patterns: Vec<String> = Vec::new();
        for p in self.ref_patterns.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
            if !patterns.iter().any(|q| q == p) {
                patterns.push(p.to_owned());
            }
        }
        self.ref_patterns = patterns;
        self
    }

    /// The URL Bitbucket must call for `instance`: `http://HOST:PORT/webhook/INSTANCE` (or
    /// `/webhook` before any instance exists), where
    /// HOST is the listen address, or this machine's outgoing address when the listener binds
    /// every interface.
    pub fn webhook_url(&self, instance: Option<&str>, machine: Option<IpAddr>) -> String {
        let host = if self.listen_address.is_unspecified() {
            machine.unwrap_or(self.listen_address)
        } else {
            self.listen_address
        };
        let host = match host {
            IpAddr::V6(v6) => format!("[{v6}]"),
            IpAddr::V4(v4) => v4.to_string(),
        };
        match instance {
            Some(name) => {
                format!("http://{host}:{}/webhook/{}", self.listen_port, encode_path_segment(name))
            }
            None => format!("http://{host}:{}/webhook", self.listen_port),
        }
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn encode_path_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The address this machine uses to reach `toward` (the Bitbucket host), found by connecting
/// a UDP socket (which sends nothing). `None` when there is no route.
pub fn outgoing_address(toward: Option<&str>) -> Option<IpAddr> {
    use std::net::ToSocketAddrs;
    let target: SocketAddr = toward
        .and_then(|host| (host, 443).to_socket_addrs().ok())
        .and_then(|mut addrs| addrs.find(|a| a.is_ipv4()))
        // TEST-NET-1: never routed to anyone, but any default route gives the interface.
        .unwrap_or_else(|| SocketAddr::from(([192, 0, 2, 1], 443)));
    let bind: SocketAddr =
        if target.is_ipv4() { ([0, 0, 0, 0], 0).into() } else { ([0u16; 8], 0).into() };
    let socket = UdpSocket::bind(bind).ok()?;
    socket.connect(target).ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_unspecified()).then_some(ip)
}

/// One advisory source as the Settings and Dashboard screens show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdvisorySourceStatus {
    /// Stable id: `osv-<ecosystem>` for the OSV bucket's exports, else `source-<row id>`.
    pub id: String,
    pub name: String,
    pub ecosystems: Vec<Ecosystem>,
    pub enabled: bool,
    /// Unix seconds of the last sync attempt.
    pub last_sync_at: Option<i64>,
    pub advisory_count: u64,
    /// Enabled and last synced more than twice the sync interval ago.
    pub stale: bool,
    /// Why the last sync failed.
    pub last_error: Option<String>,
}

fn source_status(source: &AdvisorySource, interval_hours: u32, now_s: i64) -> AdvisorySourceStatus {
    let ecosystem = ecosystem_hint(&source.location);
    let is_osv = source.kind == SourceKind::Url && source.location.starts_with(OSV_BUCKET);
    let (id, name) = match (is_osv, ecosystem) {
        (true, Some(e)) => (
            format!("osv-{}", e.as_str().to_ascii_lowercase()),
            format!("OSV: {} advisories", e.as_str()),
        ),
        _ => {
            let shown = if source.kind == SourceKind::Url {
                redact_url(&source.location)
            } else {
                source.location.clone()
            };
            (format!("source-{}", source.id.0), shown)
        }
    };
    let stale_after = i64::from(interval_hours) * 2 * 3600;
    AdvisorySourceStatus {
        id,
        name,
        ecosystems: ecosystem.into_iter().collect(),
        enabled: source.configured,
        last_sync_at: source.last_sync_at,
        advisory_count: source.record_count,
        stale: source.configured
            && interval_hours > 0
            && source.last_sync_at.is_some_and(|t| now_s - t > stale_after),
        last_error: (source.last_result == Some(SyncResult::Failed))
            .then(|| source.last_error.clone().unwrap_or_else(|| "sync failed".to_owned())),
    }
}

fn now_s() -> i64 {
    crate::instance::now_ms() / 1000
}

impl App {
    /// The saved settings (defaults when none were saved).
    pub fn settings(&self) -> Result<Settings, SettingsError> {
        Ok(self.store.setting::<Settings>(SETTINGS_KEY)?.unwrap_or_default())
    }

    /// Validates and saves `settings`; returns what was stored.
    pub fn save_settings(&self, settings: Settings) -> Result<Settings, SettingsError> {
        let settings = settings.normalized();
        settings.validate()?;
        self.store.set_setting(SETTINGS_KEY, &settings)?;
        tracing::info!(listen = %settings.listen_addr(), sync_interval_hours = settings.sync_interval_hours, ref_patterns = ?settings.ref_patterns, "settings saved");
        Ok(settings)
    }

    /// The webhook HMAC secret, when one is set.
    pub fn webhook_secret(&self) -> Result<Option<Secret>, SettingsError> {
        Ok(self.secret_store().store.get(WEBHOOK_SECRET_ACCOUNT)?)
    }

    /// Sets the webhook secret (at least [`MIN_WEBHOOK_SECRET_LEN`] printable characters).
    pub fn set_webhook_secret(&self, secret: &str) -> Result<(), SettingsError> {
        let len = secret.chars().count();
        if len < MIN_WEBHOOK_SECRET_LEN {
            return Err(invalid(
                "secret",
                format!("use at least {MIN_WEBHOOK_SECRET_LEN} characters (got {len})"),
            ));
        }
        if len > MAX_WEBHOOK_SECRET_LEN {
            return Err(invalid(
                "secret",
                format!("use at most {MAX_WEBHOOK_SECRET_LEN} characters (got {len})"),
            ));
        }
        if secret.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(invalid("secret", "spaces and control characters are not allowed"));
        }
        self.secret_store().store.set(WEBHOOK_SECRET_ACCOUNT, &Secret::new(secret))?;
        tracing::info!("webhook secret changed");
        Ok(())
    }

    /// Replaces the webhook secret with 32 random bytes (hex) and returns it.
    pub fn regenerate_webhook_secret(&self) -> Result<Secret, SettingsError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| SettingsError::Random(e.to_string()))?;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        self.set_webhook_secret(&hex)?;
        Ok(Secret::new(hex))
    }

    /// Every advisory source with its sync state. On first use, the OSV bucket's export of
    /// every supported ecosystem is registered (enabled unless other sources are configured).
    pub fn advisory_source_statuses(&self) -> Result<Vec<AdvisorySourceStatus>, SettingsError> {
        let sources = self.store.advisory_sources()?;
        if !sources.iter().any(|s| s.location.starts_with(OSV_BUCKET)) {
            // First use: offer every OSV export, enabled unless the user already chose sources.
            let enable = !sources.iter().any(|s| s.configured);
            for &e in &Ecosystem::ALL {
                self.store.ensure_advisory_source(
                    &crate::default_source_url(e),
                    SourceKind::Url,
                    enable,
                )?;
            }
        }
        let interval = self.settings()?.sync_interval_hours;
        let now = now_s();
        let mut statuses: Vec<AdvisorySourceStatus> = self
            .store
            .advisory_sources()?
            .iter()
            .map(|s| source_status(s, interval, now))
            .collect();
        statuses.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(statuses)
    }

    /// Enables exactly the sources whose ids are listed (ids from
    /// [`App::advisory_source_statuses`]); an unknown id is an error naming it.
    pub fn set_enabled_advisory_sources(&self, ids: &[String]) -> Result<(), SettingsError> {
        self.advisory_source_statuses()?;
        let sources = self.store.advisory_sources()?;
        let interval = self.settings()?.sync_interval_hours;
        let known: Vec<(String, &AdvisorySource)> =
            sources.iter().map(|s| (source_status(s, interval, 0).id, s)).collect();
        if let Some(unknown) = ids.iter().find(|id| !known.iter().any(|(k, _)| k == *id)) {
            return Err(invalid(
                "enabledSources",
                format!("no advisory source has id {unknown:?}"),
            ));
        }
        for (id, source) in &known {
            let enabled = ids.contains(id);
            if enabled != source.configured {
                self.store.set_advisory_source_configured(&source.location, enabled)?;
            }
        }
        Ok(())
    }

    /// Syncs the enabled advisory sources one after the other (blocking: call it off the UI
    /// thread). Unlike [`App::sync_advisories`], disabling every source syncs nothing.
    pub fn sync_enabled_advisories(
        &self,
        limits: &DownloadLimits,
    ) -> Result<Vec<SourceSync>, SettingsError> {
        self.advisory_source_statuses()?;
        let enabled: Vec<AdvisorySource> =
            self.store.advisory_sources()?.into_iter().filter(|s| s.configured).collect();
        Ok(enabled
            .iter()
            .map(|source| (redact_url(&source.location), self.import_source(source, limits)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DataDir;

    fn open() -> (tempfile::TempDir, App) {
        let dir = tempfile::tempdir().unwrap();
        let app = App::open(DataDir::new(dir.path().to_path_buf())).unwrap();
        (dir, app)
    }

    #[test]
    fn defaults_until_saved_then_the_saved_value_round_trips() {
        let (_dir, app) = open();
        let defaults = app.settings().unwrap();
        assert_eq!(defaults.listen_port, depwatch_hook::DEFAULT_PORT);
        assert!(defaults.listen_address.is_unspecified());
        assert_eq!(defaults.ref_patterns, ["release/*"]);
        let mut changed = defaults.clone();
        changed.listen_address = "127.0.0.1".parse().unwrap();
        changed.listen_port = 9000;
        changed.ref_patterns = vec![" hotfix/* ".into(), "".into(), "hotfix/*".into()];
        changed.notifications.minimum_severity = Severity::Medium;
        changed.notifications.quiet_hours =
            QuietHours { enabled: true, start: "22:30".into(), end: "06:00".into() };
        let saved = app.save_settings(changed).unwrap();
        assert_eq!(saved.ref_patterns, ["hotfix/*"]);
        assert!(saved.loopback_only());
        assert_eq!(app.settings().unwrap(), saved);
        let json: serde_json::Value = app.store().setting(SETTINGS_KEY).unwrap().unwrap();
        assert_eq!(json["listenAddress"], "127.0.0.1");
        assert_eq!(json["notifications"]["minimumSeverity"], "medium");
    }

    #[test]
    fn a_value_from_an_older_version_fills_missing_fields_with_defaults() {
        let (_dir, app) = open();
        app.store().set_setting(SETTINGS_KEY, &serde_json::json!({"listenPort": 8080})).unwrap();
        let settings = app.settings().unwrap();
        assert_eq!(settings.listen_port, 8080);
        assert_eq!(settings.sync_interval_hours, 6);
    }

    #[test]
    fn invalid_values_name_their_field() {
        let (_dir, app) = open();
        type Change = Box<dyn Fn(&mut Settings)>;
        let cases: Vec<(Change, &str)> = vec![
            (Box::new(|s| s.listen_port = 0), "listenPort"),
            (Box::new(|s| s.sync_interval_hours = 24 * 365), "syncIntervalHours"),
            (Box::new(|s| s.ref_patterns = vec!["refs/heads/main".into()]), "refPatterns"),
            (Box::new(|s| s.notifications.digest_threshold = 0), "notifications.digestThreshold"),
            (
                Box::new(|s| s.notifications.quiet_hours.start = "25:00".into()),
                "notifications.quietHours.start",
            ),
        ];
        for (change, field) in cases {
            let mut s = Settings::default();
            change(&mut s);
            match app.save_settings(s) {
                Err(SettingsError::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: expected an invalid-field error, got {other:?}"),
            }
        }
        assert_eq!(app.settings().unwrap(), Settings::default(), "nothing invalid was stored");
    }

    #[test]
    fn webhook_url_uses_the_machine_address_for_a_wildcard_bind() {
        let mut s = Settings { listen_port: 28123, ..Settings::default() };
        let machine: IpAddr = "10.1.2.3".parse().unwrap();
        assert_eq!(
            s.webhook_url(Some("git.corp"), Some(machine)),
            "http://10.1.2.3:28123/webhook/git.corp"
        );
        s.listen_address = "192.168.1.5".parse().unwrap();
        assert_eq!(
            s.webhook_url(Some("my bb"), Some(machine)),
            "http://192.168.1.5:28123/webhook/my%20bb"
        );
        s.listen_address = "::1".parse().unwrap();
        assert_eq!(s.webhook_url(Some("x"), None), "http://[::1]:28123/webhook/x");
        assert_eq!(s.webhook_url(None, None), "http://[::1]:28123/webhook");
    }

    #[test]
    fn notification_settings_become_the_alert_policy() {
        let mut n = NotificationSettings {
            quiet_hours: QuietHours { enabled: true, start: "22:00".into(), end: "07:30".into() },
            minimum_severity: Severity::Medium,
            ..NotificationSettings::default()
        };
        let policy = n.alert_policy();
        assert_eq!(policy.minimum_severity, "medium");
        let quiet = policy.quiet_hours.unwrap();
        assert!(quiet.contains(23 * 60) && quiet.contains(7 * 60 + 29) && !quiet.contains(12 * 60));
        n.quiet_hours.enabled = false;
        assert!(n.alert_policy().quiet_hours.is_none());
    }

    #[test]
    fn webhook_secret_is_kept_in_the_secret_store_and_checked() {
        let (dir, app) = open();
        // Force the file store: tests must not touch the user's keychain.
        let _ = app.secrets.set(depwatch_bitbucket::secret::OpenedSecretStore {
            store: std::sync::Arc::new(depwatch_bitbucket::secret::FileStore::new(
                dir.path().join("secrets.json"),
            )),
            keychain_unavailable: Some("test".into()),
        });
        assert!(app.webhook_secret().unwrap().is_none());
        assert!(matches!(app.set_webhook_secret("short"), Err(SettingsError::Invalid { .. })));
        app.set_webhook_secret("0123456789abcdef-long-enough").unwrap();
        assert_eq!(app.webhook_secret().unwrap().unwrap().expose(), "0123456789abcdef-long-enough");
        let fresh = app.regenerate_webhook_secret().unwrap();
        assert_eq!(fresh.expose().len(), 64);
        assert_eq!(app.webhook_secret().unwrap().unwrap().expose(), fresh.expose());
        let db = std::fs::read(app.store().path()).unwrap();
        assert!(!String::from_utf8_lossy(&db).contains(fresh.expose()), "never in the database");
    }

    #[test]
    fn advisory_sources_default_to_the_osv_exports_and_can_be_disabled() {
        let (_dir, app) = open();
        let sources = app.advisory_source_statuses().unwrap();
        assert_eq!(sources.len(), Ecosystem::ALL.len());
        assert!(sources.iter().all(|s| s.enabled && s.id.starts_with("osv-")));
        let npm = sources.iter().find(|s| s.ecosystems == [Ecosystem::Npm]).unwrap();
        assert_eq!(npm.id, "osv-npm");
        app.set_enabled_advisory_sources(&["osv-npm".to_owned()]).unwrap();
        let after = app.advisory_source_statuses().unwrap();
        let enabled: Vec<&str> =
            after.iter().filter(|s| s.enabled).map(|s| s.id.as_str()).collect();
        assert_eq!(enabled, ["osv-npm"]);
        assert!(matches!(
            app.set_enabled_advisory_sources(&["nope".to_owned()]),
            Err(SettingsError::Invalid { field: "enabledSources", .. })
        ));
        app.set_enabled_advisory_sources(&[]).unwrap();
        let synced = app.sync_enabled_advisories(&DownloadLimits::default()).unwrap();
        assert!(synced.is_empty(), "every source disabled: nothing is downloaded");
    }
}
