//! Key/value settings stored as JSON text.

use crate::{Store, StoreError};
use rusqlite::OptionalExtension;
use serde::{de::DeserializeOwned, Serialize};

impl Store {
    /// Reads a setting, `None` when it was never set.
    pub fn setting<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        let raw: Option<String> = self
            .conn()
            .query_row("SELECT value FROM setting WHERE key = ?1", [key], |r| r.get(0))
            .optional()?;
        raw.map(|text| {
            serde_json_value(&text)
                .map_err(|message| StoreError::BadSetting { key: key.to_owned(), message })
        })
        .transpose()
    }

    /// Writes a setting, replacing any previous value.
    pub fn set_setting<T: Serialize>(&self, key: &str, value: &T) -> Result<(), StoreError> {
        let text = serde_json_text(value)
            .map_err(|message| StoreError::BadSetting { key: key.to_owned(), message })?;
        self.conn().execute(
            "INSERT INTO setting (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = unixepoch()",
            (key, text),
        )?;
        Ok(())
    }
}

fn serde_json_value<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

fn serde_json_text<T: Serialize>(value: &T) -> Result<String, String> {
    serde_json::to_string(value).map_err(|e| e.to_string())
}
