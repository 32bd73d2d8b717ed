//! The only crate that knows Bitbucket Server / Data Center JSON: REST shapes, OAuth 1.0a and
//! the push payloads that webhooks and the post-receive plugin deliver.

pub mod webhook;
