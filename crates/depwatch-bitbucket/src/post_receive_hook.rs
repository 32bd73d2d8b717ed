//! The Atlassian Labs "Web Post Hooks" plugin (post-receive hook), for servers without native
//! webhooks (< 5.4) or where admins prefer it. Its settings are a flat map of `hook-url-N` keys;
//! PUT replaces the whole map, so we merge our URL into a free slot and remove only ours.

use reqwest::{Method, StatusCode};

use crate::client::{segment, Call, Client};
use crate::error::{Error, Result};
use crate::model::RepositoryHook;
use crate::repository::is_missing_repo;
use crate::webhook_admin::HookTarget;

/// The plugin's repository hook key.
pub const POST_RECEIVE_HOOK_KEY: &str =
    "com.atlassian.stash.plugin.stash-web-post-receive-hooks-plugin:postReceiveHook";

/// Hook settings: a JSON object (`{"hook-url-0": "http://…", …}` for the plugin).
pub type HookSettings = serde_json::Map<String, serde_json::Value>;

/// Number of `hook-url-N` slots we use (0–19, as other integrations assume).
pub const HOOK_URL_SLOTS: usize = 20;

/// Bitbucket refuses hook settings larger than this.
const MAX_SETTINGS_BYTES: usize = 32 * 1024;

/// What [`Client::add_post_receive_url`] / [`Client::remove_post_receive_url`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookUrlChange {
    /// Our URL was put into this slot (and the hook enabled).
    Added {
        /// The `hook-url-N` key.
        slot: String,
    },
    /// Our URL was already there; nothing sent.
    AlreadyPresent {
        /// The `hook-url-N` key.
        slot: String,
    },
    /// Our URL was removed; `remaining` other URLs stay.
    Removed {
        /// How many other URLs remain.
        remaining: usize,
    },
    /// Our URL was not configured; nothing sent.
    NotPresent,
}

fn slot_index(key: &str) -> Option<usize> {
    key.strip_prefix("hook-url-")?.parse().ok()
}

fn url_entries(settings: &HookSettings) -> Vec<(usize, String)> {
    let mut entries: Vec<(usize, String)> = settings
        .iter()
        .filter_map(|(k, v)| Some((slot_index(k)?, v.as_str()?.trim().to_owned())))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    entries.sort();
    entries
}

/// Puts `url` into the first free `hook-url-N` slot. Returns `Ok((slot, true))` when added,
/// `Ok((slot, false))` when it was already configured.
pub fn merge_hook_url(settings: &mut HookSettings, url: &str) -> Result<(String, bool)> {
    if let Some((i, _)) = url_entries(settings).into_iter().find(|(_, v)| v == url) {
        return Ok((format!("hook-url-{i}"), false));
    }
    let free = (0..HOOK_URL_SLOTS).find(|i| {
        settings
            .get(&format!("hook-url-{i}"))
            .and_then(serde_json::Value::as_str)
            .is_none_or(|v| v.trim().is_empty())
    });
    let Some(i) = free else {
        return Err(Error::InvalidInput(format!(
            "all {HOOK_URL_SLOTS} hook-url slots of the post-receive hook are in use"
        )));
    };
    let key = format!("hook-url-{i}");
    settings.insert(key.clone(), serde_json::Value::String(url.to_owned()));
    Ok((key, true))
}

/// Removes every slot holding `url` and renumbers the other URLs to `hook-url-0..` in their
/// order, so no reader that stops at the first gap loses them. Other keys are kept. Returns
/// `(removed, remaining)`.
pub fn remove_hook_url(settings: &mut HookSettings, url: &str) -> (usize, usize) {
    let entries = url_entries(settings);
    let removed = entries.iter().filter(|(_, v)| v == url).count();
    if removed == 0 {
        return (0, entries.len());
    }
    settings.retain(|k, _| slot_index(k).is_none());
    let others: Vec<String> = entries.into_iter().map(|(_, v)| v).filter(|v| v != url).collect();
    for (i, v) in others.iter().enumerate() {
        settings.insert(format!("hook-url-{i}"), serde_json::Value::String(v.clone()));
    }
    (removed, others.len())
}

impl Client {
    fn hook_path<'a>(
        &self,
        target: &'a HookTarget,
        hook_key: &'a str,
        tail: Option<&'a str>,
    ) -> Result<Vec<&'a str>> {
        let mut path = target.segments()?;
        path.extend(["settings", "hooks", segment("hook key", hook_key)?]);
        if let Some(t) = tail {
            path.push(t);
        }
        Ok(path)
    }

    /// Whether a hook is installed, enabled and configured in this scope; `None` when the
    /// plugin is not installed (404 that does not name a missing project/repository).
    pub async fn hook(
        &self,
        target: &HookTarget,
        hook_key: &str,
    ) -> Result<Option<RepositoryHook>> {
        let path = self.hook_path(target, hook_key, None)?;
        match self.get_json(Call::get(self.rest(&path))).await {
            Ok(hook) => Ok(Some(hook)),
            Err(e) if is_missing_repo(&e) => Err(e),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The hook's settings (empty when never configured).
    pub async fn hook_settings(&self, target: &HookTarget, hook_key: &str) -> Result<HookSettings> {
        let path = self.hook_path(target, hook_key, Some("settings"))?;
        let reply = self.send(&Call::get(self.rest(&path))).await?;
        if reply.status == StatusCode::NO_CONTENT || reply.body.iter().all(u8::is_ascii_whitespace)
        {
            return Ok(HookSettings::new());
        }
        let value: serde_json::Value = reply.json()?;
        match value {
            serde_json::Value::Object(map) => Ok(map),
            serde_json::Value::Null => Ok(HookSettings::new()),
            other => Err(Error::Decode {
                url: reply.url,
                detail: format!("hook settings are not a JSON object but {}", json_kind(&other)),
            }),
        }
    }

    /// Replaces the hook's settings (the body replaces all of them).
    pub async fn put_hook_settings(
        &self,
        target: &HookTarget,
        hook_key: &str,
        settings: &HookSettings,
    ) -> Result<()> {
        check_settings_size(settings)?;
        let path = self.hook_path(target, hook_key, Some("settings"))?;
        let call = Call::get(self.rest(&path)).with_method(Method::PUT).json(settings)?;
        self.send(&call).await.map(|_| ())
    }

    /// Enables the hook with these settings (`PUT …/enabled`; the body replaces all settings).
    pub async fn enable_hook(
        &self,
        target: &HookTarget,
        hook_key: &str,
        settings: &HookSettings,
    ) -> Result<()> {
        check_settings_size(settings)?;
        let path = self.hook_path(target, hook_key, Some("enabled"))?;
        let call = Call::get(self.rest(&path)).with_method(Method::PUT).json(settings)?;
        self.send(&call).await.map(|_| ())
    }

    /// Disables the hook for **every** URL (`DELETE …/enabled`). Prefer
    /// [`Client::remove_post_receive_url`], which removes only ours.
    pub async fn disable_hook(&self, target: &HookTarget, hook_key: &str) -> Result<()> {
        let path = self.hook_path(target, hook_key, Some("enabled"))?;
        let call = Call::get(self.rest(&path)).with_method(Method::DELETE);
        self.send(&call).await.map(|_| ())
    }

    /// Adds our URL to the post-receive plugin in a free `hook-url-N` slot and enables it.
    /// Fails with [`Error::NotFound`] semantics turned into `InvalidInput` when the plugin is
    /// not installed.
    pub async fn add_post_receive_url(
        &self,
        target: &HookTarget,
        url: &str,
    ) -> Result<HookUrlChange> {
        if self.hook(target, POST_RECEIVE_HOOK_KEY).await?.is_none() {
            return Err(Error::InvalidInput(
                "the Web Post Hooks plugin (post-receive hook) is not installed on this server"
                    .to_owned(),
            ));
        }
        let mut settings = self.hook_settings(target, POST_RECEIVE_HOOK_KEY).await?;
        let (slot, added) = merge_hook_url(&mut settings, url)?;
        if !added {
            // Make sure it is enabled even when the URL was already configured.
            let hook = self.hook(target, POST_RECEIVE_HOOK_KEY).await?;
            if hook.is_some_and(|h| h.enabled) {
                return Ok(HookUrlChange::AlreadyPresent { slot });
            }
        }
        self.enable_hook(target, POST_RECEIVE_HOOK_KEY, &settings).await?;
        Ok(if added {
            HookUrlChange::Added { slot }
        } else {
            HookUrlChange::AlreadyPresent { slot }
        })
    }

    /// Removes only our URL from the post-receive plugin's settings; other URLs stay and the
    /// hook stays enabled for them.
    pub async fn remove_post_receive_url(
        &self,
        target: &HookTarget,
        url: &str,
    ) -> Result<HookUrlChange> {
        let mut settings = self.hook_settings(target, POST_RECEIVE_HOOK_KEY).await?;
        let (removed, remaining) = remove_hook_url(&mut settings, url);
        if removed == 0 {
            return Ok(HookUrlChange::NotPresent);
        }
        self.put_hook_settings(target, POST_RECEIVE_HOOK_KEY, &settings).await?;
        Ok(HookUrlChange::Removed { remaining })
    }
}

fn check_settings_size(settings: &HookSettings) -> Result<()> {
    let size = serde_json::to_vec(settings).map(|v| v.len()).unwrap_or(usize::MAX);
    if size > MAX_SETTINGS_BYTES {
        return Err(Error::InvalidInput(format!(
            "hook settings are {size} bytes; Bitbucket accepts at most {MAX_SETTINGS_BYTES}"
        )));
    }
    Ok(())
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn settings(v: serde_json::Value) -> HookSettings {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn merge_uses_first_free_slot_and_is_idempotent() {
        let mut s = settings(json!({"hook-url-0": "http://ci/a", "hook-url-1": "", "other": 1}));
        let (slot, added) = merge_hook_url(&mut s, "http://me/hook/prh/t").unwrap();
        assert_eq!((slot.as_str(), added), ("hook-url-1", true));
        let (slot, added) = merge_hook_url(&mut s, "http://me/hook/prh/t").unwrap();
        assert_eq!((slot.as_str(), added), ("hook-url-1", false));
        assert_eq!(s["hook-url-0"], "http://ci/a");
        assert_eq!(s["other"], 1);
    }

    #[test]
    fn merge_fails_when_full() {
        let mut s = HookSettings::new();
        for i in 0..HOOK_URL_SLOTS {
            s.insert(format!("hook-url-{i}"), json!(format!("http://x/{i}")));
        }
        assert!(merge_hook_url(&mut s, "http://me").is_err());
    }

    #[test]
    fn remove_only_ours_and_renumber() {
        let mut s = settings(json!({
            "hook-url-0": "http://ci/a", "hook-url-1": "http://me", "hook-url-2": "http://ci/b",
            "hook-url-7": "http://me", "flag": true
        }));
        let (removed, remaining) = remove_hook_url(&mut s, "http://me");
        assert_eq!((removed, remaining), (2, 2));
        assert_eq!(
            serde_json::Value::Object(s),
            json!({"hook-url-0": "http://ci/a", "hook-url-1": "http://ci/b", "flag": true})
        );
        let mut t = settings(json!({"hook-url-0": "http://ci/a"}));
        assert_eq!(remove_hook_url(&mut t, "http://me"), (0, 1));
        assert_eq!(t["hook-url-0"], "http://ci/a");
    }
}
