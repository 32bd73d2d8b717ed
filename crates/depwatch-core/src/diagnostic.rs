//! Diagnostics: what a parser, importer or matcher could not do, said so a person can act.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How much a diagnostic matters to the person reading the results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiagnosticLevel {
    /// Something was skipped on purpose (a workspace link, a path dependency).
    Info,
    /// Results may be incomplete (an unpinned version, an unresolved property).
    Warning,
    /// A file or entry could not be read; results for it are missing.
    Error,
}

/// One message about an input, naming where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// The file (repository-relative path), URL or record id the message is about.
    pub source: String,
    /// 1-based line in `source`, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    pub level: DiagnosticLevel,
    pub message: String,
}

impl Diagnostic {
    pub fn new(
        level: DiagnosticLevel,
        source: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self { source: source.into(), line: None, level, message: message.into() }
    }

    pub fn error(source: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(DiagnosticLevel::Error, source, message)
    }

    pub fn warning(source: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(DiagnosticLevel::Warning, source, message)
    }

    pub fn info(source: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(DiagnosticLevel::Info, source, message)
    }

    /// Attaches a 1-based line number.
    pub fn at_line(mut self, line: u32) -> Self {
        self.line = Some(line);
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            DiagnosticLevel::Info => "info",
            DiagnosticLevel::Warning => "warning",
            DiagnosticLevel::Error => "error",
        };
        match self.line {
            Some(line) => write!(f, "{level}: {}:{line}: {}", self.source, self.message),
            None => write!(f, "{level}: {}: {}", self.source, self.message),
        }
    }
}
