//! The user's browser on the fake's OAuth authorize page, for tests of the OAuth dance: open
//! the page as the logged-in admin, press Allow or Deny, report where the form sent it.

use std::time::Duration;

/// What submitting the authorize page answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeAnswer {
    /// A redirect (the `Location`): to the consumer's callback.
    Redirect(String),
    /// An HTML page: the out-of-band verifier page, or an error page.
    Page(String),
}

impl AuthorizeAnswer {
    /// The redirect target, if the form redirected.
    pub fn redirect(self) -> Option<String> {
        match self {
            AuthorizeAnswer::Redirect(location) => Some(location),
            AuthorizeAnswer::Page(_) => None,
        }
    }

    /// The page, if the form answered with one.
    pub fn page(self) -> Option<String> {
        match self {
            AuthorizeAnswer::Page(html) => Some(html),
            AuthorizeAnswer::Redirect(_) => None,
        }
    }
}

/// Loads `authorize_url`, then posts the page's form with its tokens and Allow (`approve`) or
/// Deny. No cookies, no redirects followed.
///
/// # Errors
/// The page cannot be loaded or lacks the form's fields, or the post fails.
pub async fn press_authorize(
    authorize_url: &str,
    approve: bool,
) -> Result<AuthorizeAnswer, String> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .map_err(|e| e.to_string())?;
    let page = http.get(authorize_url).send().await.map_err(|e| e.to_string())?;
    if page.status() != 200 {
        return Err(format!("authorize page answered {}", page.status()));
    }
    let html = page.text().await.map_err(|e| e.to_string())?;
    let attribute = |marker: &str| -> Result<String, String> {
        let start =
            html.find(marker).ok_or_else(|| format!("no `{marker}` in {html}"))? + marker.len();
        Ok(html[start..].split('"').next().unwrap_or_default().to_owned())
    };
    let action = attribute("action=\"")?;
    let url = reqwest::Url::parse(authorize_url)
        .and_then(|u| u.join(&action))
        .map_err(|e| e.to_string())?;
    let button = if approve { "approve=Allow" } else { "deny=Deny" };
    let body = format!(
        "oauth_token={}&atl_token={}&{button}",
        crate::oauth_percent_encode(&attribute("name=\"oauth_token\" value=\"")?),
        crate::oauth_percent_encode(&attribute("name=\"atl_token\" value=\"")?),
    );
    let reply = http
        .post(url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    match reply.headers().get("location") {
        Some(location) => {
            Ok(AuthorizeAnswer::Redirect(location.to_str().map_err(|e| e.to_string())?.to_owned()))
        }
        None => Ok(AuthorizeAnswer::Page(reply.text().await.map_err(|e| e.to_string())?)),
    }
}
