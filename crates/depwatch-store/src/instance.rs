//! Configured Bitbucket instances: where they are, how depwatch authenticates (never the
//! secrets themselves), the perimeter rules and the last connection state.

use crate::enum_column::{enum_col, text_enum};
use crate::{Store, StoreError};
use rusqlite::{OptionalExtension, Row};

/// Row id of an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct InstanceId(pub i64);

text_enum! {
    /// How depwatch authenticates to an instance.
    pub enum AuthKind {
        /// HTTP access token, `Authorization: Bearer`.
        Bearer => "bearer",
        /// User name and password or personal token, `Authorization: Basic`.
        Basic => "basic",
        /// OAuth 1.0a RSA-SHA1 through an Application Link.
        OAuth => "oauth",
    }
}

text_enum! {
    /// The last known connection state, shown next to the instance.
    pub enum InstanceState {
        /// Never tested.
        Unchecked => "unchecked",
        /// The last call succeeded.
        Ok => "ok",
        /// The server refused the credentials (401, revoked or expired token).
        AuthError => "auth_error",
        /// The server could not be reached.
        Unreachable => "unreachable",
        /// OAuth: the consumer is registered but the user has not authorized depwatch yet.
        AuthorizationPending => "authorization_pending",
    }
}

text_enum! {
    /// Which projects the perimeter takes.
    pub enum PerimeterMode {
        /// Every project, including those created later.
        All => "all",
        /// Only the projects marked selected.
        Projects => "projects",
    }
}

/// The perimeter rules of an instance (per-project selection and per-repository exclusion
/// live on the project and repository rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Perimeter {
    pub mode: PerimeterMode,
    /// Personal `~user` projects are part of the perimeter.
    pub include_personal: bool,
    /// Archived repositories are part of the perimeter (off by default).
    pub include_archived: bool,
}

impl Default for Perimeter {
    fn default() -> Self {
        Perimeter { mode: PerimeterMode::All, include_personal: true, include_archived: false }
    }
}

/// An instance to add.
#[derive(Debug, Clone)]
pub struct NewInstance<'a> {
    pub name: &'a str,
    pub base_url: &'a str,
    pub auth_kind: AuthKind,
    pub username: Option<&'a str>,
    pub consumer_key: Option<&'a str>,
    pub ca_path: Option<&'a str>,
    pub max_requests_per_second: Option<u32>,
    pub created_at_ms: i64,
}

/// A stored instance.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceRecord {
    pub id: InstanceId,
    pub name: String,
    pub base_url: String,
    pub auth_kind: AuthKind,
    pub username: Option<String>,
    pub consumer_key: Option<String>,
    pub ca_path: Option<String>,
    pub max_requests_per_second: Option<u32>,
    pub perimeter: Perimeter,
    pub state: InstanceState,
    /// The last connection or authentication error, in words (never a secret).
    pub last_error: Option<String>,
    pub last_checked_at_ms: Option<i64>,
    pub server_version: Option<String>,
    pub user_name: Option<String>,
    pub created_at_ms: i64,
}

/// What a connection check found, for [`Store::instance_set_status`].
#[derive(Debug, Clone, Copy)]
pub struct InstanceStatus<'a> {
    pub state: InstanceState,
    pub last_error: Option<&'a str>,
    /// Kept from before when `None`.
    pub server_version: Option<&'a str>,
    /// Kept from before when `None`.
    pub user_name: Option<&'a str>,
    pub checked_at_ms: i64,
}

const COLUMNS: &str = "id, name, base_url, auth_kind, username, consumer_key, ca_path, \
    max_requests_per_second, perimeter_mode, include_personal, include_archived, state, \
    last_error, last_checked_at, server_version, user_name, created_at";

fn from_row(row: &Row<'_>) -> rusqlite::Result<InstanceRecord> {
    Ok(InstanceRecord {
        id: InstanceId(row.get(0)?),
        name: row.get(1)?,
        base_url: row.get(2)?,
        auth_kind: enum_col(row, 3, AuthKind::parse)?,
        username: row.get(4)?,
        consumer_key: row.get(5)?,
        ca_path: row.get(6)?,
        max_requests_per_second: row
            .get::<_, Option<i64>>(7)?
            .map(|n| n.clamp(0, i64::from(u32::MAX)) as u32),
        perimeter: Perimeter {
            mode: enum_col(row, 8, PerimeterMode::parse)?,
            include_personal: row.get(9)?,
            include_archived: row.get(10)?,
        },
        state: enum_col(row, 11, InstanceState::parse)?,
        last_error: row.get(12)?,
        last_checked_at_ms: row.get(13)?,
        server_version: row.get(14)?,
        user_name: row.get(15)?,
        created_at_ms: row.get(16)?,
    })
}

impl Store {
    /// Adds an instance. Fails with [`StoreError::DuplicateInstance`] when the name is taken.
    pub fn instance_insert(&self, new: &NewInstance<'_>) -> Result<InstanceRecord, StoreError> {
        let conn = self.conn();
        let inserted = conn
            .prepare_cached(&format!(
                "INSERT INTO instance (name, base_url, auth_kind, username, consumer_key, ca_path,
                                       max_requests_per_second, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (name) DO NOTHING
                 RETURNING {COLUMNS}"
            ))?
            .query_row(
                rusqlite::params![
                    new.name,
                    new.base_url,
                    new.auth_kind.as_str(),
                    new.username,
                    new.consumer_key,
                    new.ca_path,
                    new.max_requests_per_second.map(i64::from),
                    new.created_at_ms,
                ],
                from_row,
            )
            .optional()?;
        inserted.ok_or_else(|| StoreError::DuplicateInstance { name: new.name.to_owned() })
    }

    /// Every instance, by name.
    pub fn instances(&self) -> Result<Vec<InstanceRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached(&format!("SELECT {COLUMNS} FROM instance ORDER BY name"))?;
        let rows = stmt.query_map([], from_row)?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The instance called `name`.
    pub fn instance_by_name(&self, name: &str) -> Result<Option<InstanceRecord>, StoreError> {
        let conn = self.conn();
        let row = conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM instance WHERE name = ?1"))?
            .query_row([name], from_row)
            .optional()?;
        Ok(row)
    }

    /// The instance with row id `id`.
    pub fn instance(&self, id: InstanceId) -> Result<Option<InstanceRecord>, StoreError> {
        let conn = self.conn();
        let row = conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM instance WHERE id = ?1"))?
            .query_row([id.0], from_row)
            .optional()?;
        Ok(row)
    }

    /// Records the outcome of a connection check or of a failed call.
    pub fn instance_set_status(
        &self,
        id: InstanceId,
        status: &InstanceStatus<'_>,
    ) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached(
                "UPDATE instance SET state = ?2, last_error = ?3, last_checked_at = ?4,
                        server_version = coalesce(?5, server_version),
                        user_name = coalesce(?6, user_name)
                 WHERE id = ?1",
            )?
            .execute(rusqlite::params![
                id.0,
                status.state.as_str(),
                status.last_error,
                status.checked_at_ms,
                status.server_version,
                status.user_name,
            ])?;
        Ok(())
    }

    /// Replaces the perimeter rules of an instance.
    pub fn instance_set_perimeter(
        &self,
        id: InstanceId,
        perimeter: &Perimeter,
    ) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached(
                "UPDATE instance SET perimeter_mode = ?2, include_personal = ?3,
                        include_archived = ?4
                 WHERE id = ?1",
            )?
            .execute(rusqlite::params![
                id.0,
                perimeter.mode.as_str(),
                perimeter.include_personal,
                perimeter.include_archived,
            ])?;
        Ok(())
    }

    /// Switches how depwatch authenticates to an instance (reconnecting with other
    /// credentials keeps its projects, repositories and findings). Clears the OAuth consumer
    /// key unless `consumer_key` gives one.
    pub fn instance_set_auth(
        &self,
        id: InstanceId,
        auth_kind: AuthKind,
        username: Option<&str>,
        consumer_key: Option<&str>,
        ca_path: Option<&str>,
    ) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached(
                "UPDATE instance SET auth_kind = ?2, username = ?3, consumer_key = ?4, ca_path = ?5
                 WHERE id = ?1",
            )?
            .execute(rusqlite::params![
                id.0,
                auth_kind.as_str(),
                username,
                consumer_key,
                ca_path
            ])?;
        Ok(())
    }

    /// Sets the client-side request ceiling (`None` = unlimited).
    pub fn instance_set_rate_limit(
        &self,
        id: InstanceId,
        max_requests_per_second: Option<u32>,
    ) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached("UPDATE instance SET max_requests_per_second = ?2 WHERE id = ?1")?
            .execute(rusqlite::params![id.0, max_requests_per_second.map(i64::from)])?;
        Ok(())
    }

    /// Removes an instance with its projects, repositories, snapshots and findings. Returns
    /// whether it existed.
    pub fn instance_delete(&self, id: InstanceId) -> Result<bool, StoreError> {
        let n =
            self.conn().prepare_cached("DELETE FROM instance WHERE id = ?1")?.execute([id.0])?;
        Ok(n == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_instance(name: &str) -> NewInstance<'_> {
        NewInstance {
            name,
            base_url: "https://git.corp/bitbucket",
            auth_kind: AuthKind::Bearer,
            username: None,
            consumer_key: None,
            ca_path: None,
            max_requests_per_second: Some(10),
            created_at_ms: 1_000,
        }
    }

    #[test]
    fn instances_are_unique_by_name_and_keep_their_status() {
        let store = Store::open_in_memory().unwrap();
        let corp = store.instance_insert(&new_instance("corp")).unwrap();
        assert_eq!(corp.state, InstanceState::Unchecked);
        assert_eq!(corp.perimeter, Perimeter::default());
        let dup = store.instance_insert(&new_instance("corp")).unwrap_err();
        assert!(matches!(dup, StoreError::DuplicateInstance { ref name } if name == "corp"));

        store
            .instance_set_status(
                corp.id,
                &InstanceStatus {
                    state: InstanceState::Ok,
                    last_error: None,
                    server_version: Some("9.4.2"),
                    user_name: Some("admin"),
                    checked_at_ms: 2_000,
                },
            )
            .unwrap();
        // A later auth failure keeps the version and user seen before.
        store
            .instance_set_status(
                corp.id,
                &InstanceStatus {
                    state: InstanceState::AuthError,
                    last_error: Some("token revoked"),
                    server_version: None,
                    user_name: None,
                    checked_at_ms: 3_000,
                },
            )
            .unwrap();
        let got = store.instance_by_name("corp").unwrap().unwrap();
        assert_eq!(got.state, InstanceState::AuthError);
        assert_eq!(got.last_error.as_deref(), Some("token revoked"));
        assert_eq!(got.server_version.as_deref(), Some("9.4.2"));
        assert_eq!(got.user_name.as_deref(), Some("admin"));
        assert_eq!(got.last_checked_at_ms, Some(3_000));

        let perimeter = Perimeter {
            mode: PerimeterMode::Projects,
            include_personal: false,
            include_archived: true,
        };
        store.instance_set_perimeter(corp.id, &perimeter).unwrap();
        assert_eq!(store.instance(corp.id).unwrap().unwrap().perimeter, perimeter);
        store.instance_set_auth(corp.id, AuthKind::OAuth, None, Some("depwatch"), None).unwrap();
        let got = store.instance(corp.id).unwrap().unwrap();
        assert_eq!(
            (got.auth_kind, got.consumer_key.as_deref()),
            (AuthKind::OAuth, Some("depwatch"))
        );
        assert!(store.instance_delete(corp.id).unwrap());
        assert!(store.instances().unwrap().is_empty());
    }
}
