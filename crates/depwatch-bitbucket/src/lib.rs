//! The only crate that knows Bitbucket Server / Data Center: REST shapes and calls, OAuth 1.0a,
//! and the push payloads that webhooks and the post-receive plugin deliver ([`webhook`]).
//! Works from 5.x to 10.x servers.
//!
//! * [`Client`] from an [`InstanceConfig`] (base URL with context path, [`Auth`], optional custom
//!   CA PEM, timeouts, retries, page guard). TLS verification is always on; `X-Atlassian-Token:
//!   no-check` goes on every request; `HTTP(S)_PROXY` is honoured.
//! * Auth: Bearer access tokens, Basic (password or personal token), OAuth 1.0a RSA-SHA1 with the
//!   dance in [`oauth`] ([`Client::request_token`], [`Client::authorize_url`],
//!   [`Client::access_token`], [`Client::renew`]).
//! * Typed errors ([`Error`]) that name the URL and say what is wrong in words.
//! * Paging by `nextPageStart` with a page guard ([`Paged`]).
//! * Secrets: [`Secret`] redacts itself; [`secret::SecretStore`] keeps them (OS keychain or an
//!   owner-only file).

mod client;
pub mod config;
mod connection;
pub mod error;
pub mod model;
pub mod oauth;
pub mod paging;
pub mod post_receive_hook;
pub mod repository;
pub mod secret;
pub mod webhook;
pub mod webhook_admin;

pub use client::Client;
pub use config::{Auth, InstanceConfig, OAuthCredentials, PageGuard, RetryPolicy, Timeouts};
pub use connection::ConnectionInfo;
pub use error::{ApiError, AuthReason, ConnectFailure, Error, ErrorBody, OAuthProblem, Result};
pub use oauth::{AccessToken, OAuthKey, RequestToken, REQUEST_TOKEN_TTL};
pub use paging::{Page, Paged};
pub use post_receive_hook::{HookSettings, HookUrlChange, POST_RECEIVE_HOOK_KEY};
pub use repository::{ArchivedFilter, CommitQuery, RepoFilter, RepoPermission};
pub use secret::{Secret, SecretStore, SecretStoreKind};
pub use webhook_admin::HookTarget;
