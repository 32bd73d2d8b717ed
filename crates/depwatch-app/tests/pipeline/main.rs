//! The monitoring pipeline against the fake Bitbucket.

mod webhook_registration;
