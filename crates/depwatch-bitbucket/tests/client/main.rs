//! Integration tests of the Bitbucket client: against a scripted HTTP server (exact control of
//! every response) and against the faithful fake server `depwatch-fakebb`.

mod fake;
mod http;
mod messages;
mod oauth;
mod scripted;
mod tls;
