//! depwatch push intake: the webhook listener, the only product code that binds a listening
//! socket.
//!
//! It authenticates deliveries (HMAC-SHA256 for native webhooks, a URL token for the
//! Atlassian Labs Web Post Hooks plugin), normalizes them with `depwatch-bitbucket`, commits
//! them to an [`Inbox`] and only then answers 2xx. It never scans: the pipeline worker drains
//! the inbox.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use depwatch_hook::{serve, EveryRepository, HookConfig, HookState, MemoryInbox};
//! use std::sync::Arc;
//! let config = HookConfig::default();
//! let listener = tokio::net::TcpListener::bind(config.bind).await?;
//! let state = HookState::new(config, Arc::new(MemoryInbox::new()), Arc::new(EveryRepository))
//!     .map_err(std::io::Error::other)?;
//! serve(listener, state, std::future::pending()).await
//! # }
//! ```

pub mod config;
pub mod inbox;
pub mod oauth_callback;
mod rate_limit;
pub mod repository;
mod server;
pub mod signature;

pub use config::{
    is_loopback_only, plugin_url, webhook_url, ConfigError, HookConfig, InstanceConfig, InstanceId,
    RateLimit, Secret, DEFAULT_MAX_BODY_BYTES, DEFAULT_PORT, DEFAULT_REQUEST_TIMEOUT,
};
pub use inbox::{
    AcceptOutcome, Disposition, EventKind, Inbox, InboxEntry, InboxError, MemoryInbox, StoreInbox,
};
pub use oauth_callback::{
    CallbackOutcome, CallbackTicket, LoopbackCallbackServer, OAuthCallbacks, CALLBACK_PATH,
};
pub use repository::{EveryRepository, RepoDirectory, RepoLookup};
pub use server::{router, serve, HookState};
