//! Reachability, version and identity: `application-properties`, `whoami`, "Test connection".

use crate::client::{looks_like_html, Call, Client};
use crate::error::{Error, ErrorBody, Result};
use crate::model::ApplicationProperties;

/// What "Test connection" found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// Server version, e.g. "9.4.2".
    pub version: String,
    /// "Bitbucket" (or "Stash").
    pub display_name: Option<String>,
    /// The authenticated user; `None` for anonymous access and project/repository tokens.
    pub user: Option<String>,
}

impl Client {
    /// `GET /rest/api/1.0/application-properties` (no auth needed). A 404, an HTML page or JSON
    /// without a `version` becomes [`Error::WrongContextPath`], with a suggested base URL when a
    /// nearby context path answers.
    pub async fn application_properties(&self) -> Result<ApplicationProperties> {
        match self.application_properties_at(self).await {
            Ok(props) => Ok(props),
            Err(Error::WrongContextPath { url, detail, .. }) => {
                let suggestion = self.suggest_base_url().await;
                Err(Error::WrongContextPath { url, detail, suggestion })
            }
            Err(other) => Err(other),
        }
    }

    async fn application_properties_at(&self, client: &Client) -> Result<ApplicationProperties> {
        let call = Call::get(client.rest(&["application-properties"]));
        let reply = match client.send(&call).await {
            Ok(reply) => reply,
            Err(Error::NotFound { url, body }) => {
                return Err(Error::WrongContextPath {
                    url,
                    detail: format!("HTTP 404, {body}"),
                    suggestion: None,
                })
            }
            Err(Error::Http { url, status, body: body @ ErrorBody::Html { .. } }) => {
                return Err(Error::WrongContextPath {
                    url,
                    detail: format!("HTTP {status}, {body}"),
                    suggestion: None,
                })
            }
            Err(other) => return Err(other),
        };
        if looks_like_html(&reply.headers, &reply.body) {
            let title = crate::error::html_title(&reply.text_lossy());
            return Err(Error::WrongContextPath {
                url: reply.url.clone(),
                detail: format!(
                    "an HTML page{} instead of JSON",
                    title.map(|t| format!(" \"{t}\"")).unwrap_or_default()
                ),
                suggestion: None,
            });
        }
        reply.json::<ApplicationProperties>().map_err(|_| Error::WrongContextPath {
            url: reply.url.clone(),
            detail: "JSON without a Bitbucket version".to_owned(),
            suggestion: None,
        })
    }

    /// Tries the usual alternatives to a wrong context path: one level up (a pasted `/rest`
    /// or page URL), then `/bitbucket` and `/stash` at the host root. At most three quick
    /// probes, no retries.
    async fn suggest_base_url(&self) -> Option<String> {
        let base = self.base_url();
        let path = base.path().trim_end_matches('/');
        let mut candidates: Vec<String> = Vec::new();
        if let Some((parent, _)) = path.rsplit_once('/') {
            candidates.push(parent.to_owned());
        }
        for ctx in ["/bitbucket", "/stash"] {
            if path != ctx && !candidates.iter().any(|c| c == ctx) {
                candidates.push(ctx.to_owned());
            }
        }
        for candidate in candidates.into_iter().take(3) {
            let mut config = self.config().clone();
            config.base_url.set_path(&candidate);
            config.retry.max_retries = 0;
            config.retry.max_rate_limit_waits = 0;
            let Ok(probe) = Client::new(config) else {
                continue;
            };
            if self.application_properties_at(&probe).await.is_ok() {
                return Some(probe.base_url().as_str().trim_end_matches('/').to_owned());
            }
        }
        None
    }

    /// The username behind the credentials: `GET {base}/plugins/servlet/applinks/whoami` (plain
    /// text), falling back to the `X-AUSERNAME` header. `None` for anonymous access and for
    /// project/repository tokens, which have no user.
    pub async fn whoami(&self) -> Result<Option<String>> {
        let mut call = Call::get(self.base_join(&["plugins", "servlet", "applinks", "whoami"]));
        call.accept = "text/plain, */*";
        let reply = match self.send(&call).await {
            Ok(reply) => reply,
            // Missing servlet (very old or stripped servers), or credentials the servlet does not
            // take (project/repository tokens have no user): identify through REST instead,
            // whose own 401 is the authoritative answer.
            Err(Error::NotFound { .. } | Error::Auth { .. }) => {
                return self.username_from_rest().await
            }
            Err(other) => return Err(other),
        };
        if !looks_like_html(&reply.headers, &reply.body) {
            let text = reply.text_lossy();
            let name = text.trim();
            if !name.is_empty() && name.len() <= 255 && !name.contains(['\n', '<']) {
                return Ok(Some(name.to_owned()));
            }
        }
        if let Some(user) = reply.header_str("X-AUSERNAME").filter(|u| !u.is_empty()) {
            return Ok(Some(user.to_owned()));
        }
        self.username_from_rest().await
    }

    /// One cheap authenticated REST call (`GET /rest/api/1.0/projects?limit=1`); its
    /// `X-AUSERNAME` header names the user. Proves REST accepts the credentials.
    pub async fn username_from_rest(&self) -> Result<Option<String>> {
        let call = Call::get(self.rest(&["projects"])).query("limit", 1);
        let reply = self.send(&call).await?;
        Ok(reply.header_str("X-AUSERNAME").filter(|u| !u.is_empty()).map(str::to_owned))
    }

    /// "Test connection": the version (which also proves the context path), then the identity
    /// and one authenticated REST call (which proves the credentials). Errors say in words
    /// what is wrong: DNS, refused, TLS, 401 with the server's reason, wrong context path.
    pub async fn test_connection(&self) -> Result<ConnectionInfo> {
        let props = self.application_properties().await?;
        let user = self.whoami().await?;
        // whoami is a servlet: prove REST accepts the credentials too (OAuth tokens and PATs
        // can be refused there while the servlet answers anonymously).
        let rest_user = self.username_from_rest().await?;
        Ok(ConnectionInfo {
            version: props.version,
            display_name: props.display_name,
            user: user.or(rest_user),
        })
    }
}
