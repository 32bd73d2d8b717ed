//! Opening links (advisory references, Bitbucket pages) in the system browser. The webview
//! itself never navigates away, and only http(s) URLs are opened.

use crate::{CommandError, ErrorCode};
use tauri::{AppHandle, Runtime};

/// The URL when it is an absolute http(s) URL with a host; `invalid-input` otherwise.
pub(crate) fn checked_url(url: &str) -> Result<tauri::Url, CommandError> {
    let refuse = |why: &str| {
        CommandError::new(
            ErrorCode::InvalidInput,
            format!(
                "Refusing to open {url:?}: {why}; only http and https links open in the browser."
            ),
        )
    };
    let parsed = tauri::Url::parse(url.trim()).map_err(|_| refuse("not a URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(refuse(&format!("the scheme is {}", parsed.scheme())));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(refuse("it has no host"));
    }
    Ok(parsed)
}

/// Opens an http(s) URL in the system browser.
#[tauri::command]
pub async fn open_external<R: Runtime>(
    handle: AppHandle<R>,
    url: String,
) -> Result<(), CommandError> {
    use tauri::Manager;
    use tauri_plugin_opener::OpenerExt;
    let url = checked_url(&url)?;
    if handle.try_state::<tauri_plugin_opener::Opener<R>>().is_none() {
        return Err(CommandError::new(
            ErrorCode::Internal,
            "no system browser opener is available",
        ));
    }
    handle
        .opener()
        .open_url(url.as_str(), None::<&str>)
        .map_err(|err| CommandError::new(ErrorCode::Io, format!("cannot open the browser: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https_urls_with_a_host_pass() {
        assert!(checked_url("https://osv.dev/vulnerability/GHSA-1").is_ok());
        assert!(checked_url("http://git.corp/projects/SHOP").is_ok());
        for bad in
            ["file:///etc/passwd", "javascript:alert(1)", "ftp://x/y", "not a url", "https://"]
        {
            let err = checked_url(bad).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidInput, "{bad}");
        }
    }
}
