//! `Cargo.lock` v1–v4, read in one pass over `toml_parser`'s events into borrowed structs.
//!
//! Packages without a `source` are the workspace members (and path crates): they are the graph
//! roots, and their dependencies are the direct ones. The lock does not record dev-dependencies,
//! so scope comes from the companion `Cargo.toml` files when they are available.
//!
//! Only what depwatch uses is kept, borrowed from the text: this file is on the hot path of
//! every scan, and a generic lockfile model (the `cargo-lock` crate) cost a third more time
//! and many more allocations, and `toml`'s intermediate document tree cost a third of what
//! was left. The document is still checked as TOML (syntax by `toml_parser`, structure as
//! `toml` checks it), and values the way Cargo and `cargo-lock` check them (semver versions,
//! dependency strings, source kinds, hex checksums), as they are read, so that a bad value is
//! reported with its line; the error reported is the one `toml` and serde reported.

use super::cargo_toml::{read_manifest, Manifest};
use crate::parsed::{line_at, scopes_by_reachability};
use crate::{join_path, Input};
use depwatch_core::{Dependency, Diagnostic, Ecosystem, Edge, Parsed, Scope, Source};
use rustc_hash::{FxBuildHasher, FxHashMap};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use toml_parser::decoder::{Encoding, ScalarKind};
use toml_parser::lexer::{Token, TokenKind};
use toml_parser::parser::{
    parse_document, Event, EventKind, EventReceiver, RecursionGuard, ValidateWhitespace,
};
use toml_parser::{ErrorSink, Expected, ParseError, Span};

pub(crate) fn parse(input: &Input<'_>) -> Parsed {
    let mut out = Parsed::default();
    let text = match input.text() {
        Ok(t) => t,
        Err(d) => {
            out.diagnostics.push(d);
            return out;
        }
    };
    let lock = match read_lock(text) {
        Ok(lock) => lock,
        Err(e) => {
            out.diagnostics.push(e.into_diagnostic(input.path, text));
            return out;
        }
    };
    let packages = &lock.package;
    if packages.is_empty() {
        out.diagnostics.push(Diagnostic::info(input.path, "lists no packages"));
        return out;
    }

    let mut alternate = 0usize;
    out.packages.reserve_exact(packages.len());
    for (i, pkg) in packages.iter().enumerate() {
        let kind = pkg.source.as_ref().map_or(SourceKind::None, |s| s.kind);
        if kind == SourceKind::OtherRegistry {
            alternate += 1;
        }
        out.packages.push(
            Dependency::new(Ecosystem::CratesIo, &*pkg.name, &*pkg.version.0, input.path)
                .with_source(kind.source()),
        );
        if kind == SourceKind::None {
            out.roots.push(i);
        }
    }

    let index = NameIndex::new(packages);
    for (i, pkg) in packages.iter().enumerate() {
        for dep in lock.dependencies.get(pkg.dependencies.clone()).unwrap_or_default() {
            match index.resolve(packages, dep) {
                Some(to) => out.edges.push(Edge { from: i, to }),
                None => out.diagnostics.push(Diagnostic::warning(
                    input.path,
                    format!(
                        "package {} {} depends on {}, which the lockfile does not list",
                        pkg.name, pkg.version.0, dep
                    ),
                )),
            }
        }
    }
    if alternate > 0 {
        out.diagnostics.push(Diagnostic::info(
            input.path,
            format!(
                "{alternate} package(s) come from a registry other than crates.io; they are \
                 listed but not matched against crates.io advisories"
            ),
        ));
    }

    let manifests = member_manifests(input, &out.packages, &mut out.diagnostics);
    classify(&mut out, &manifests);
    out
}

/// Why a lockfile could not be read.
#[derive(Debug)]
enum LockError {
    /// Syntax, structure or value errors, found in the single pass (usually with a span).
    Toml { message: String, span: Option<Span> },
    /// Whole-document inconsistencies, found after.
    Document(&'static str),
}

impl LockError {
    fn from_parse(error: &ParseError) -> Self {
        // The rendering of `toml::de::Error`: description, then what was expected.
        let mut message = error.description().to_owned();
        if let Some(expected) = error.expected() {
            message.push_str(", expected ");
            if expected.is_empty() {
                message.push_str("nothing");
            }
            for (i, expected) in expected.iter().enumerate() {
                if i != 0 {
                    message.push_str(", ");
                }
                match expected {
                    Expected::Literal("\n") => message.push_str("newline"),
                    Expected::Literal("`") => message.push_str("'`'"),
                    Expected::Literal(s) if s.chars().all(|c| c.is_ascii_control()) => {
                        message.push_str(&format!("`{}`", s.escape_debug()));
                    }
                    Expected::Literal(s) => message.push_str(&format!("`{s}`")),
                    Expected::Description(s) => message.push_str(s),
                    _ => message.push_str("etc"),
                }
            }
        }
        Self::Toml { message, span: error.unexpected() }
    }

    fn into_diagnostic(self, path: &str, text: &str) -> Diagnostic {
        match self {
            Self::Toml { message, span } => {
                // The wording depwatch has always reported, from `toml`'s error display: the
                // position, then the prose lines of the message.
                let mut full = String::new();
                if let Some(span) = span {
                    let (line, column) = translate_position(text.as_bytes(), span.start());
                    full =
                        format!("TOML parse error at line {}, column {}\n", line + 1, column + 1);
                }
                full.push_str(&message);
                let prose: Vec<&str> = full
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.contains('|'))
                    .collect();
                let diag = Diagnostic::error(
                    path,
                    format!("invalid Cargo.lock: parse error: {}", prose.join(": ")),
                );
                match span {
                    Some(span) => diag.at_line(line_at(text.as_bytes(), span.start())),
                    None => diag,
                }
            }
            Self::Document(message) => {
                Diagnostic::error(path, format!("invalid Cargo.lock: {message}"))
            }
        }
    }
}

/// 0-based line and character column of a byte offset, as `toml` computes them.
fn translate_position(input: &[u8], index: usize) -> (usize, usize) {
    if input.is_empty() {
        return (0, index);
    }
    let safe_index = index.min(input.len() - 1);
    let column_offset = index - safe_index;
    let before = input.get(..safe_index).unwrap_or_default();
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |nl| nl + 1);
    let line = before.iter().filter(|&&b| b == b'\n').count();
    let column = input
        .get(line_start..=safe_index)
        .and_then(|s| std::str::from_utf8(s).ok())
        .map_or(safe_index - line_start, |s| s.chars().count() - 1);
    (line, column + column_offset)
}

fn read_lock(text: &str) -> Result<RawLock<'_>, LockError> {
    let lock = Reader::read(text)?;
    // Without a `version` line the format is v1 or v2, told apart by where checksums are; a
    // file with both is neither (the rule of Cargo and `cargo-lock`).
    if lock.version.is_none()
        && lock.has_metadata_checksums
        && lock.package.iter().any(|p| p.checksum.is_some())
    {
        return Err(LockError::Document(
            "contains checksums in both [[package]] and [metadata] sections",
        ));
    }
    Ok(lock)
}

/// The parts of a `Cargo.lock` depwatch reads. Other keys (`patch`, legacy `root`, the
/// `replace` of a package, future additions) are skipped.
#[derive(Debug)]
struct RawLock<'a> {
    /// Format version: absent for v1 and v2, `3` or `4` since.
    version: Option<u32>,
    package: Vec<RawPackage<'a>>,
    dependencies: Vec<DepSpec<'a>>,
    /// v1 keeps checksums in `[metadata]`, as `"checksum <name> <version> (<source>)" =
    /// "<hash>"`; only their presence matters (it tells v1 from v2).
    has_metadata_checksums: bool,
}

#[derive(Debug, Default)]
struct RawPackage<'a> {
    name: Cow<'a, str>,
    version: Version<'a>,
    source: Option<SourceId<'a>>,
    checksum: Option<Checksum>,
    /// Where its entries are in [`RawLock::dependencies`]: one buffer for all packages
    /// instead of a vector each.
    dependencies: Range<usize>,
    /// Whether `name` and `version` were given (they are required).
    has_name: bool,
    has_version: bool,
}

const INLINE_TABLE: &str = "inline table";

/// The nesting `toml` allows (its own limit); deeper input is an error, not a deeper stack.
const MAX_DEPTH: u32 = 80;

/// What a value means to depwatch, found from the keys that lead to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Root,
    FormatVersion,
    /// The root `package` key, an array of tables.
    PackageList,
    /// An element of a `package = [ … ]` array, before it is known to be a table.
    PackageElement,
    Package(usize),
    Field(usize, Field),
    Dependencies(usize),
    DependencyEntry(usize),
    Metadata,
    /// Anything else: checked as TOML, then skipped.
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Name,
    Version,
    Source,
    Checksum,
}

impl Role {
    /// What serde would have expected here, for type errors; `None` where anything goes.
    fn expected(self) -> Option<&'static str> {
        match self {
            Self::FormatVersion => Some("u32"),
            Self::PackageList | Self::Dependencies(_) => Some("a sequence"),
            Self::PackageElement => Some("struct RawPackage"),
            Self::Field(..) | Self::DependencyEntry(_) => Some("a string"),
            Self::Metadata => Some("a table"),
            Self::Root | Self::Package(_) | Self::Other => None,
        }
    }
}

/// A role and where its errors rank: `toml` deserialized from sorted maps, so of several bad
/// values it reported the one first in key order (root key, package, package key), not in
/// file order. Ranking the same way keeps the reported error the same.
#[derive(Debug, Clone, Copy)]
struct Ctx {
    role: Role,
    root: u8,
    package: usize,
    field: u8,
}

const ROOT_KEYS: [&str; 3] = ["metadata", "package", "version"];
const PACKAGE_KEYS: [&str; 5] = ["checksum", "dependencies", "name", "source", "version"];

/// The sort position of `key` among `sorted` known keys: odd for a known key, even between.
fn rank(key: &str, sorted: &[&str]) -> u8 {
    let below = sorted.partition_point(|k| *k < key);
    let exact = sorted.get(below).is_some_and(|k| *k == key);
    u8::try_from(2 * below + usize::from(exact)).unwrap_or(u8::MAX)
}

impl Ctx {
    const ROOT: Self = Self { role: Role::Root, root: 0, package: 0, field: 0 };

    fn with(self, role: Role) -> Self {
        Self { role, ..self }
    }
}

/// A table's keys, checked the way `toml` checks them (duplicates, redefined tables, dotted
/// keys into closed values). Values are not kept, only what they are.
#[derive(Default)]
struct Table<'a> {
    entries: Vec<(Cow<'a, str>, Node<'a>)>,
    /// Built once a table grows past a few keys (v1 `[metadata]` has one per package).
    index: FxHashMap<Cow<'a, str>, usize>,
    /// Created by a header's path or a dotted key, not defined by its own header.
    implicit: bool,
    /// Created by a dotted key.
    dotted: bool,
}

enum Node<'a> {
    /// Boxed: most entries are values, and a small entry keeps package tables small.
    Table(Box<Table<'a>>),
    /// An array of tables (`[[…]]`).
    Tables(Vec<Table<'a>>),
    /// A closed value, with its type for messages.
    Value(&'static str),
}

impl<'a> Table<'a> {
    const LINEAR: usize = 16;

    fn implicit(dotted: bool) -> Self {
        Self { implicit: true, dotted, ..Self::default() }
    }

    fn find(&self, key: &str) -> Option<usize> {
        if self.entries.len() <= Self::LINEAR {
            self.entries.iter().position(|(k, _)| k == key)
        } else {
            self.index.get(key).copied()
        }
    }

    fn node(&mut self, i: usize) -> Option<&mut Node<'a>> {
        self.entries.get_mut(i).map(|(_, node)| node)
    }

    fn insert(&mut self, key: Cow<'a, str>, node: Node<'a>) -> usize {
        let i = self.entries.len();
        if i == 0 {
            // A package has five or six keys: one allocation instead of two.
            self.entries.reserve(8);
        }
        if i == Self::LINEAR {
            self.index =
                self.entries.iter().enumerate().map(|(j, (k, _))| (k.clone(), j)).collect();
        }
        if i >= Self::LINEAR {
            self.index.insert(key.clone(), i);
        }
        self.entries.push((key, node));
        i
    }

    /// The table at `path` below this one, created as needed (`toml`'s `descend_path`).
    fn descend(
        &mut self,
        path: &[(Cow<'a, str>, Span)],
        dotted: bool,
        inline: bool,
    ) -> Result<&mut Self, ParseError> {
        let mut table = self;
        for (key, span) in path {
            let i = match table.find(key) {
                Some(i) => i,
                None => table.insert(key.clone(), Node::Table(Box::new(Self::implicit(dotted)))),
            };
            let extend = |kind: &str| {
                ParseError::new(format!("cannot extend value of type {kind} with a dotted key"))
                    .with_unexpected(*span)
            };
            table = match table.node(i) {
                Some(Node::Tables(tables)) => tables.last_mut().ok_or_else(|| extend("array"))?,
                Some(Node::Table(child)) => {
                    if dotted && child.implicit {
                        child.dotted = true;
                    }
                    // Dotted keys may not reopen a table defined by a header.
                    if dotted && !child.implicit {
                        return Err(ParseError::new("duplicate key").with_unexpected(*span));
                    }
                    child
                }
                // Inside an inline table, `toml` calls a nested inline table a duplicate.
                Some(Node::Value(INLINE_TABLE)) if inline => {
                    return Err(ParseError::new("duplicate key").with_unexpected(*span));
                }
                Some(Node::Value(kind)) => return Err(extend(kind)),
                None => return Err(extend("value")),
            };
        }
        Ok(table)
    }

    /// Defines `keys` (a dotted key, last part the name) in this table.
    fn define(
        &mut self,
        keys: &[(Cow<'a, str>, Span)],
        kind: &'static str,
        inline: bool,
    ) -> Result<(), ParseError> {
        let Some(((key, span), path)) = keys.split_last() else { return Ok(()) };
        let dotted = !path.is_empty();
        let parent = self.descend(path, dotted, inline)?;
        let node = Node::Value(kind);
        if (dotted && !parent.implicit) || parent.find(key).is_some() {
            return Err(ParseError::new("duplicate key").with_unexpected(*span));
        }
        parent.insert(key.clone(), node);
        Ok(())
    }
}

/// A key and where it is, as read.
type Keys<'a> = Vec<(Cow<'a, str>, Span)>;

/// An open array or inline table. Its key is defined when it closes, as `toml` does after
/// reading the whole value, so that errors inside it come first.
enum Frame<'a> {
    Array { elements: Ctx, open: Span, keys: Option<Keys<'a>> },
    Inline { table: Table<'a>, ctx: Ctx, open: Span, keys: Option<Keys<'a>> },
}

/// The header of the table being read.
struct Header<'a> {
    keys: Vec<(Cow<'a, str>, Span)>,
    span: Span,
    is_array: bool,
}

/// The fewest tokens handed to the parser at once: a few kilobytes, reused, instead of a
/// vector for the whole file.
const PIECE_TOKENS: usize = 512;

/// Cuts the token stream into pieces that `parse_document` reads one after another, giving
/// the same events and errors as the whole stream.
///
/// Why: `Lexer::into_vec` sizes its vector at two tokens per seven bytes (24 bytes each,
/// about 700 KB for a 100 KB lockfile), and the first touch of those pages was a tenth of
/// the page faults of a whole `depwatch scan`. One buffer of a few kilobytes, refilled,
/// costs none.
///
/// Where it is safe to cut (read from `toml_parser` 1.1's `parser/document.rs`): only before
/// a `[` that starts a line (after a newline and any whitespace) while every `[` and `{`
/// read so far has been closed by a closer of its own kind. The parser leaves its top-level
/// loop across lines only for arrays and inline tables (and their error recovery,
/// `ignore_to_value_close`), and those end only at their matching closer; everything else
/// ends at or before a newline, and a comment always runs to one. So at such a `[` the
/// parser is back in its top-level loop with nothing pending: a piece that ends there runs
/// out of tokens there and stops with no error and no event (`eof` reports only a token it
/// finds), and the `[` is where the next piece starts, so the parser's look-backs for error
/// spans (to the last significant token) stop within the piece. Once a closer does not match
/// what is open (or has nothing to close), the parser's nesting may differ from the
/// brackets', and the rest of the document is one piece.
struct Pieces<'a> {
    lexer: toml_parser::lexer::Lexer<'a>,
    /// The `[` that starts the next piece, read while ending this one.
    next_start: Option<Token>,
    /// The brackets open so far, `true` for a `{`.
    open: Vec<bool>,
    /// Only whitespace since the last newline (or the start).
    at_line_start: bool,
    /// A closer did not match: no more cuts.
    unbalanced: bool,
    min_tokens: usize,
}

impl<'a> Pieces<'a> {
    fn new(lexer: toml_parser::lexer::Lexer<'a>, min_tokens: usize) -> Self {
        Self {
            lexer,
            next_start: None,
            open: Vec::new(),
            at_line_start: true,
            unbalanced: false,
            min_tokens: min_tokens.max(1),
        }
    }

    /// Replaces the content of `tokens` with the next piece (the last one ends with the
    /// lexer's `Eof`); `false` once there is none.
    fn fill(&mut self, tokens: &mut Vec<Token>) -> bool {
        tokens.clear();
        tokens.extend(self.next_start.take());
        for token in self.lexer.by_ref() {
            match token.kind() {
                TokenKind::Newline => self.at_line_start = true,
                TokenKind::Whitespace => {}
                kind => {
                    let cut = kind == TokenKind::LeftSquareBracket
                        && self.at_line_start
                        && self.open.is_empty()
                        && !self.unbalanced
                        && tokens.len() >= self.min_tokens;
                    self.at_line_start = false;
                    self.unbalanced |= !balanced(&mut self.open, kind);
                    if cut {
                        self.next_start = Some(token);
                        return true;
                    }
                }
            }
            tokens.push(token);
        }
        !tokens.is_empty()
    }
}

/// Tracks `kind` in the brackets `open` (`true` for a `{`): `false` for a closer that does not
/// close the last one open.
fn balanced(open: &mut Vec<bool>, kind: TokenKind) -> bool {
    match kind {
        TokenKind::LeftSquareBracket => {
            open.push(false);
            true
        }
        TokenKind::LeftCurlyBracket => {
            open.push(true);
            true
        }
        TokenKind::RightSquareBracket => open.pop() == Some(false),
        TokenKind::RightCurlyBracket => open.pop() == Some(true),
        _ => true,
    }
}

/// Reads a `Cargo.lock` in one pass over `toml_parser`'s events, keeping only what depwatch
/// uses. `toml` first builds a spanned table of the whole document and then deserializes it;
/// that intermediate tree was most of the parse time and memory, so the checks it made
/// (structure, then types) are made here as the events arrive, and errors are ranked the way
/// `toml` would have reported them: syntax first, then structure, then values.
struct Reader<'a> {
    source: toml_parser::Source<'a>,
    /// The document's tables, outside the one being read.
    root: Table<'a>,
    /// The table being read, detached from `root` until its section ends (as in `toml`).
    current: Table<'a>,
    header: Option<Header<'a>>,
    ctx: Ctx,
    /// The parts of the key being read (header or key/value).
    keys: Keys<'a>,
    /// Key buffers of closed values, for reuse.
    spare_keys: Vec<Keys<'a>>,
    in_header: Option<(Span, bool)>,
    frames: Vec<Frame<'a>>,
    version: Option<u32>,
    packages: Vec<RawPackage<'a>>,
    dependencies: Vec<DepSpec<'a>>,
    has_metadata_checksums: bool,
    /// First structure or decoding error, in file order.
    structure_error: Option<ParseError>,
    /// Value error first in `toml`'s deserialization order.
    value_error: Option<((u8, usize, u8, usize), ParseError)>,
    seq: usize,
}

impl<'a> Reader<'a> {
    fn read(text: &'a str) -> Result<RawLock<'a>, LockError> {
        // The fuzzer also checks that reading in pieces is indistinguishable from reading
        // the whole token vector, including with the smallest pieces (a cut at every header).
        #[cfg(fuzzing)]
        {
            let whole = format!("{:?}", Self::read_whole(text));
            for min_tokens in [1, PIECE_TOKENS] {
                let pieces = format!("{:?}", Self::read_in_pieces(text, min_tokens));
                assert_eq!(whole, pieces, "pieces of at least {min_tokens} tokens differ");
            }
        }
        Self::read_in_pieces(text, PIECE_TOKENS)
    }

    /// Reads the document a piece at a time (see [`Pieces`]), with one token buffer reused.
    fn read_in_pieces(text: &'a str, min_tokens: usize) -> Result<RawLock<'a>, LockError> {
        let source = toml_parser::Source::new(text);
        let mut reader = Self::new(source);
        let mut syntax_error: Option<ParseError> = None;
        {
            // The same wrapping as `toml`: comments and newlines validated, depth bounded.
            // One chain for the whole document, so that its state (the guard's depth) spans
            // the pieces.
            let mut validated = ValidateWhitespace::new(&mut reader, source);
            let mut guarded = RecursionGuard::new(&mut validated, MAX_DEPTH);
            let mut pieces = Pieces::new(source.lex(), min_tokens);
            let mut tokens = Vec::with_capacity(min_tokens.saturating_mul(2).min(1 << 16));
            while pieces.fill(&mut tokens) {
                parse_document(&tokens, &mut guarded, &mut syntax_error);
            }
        }
        reader.finish(syntax_error)
    }

    /// The whole document lexed into one vector, then parsed at once: what
    /// [`Self::read_in_pieces`] must be indistinguishable from.
    #[cfg(any(test, fuzzing))]
    fn read_whole(text: &'a str) -> Result<RawLock<'a>, LockError> {
        let source = toml_parser::Source::new(text);
        let tokens = source.lex().into_vec();
        let mut reader = Self::new(source);
        let mut syntax_error: Option<ParseError> = None;
        {
            let mut validated = ValidateWhitespace::new(&mut reader, source);
            let mut guarded = RecursionGuard::new(&mut validated, MAX_DEPTH);
            parse_document(&tokens, &mut guarded, &mut syntax_error);
        }
        reader.finish(syntax_error)
    }

    fn new(source: toml_parser::Source<'a>) -> Self {
        Reader {
            source,
            root: Table::default(),
            current: Table::default(),
            header: None,
            ctx: Ctx::ROOT,
            keys: Vec::new(),
            spare_keys: Vec::new(),
            in_header: None,
            frames: Vec::new(),
            version: None,
            packages: Vec::new(),
            dependencies: Vec::new(),
            has_metadata_checksums: false,
            structure_error: None,
            value_error: None,
            seq: 0,
        }
    }

    /// Ends the document: its last section, then the error that wins, if any.
    fn finish(mut self, syntax_error: Option<ParseError>) -> Result<RawLock<'a>, LockError> {
        self.finish_table();
        if let Some(e) = syntax_error.or(self.structure_error) {
            return Err(LockError::from_parse(&e));
        }
        if let Some((_, e)) = self.value_error {
            return Err(LockError::from_parse(&e));
        }
        Ok(RawLock {
            version: self.version,
            package: self.packages,
            dependencies: self.dependencies,
            has_metadata_checksums: self.has_metadata_checksums,
        })
    }

    fn structure(&mut self, error: ParseError) {
        self.structure_error.get_or_insert(error);
    }

    fn value_error(&mut self, ctx: Ctx, field: Option<u8>, message: String, span: Span) {
        self.seq += 1;
        let key = (ctx.root, ctx.package, field.unwrap_or(ctx.field), self.seq);
        if self.value_error.as_ref().is_none_or(|(k, _)| key < *k) {
            self.value_error = Some((key, ParseError::new(message).with_unexpected(span)));
        }
    }

    /// A value error that wins over others of the same key.
    fn value_error_first(&mut self, ctx: Ctx, message: String, span: Span) {
        let key = (ctx.root, ctx.package, ctx.field, 0);
        if self.value_error.as_ref().is_none_or(|(k, _)| key <= *k) {
            self.value_error = Some((key, ParseError::new(message).with_unexpected(span)));
        }
    }

    fn type_error(&mut self, ctx: Ctx, unexpected: &str, span: Span) {
        if let Some(expected) = ctx.role.expected() {
            self.value_error(
                ctx,
                None,
                format!("invalid type: {unexpected}, expected {expected}"),
                span,
            );
        }
    }

    /// The context of `key` below `ctx`.
    fn child(&mut self, ctx: Ctx, key: &str) -> Ctx {
        match ctx.role {
            Role::Root => {
                // Known keys get their rank without comparisons: this runs for every key.
                let (role, root) = match key {
                    "metadata" => (Role::Metadata, 1),
                    "package" => (Role::PackageList, 3),
                    "version" => (Role::FormatVersion, 5),
                    _ => (Role::Other, rank(key, &ROOT_KEYS)),
                };
                Ctx { role, root, package: 0, field: 0 }
            }
            Role::Package(i) => {
                let (role, field) = match key {
                    "checksum" => (Role::Field(i, Field::Checksum), 1),
                    "dependencies" => (Role::Dependencies(i), 3),
                    "name" => (Role::Field(i, Field::Name), 5),
                    "source" => (Role::Field(i, Field::Source), 7),
                    "version" => (Role::Field(i, Field::Version), 9),
                    _ => (Role::Other, rank(key, &PACKAGE_KEYS)),
                };
                Ctx { role, field, ..ctx }
            }
            Role::Metadata => {
                self.has_metadata_checksums |= key.starts_with("checksum ");
                ctx.with(Role::Other)
            }
            _ => ctx.with(Role::Other),
        }
    }

    /// The context of the table at `keys` below `ctx`, each part entered as a table.
    /// `through_tables` says whether the root `package` is an array of tables here.
    fn walk(&mut self, mut ctx: Ctx, keys: &[(Cow<'a, str>, Span)], through_tables: bool) -> Ctx {
        for (key, span) in keys {
            ctx = self.child(ctx, key);
            if ctx.role == Role::PackageList && through_tables {
                let last = self.packages.len().saturating_sub(1);
                ctx = Ctx { role: Role::Package(last), package: last, ..ctx };
            } else {
                ctx = self.enter_table(ctx, *span);
            }
        }
        ctx
    }

    /// `ctx` entered as a table: a type error where something else is due.
    fn enter_table(&mut self, ctx: Ctx, span: Span) -> Ctx {
        match ctx.role {
            Role::Root | Role::Package(_) | Role::Metadata | Role::Other => ctx,
            _ => {
                self.type_error(ctx, "map", span);
                ctx.with(Role::Other)
            }
        }
    }

    fn decode_key(&mut self, span: Span, encoding: Option<Encoding>) -> Cow<'a, str> {
        let mut key = Cow::Borrowed("");
        let event = Event::new_unchecked(EventKind::SimpleKey, encoding, span);
        if let Some(raw) = self.source.get(event) {
            raw.decode_key(&mut key, &mut self.structure_error);
        }
        key
    }

    /// Starts a section (`toml`'s `start_table`).
    fn start_table(&mut self, keys: Vec<(Cow<'a, str>, Span)>, span: Span, is_array: bool) {
        let Some(((key, key_span), path)) = keys.split_last() else {
            self.ctx = Ctx::ROOT.with(Role::Other);
            return;
        };
        if path.len() >= MAX_DEPTH as usize {
            self.structure(ParseError::new("recursion limit"));
            self.ctx = Ctx::ROOT.with(Role::Other);
            return;
        }
        let through_tables = self
            .root
            .find("package")
            .and_then(|i| self.root.entries.get(i))
            .is_some_and(|(_, node)| matches!(node, Node::Tables(_)));
        let parent = self.walk(Ctx::ROOT, path, through_tables);
        let ctx = self.child(parent, key);
        self.ctx = if is_array {
            match ctx.role {
                Role::PackageList if path.is_empty() => {
                    let i = self.packages.len();
                    self.packages.push(RawPackage::default());
                    Ctx { role: Role::Package(i), package: i, ..ctx }
                }
                Role::Dependencies(_) => {
                    self.value_error(
                        ctx,
                        None,
                        "invalid type: map, expected a string".into(),
                        span,
                    );
                    ctx.with(Role::Other)
                }
                _ => {
                    self.type_error(ctx, "sequence", span);
                    ctx.with(Role::Other)
                }
            }
        } else if ctx.role.expected().is_some() && ctx.role != Role::Metadata {
            // The table's type error is reported at its header, even when an earlier header
            // path implied it (`toml` spans a table by its defining header).
            self.value_error_first(
                ctx,
                format!("invalid type: map, expected {}", ctx.role.expected().unwrap_or_default()),
                span,
            );
            ctx.with(Role::Other)
        } else {
            ctx
        };
        if !is_array {
            // A table may be defined once, unless only implied by a header path so far; its
            // keys so far are kept (as `toml` does).
            let duplicate = || ParseError::new("duplicate key").with_unexpected(*key_span);
            let error = match self.root.descend(path, false, false) {
                Ok(parent) => match parent.find(key).and_then(|i| parent.node(i)) {
                    Some(Node::Table(t)) => {
                        let reusable = t.implicit && !t.dotted;
                        self.current = std::mem::take(&mut **t);
                        (!reusable).then(duplicate)
                    }
                    Some(_) => Some(duplicate()),
                    None => None,
                },
                Err(e) => Some(e),
            };
            if let Some(e) = error {
                self.structure(e);
            }
        }
        self.current.implicit = false;
        self.current.dotted = false;
        self.header = Some(Header { keys, span, is_array });
    }

    /// Ends a section: checks its package, and attaches its table (`toml`'s `finish_table`).
    fn finish_table(&mut self) {
        self.frames.clear();
        let table = std::mem::take(&mut self.current);
        let Some(header) = self.header.take() else {
            // The keys before the first header are the root's.
            if self.root.entries.is_empty() {
                self.root = table;
            }
            return;
        };
        if let Role::Package(i) = self.ctx.role {
            self.check_package(i, self.ctx, header.span);
        }
        let Some(((key, key_span), path)) = header.keys.split_last() else { return };
        let error = match self.root.descend(path, false, false) {
            Ok(parent) => {
                let existing = parent.find(key);
                if header.is_array {
                    let i = existing
                        .unwrap_or_else(|| parent.insert(key.clone(), Node::Tables(Vec::new())));
                    match parent.node(i) {
                        Some(Node::Tables(tables)) => {
                            tables.push(table);
                            None
                        }
                        _ => Some(ParseError::new("duplicate key").with_unexpected(*key_span)),
                    }
                } else {
                    match existing.and_then(|i| parent.node(i)) {
                        Some(node) => *node = Node::Table(Box::new(table)),
                        None => {
                            parent.insert(key.clone(), Node::Table(Box::new(table)));
                        }
                    }
                    None
                }
            }
            Err(e) => Some(e),
        };
        if let Some(e) = error {
            self.structure(e);
        }
    }

    /// Serde's missing-field errors, at the package's table, after its own keys' errors.
    fn check_package(&mut self, i: usize, ctx: Ctx, span: Span) {
        let Some(p) = self.packages.get(i) else { return };
        let missing = if !p.has_name {
            "name"
        } else if !p.has_version {
            "version"
        } else {
            return;
        };
        self.value_error(ctx, Some(u8::MAX), format!("missing field `{missing}`"), span);
    }

    /// What the value starting now means, its array's span if it is an element (where
    /// `toml` reported an element's failed checks), and its key, if any.
    fn value_ctx(&mut self) -> (Ctx, Option<Span>, Option<Keys<'a>>) {
        if let Some(Frame::Array { elements, open, .. }) = self.frames.last() {
            let mut ctx = *elements;
            if ctx.role == Role::PackageElement {
                ctx.package = self.packages.len();
            }
            return (ctx, Some(*open), None);
        }
        let keys = std::mem::replace(&mut self.keys, self.spare_keys.pop().unwrap_or_default());
        if keys.len() > MAX_DEPTH as usize {
            self.structure(ParseError::new("recursion limit"));
            return (Ctx::ROOT.with(Role::Other), None, None);
        }
        let Some(((key, _), path)) = keys.split_last() else {
            return (Ctx::ROOT.with(Role::Other), None, Some(keys));
        };
        let base = match self.frames.last() {
            Some(Frame::Inline { ctx, .. }) => *ctx,
            _ => self.ctx,
        };
        let parent = self.walk(base, path, false);
        let ctx = self.child(parent, key);
        (ctx, None, Some(keys))
    }

    /// Defines a value's key in the table that holds it, once the value is read.
    fn define(&mut self, keys: Option<Keys<'a>>, kind: &'static str) {
        let Some(mut keys) = keys else { return };
        let result = match self.frames.last_mut() {
            Some(Frame::Inline { table, .. }) => table.define(&keys, kind, true),
            Some(Frame::Array { .. }) => Ok(()),
            None => self.current.define(&keys, kind, false),
        };
        if let Err(e) = result {
            self.structure(e);
        }
        keys.clear();
        self.spare_keys.push(keys);
    }

    fn on_scalar(&mut self, span: Span, encoding: Option<Encoding>) {
        let event = Event::new_unchecked(EventKind::Scalar, encoding, span);
        let Some(raw) = self.source.get(event) else { return };
        let (kind, text) = match plain_basic_string(raw.as_str(), encoding) {
            Some(text) => (ScalarKind::String, Cow::Borrowed(text)),
            None => {
                let mut text = Cow::Borrowed("");
                (raw.decode_scalar(&mut text, &mut self.structure_error), text)
            }
        };
        let type_name = match kind {
            ScalarKind::String => "string",
            ScalarKind::Boolean(_) => "boolean",
            ScalarKind::DateTime => "datetime",
            ScalarKind::Float => "float",
            ScalarKind::Integer(_) => "integer",
        };
        if kind == ScalarKind::DateTime {
            if let Err(e) = text.parse::<toml_datetime::Datetime>() {
                self.structure(ParseError::new(e.to_string()).with_unexpected(span));
            }
        }
        let (ctx, element_span, keys) = self.value_ctx();
        self.define(keys, type_name);
        // Serde's own type errors carry the element's span, a check's errors the array's.
        let check_span = element_span.unwrap_or(span);
        // Serde saw an integer as i64, else u64, else i128, else u128, and named it so.
        let (integer, unexpected) = match kind {
            ScalarKind::Integer(radix) => match i128::from_str_radix(&text, radix.value()) {
                Ok(n) if n >= i128::from(i64::MIN) && n <= i128::from(u64::MAX) => {
                    (Some(n), format!("integer `{n}`"))
                }
                Ok(n) => (None, format!("integer `{n}` as i128")),
                Err(_) => match u128::from_str_radix(&text, radix.value()) {
                    Ok(n) => (None, format!("integer `{n}` as u128")),
                    Err(_) => {
                        self.value_error(ctx, None, "integer number overflowed".into(), span);
                        return;
                    }
                },
            },
            _ => (None, String::new()),
        };
        let result = match (ctx.role, kind) {
            (Role::FormatVersion, ScalarKind::Integer(_)) => match integer {
                Some(n @ 1..=4) => {
                    self.version = u32::try_from(n).ok();
                    Ok(())
                }
                Some(n) if u32::try_from(n).is_ok() => {
                    Err(format!("invalid Cargo.lock format version: `{n}`"))
                }
                Some(_) => Err(format!("invalid value: {unexpected}, expected u32")),
                None => Err(format!("invalid type: {unexpected}, expected u32")),
            },
            (Role::Field(i, field), ScalarKind::String) => self.set_field(i, field, text),
            (Role::DependencyEntry(i), ScalarKind::String) => {
                let dep = match text {
                    Cow::Borrowed(text) => DepSpec::parse(text),
                    // An escaped string: rare enough that copying the parts is fine.
                    Cow::Owned(text) => DepSpec::parse(&text).map(DepSpec::into_owned),
                };
                let dep = dep.map_err(|message| {
                    self.value_error(ctx, None, message, check_span);
                });
                dep.map(|dep| {
                    // A package's entries arrive together (one array per package).
                    self.dependencies.push(dep);
                    if let Some(p) = self.packages.get_mut(i) {
                        if p.dependencies.is_empty() {
                            p.dependencies.start = self.dependencies.len() - 1;
                        }
                        p.dependencies.end = self.dependencies.len();
                    }
                })
                .or(Ok(()))
            }
            (role, _) => match role.expected() {
                Some(expected) => {
                    let unexpected = match kind {
                        ScalarKind::Integer(_) => unexpected,
                        _ => describe(kind, &text),
                    };
                    Err(format!("invalid type: {unexpected}, expected {expected}"))
                }
                None => Ok(()),
            },
        };
        if let Err(message) = result {
            self.value_error(ctx, None, message, span);
        }
    }

    fn set_field(&mut self, i: usize, field: Field, text: Cow<'a, str>) -> Result<(), String> {
        let Some(p) = self.packages.get_mut(i) else { return Ok(()) };
        match field {
            Field::Name => {
                p.name = text;
                p.has_name = true;
            }
            Field::Version => {
                p.version = Version::parse(text).map_err(|e| e.to_string())?;
                p.has_version = true;
            }
            Field::Source => p.source = Some(SourceId::parse(text)?),
            Field::Checksum => p.checksum = Some(Checksum::check(&text)?),
        }
        Ok(())
    }
}

/// The content of a basic string that decodes to itself: quoted, and without escapes or
/// characters TOML forbids in it (controls other than tab, DEL). Nearly every string of a
/// lockfile is one, and this check vectorizes where the decoder walks characters; anything
/// else goes through `toml_parser`'s decoder.
fn plain_basic_string(raw: &str, encoding: Option<Encoding>) -> Option<&str> {
    if encoding != Some(Encoding::BasicString) {
        return None;
    }
    let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
    let plain = |b: u8| (b >= 0x20 && b != b'"' && b != b'\\' && b != 0x7f) || b == b'\t';
    inner.bytes().fold(true, |ok, b| ok & plain(b)).then_some(inner)
}

/// A scalar as serde's `Unexpected` names it in type errors.
fn describe(kind: ScalarKind, text: &str) -> String {
    match kind {
        ScalarKind::String => format!("string {text:?}"),
        ScalarKind::Boolean(b) => format!("boolean `{b}`"),
        ScalarKind::Float => {
            // As serde writes an f64: always with a decimal point when finite.
            let f = text.parse::<f64>().unwrap_or(f64::NAN);
            let mut shown = f.to_string();
            if f.is_finite() && !shown.contains('.') {
                shown.push_str(".0");
            }
            format!("floating point `{shown}`")
        }
        ScalarKind::Integer(_) => format!("integer `{text}`"),
        // `toml` hands a date-time to serde as a map.
        ScalarKind::DateTime => "map".to_owned(),
    }
}

impl EventReceiver for Reader<'_> {
    fn std_table_open(&mut self, span: Span, _error: &mut dyn ErrorSink) {
        self.finish_table();
        self.keys.clear();
        self.in_header = Some((span, false));
    }

    fn array_table_open(&mut self, span: Span, _error: &mut dyn ErrorSink) {
        self.finish_table();
        self.keys.clear();
        self.in_header = Some((span, true));
    }

    fn std_table_close(&mut self, span: Span, _error: &mut dyn ErrorSink) {
        if let Some((open, is_array)) = self.in_header.take() {
            let keys = std::mem::take(&mut self.keys);
            self.start_table(keys, open.append(span), is_array);
        }
    }

    fn array_table_close(&mut self, span: Span, error: &mut dyn ErrorSink) {
        self.std_table_close(span, error);
    }

    fn inline_table_open(&mut self, span: Span, _error: &mut dyn ErrorSink) -> bool {
        let (mut ctx, _, keys) = self.value_ctx();
        match ctx.role {
            Role::PackageElement => {
                let i = self.packages.len();
                self.packages.push(RawPackage::default());
                ctx = Ctx { role: Role::Package(i), package: i, ..ctx };
            }
            Role::Metadata | Role::Package(_) => {}
            _ => {
                self.type_error(ctx, "map", span);
                ctx = ctx.with(Role::Other);
            }
        }
        self.frames.push(Frame::Inline { table: Table::default(), ctx, open: span, keys });
        true
    }

    fn inline_table_close(&mut self, span: Span, _error: &mut dyn ErrorSink) {
        if let Some(Frame::Inline { ctx, open, keys, .. }) = self.frames.pop() {
            if let Role::Package(i) = ctx.role {
                self.check_package(i, ctx, open.append(span));
            }
            self.define(keys, INLINE_TABLE);
        }
    }

    fn array_open(&mut self, span: Span, _error: &mut dyn ErrorSink) -> bool {
        let (ctx, _, keys) = self.value_ctx();
        let elements = match ctx.role {
            Role::PackageList => ctx.with(Role::PackageElement),
            Role::Dependencies(i) => ctx.with(Role::DependencyEntry(i)),
            _ => {
                self.type_error(ctx, "sequence", span);
                ctx.with(Role::Other)
            }
        };
        self.frames.push(Frame::Array { elements, open: span, keys });
        true
    }

    fn array_close(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        if let Some(Frame::Array { keys, .. }) = self.frames.pop() {
            self.define(keys, "array");
        }
    }

    fn simple_key(&mut self, span: Span, encoding: Option<Encoding>, _error: &mut dyn ErrorSink) {
        let key = self.decode_key(span, encoding);
        self.keys.push((key, span));
    }

    fn scalar(&mut self, span: Span, encoding: Option<Encoding>, _error: &mut dyn ErrorSink) {
        self.on_scalar(span, encoding);
    }
}

/// A package version, checked to be semver as Cargo writes it. The text is kept as written:
/// `semver` accepts only canonical spellings, so it equals what `Version::to_string` gives.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Version<'a>(Cow<'a, str>);

impl<'a> Version<'a> {
    fn parse(text: Cow<'a, str>) -> Result<Self, semver::Error> {
        semver::Version::parse(&text)?;
        Ok(Self(text))
    }
}

/// What a `source` names. Only the kind matters to depwatch; the text is kept to tell apart
/// same-named, same-versioned packages from different sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SourceKind {
    /// No source: a workspace member or a path crate.
    None,
    /// crates.io, through its git index or its sparse index.
    CratesIo,
    /// Any other registry (alternate, local or directory registries are other namespaces).
    OtherRegistry,
    Git,
    Path,
}

impl SourceKind {
    fn source(self) -> Source {
        match self {
            Self::None => Source::Workspace,
            Self::CratesIo => Source::Registry,
            Self::OtherRegistry => Source::Url,
            Self::Git => Source::Git,
            Self::Path => Source::Path,
        }
    }
}

/// Cargo's two spellings of the default registry (`SourceId::is_default_registry`).
const CRATES_IO_GIT_INDEX: &str = "https://github.com/rust-lang/crates.io-index";
const CRATES_IO_SPARSE_INDEX: &str = "https://index.crates.io/";

#[derive(Debug, Clone, PartialEq, Eq)]
struct SourceId<'a> {
    text: Cow<'a, str>,
    kind: SourceKind,
}

impl<'a> SourceId<'a> {
    /// `<kind>+<url>` as Cargo writes it; the same kinds and errors as `cargo-lock`.
    fn parse(text: Cow<'a, str>) -> Result<Self, String> {
        let Some((kind, url)) = text.split_once('+') else {
            return Err(format!("invalid source `{text}`"));
        };
        if !has_scheme(url) {
            return Err(format!("invalid source `{text}`: `{url}` is not a URL"));
        }
        let kind = match kind {
            "registry" if same_url(url, CRATES_IO_GIT_INDEX) => SourceKind::CratesIo,
            "sparse" if same_url(url, CRATES_IO_SPARSE_INDEX) => SourceKind::CratesIo,
            "registry" | "sparse" => SourceKind::OtherRegistry,
            "git" => SourceKind::Git,
            "path" => SourceKind::Path,
            _ => return Err(format!("unsupported source protocol: `{kind}` from `{text}`")),
        };
        Ok(Self { text, kind })
    }

    /// The text without a git `?query` or `#revision`: a dependency entry may name a git
    /// source without the revision its package carries.
    fn base(&self) -> &str {
        let end = self.text.find(['?', '#']).unwrap_or(self.text.len());
        self.text.get(..end).unwrap_or(&self.text)
    }

    fn matches(&self, other: &Self) -> bool {
        self.text == other.text || (self.kind == other.kind && self.base() == other.base())
    }
}

/// `scheme:…`, the least a URL has (RFC 3986 scheme characters).
fn has_scheme(url: &str) -> bool {
    let Some((scheme, _)) = url.split_once(':') else { return false };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// URL equality after the normalization `cargo-lock` gets from the `url` crate for an
/// `http(s)://host[:port]/path` URL: scheme and host are case-insensitive, the default port
/// and an empty path's `/` are implied. Cargo writes the canonical form, so the exact
/// comparison nearly always decides.
fn same_url(url: &str, canonical: &str) -> bool {
    if url == canonical {
        return true;
    }
    let split = |u: &str| -> Option<(String, String, String)> {
        let (scheme, rest) = u.split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        let (authority, path) = rest.find('/').map_or((rest, "/"), |i| rest.split_at(i));
        let mut host = authority.to_ascii_lowercase();
        let default_port = if scheme == "https" { ":443" } else { ":80" };
        if let Some(stripped) = host.strip_suffix(default_port) {
            host = stripped.to_owned();
        }
        Some((scheme, host, path.to_owned()))
    };
    matches!((split(url), split(canonical)), (Some(a), Some(b)) if a == b)
}

/// A checksum, checked to be 64 hex digits (SHA-256) and then dropped: depwatch does not
/// verify archives, but a value that is not a checksum means the file is not what it claims.
#[derive(Debug, Clone, Copy)]
struct Checksum;

impl Checksum {
    fn check(text: &str) -> Result<Self, String> {
        if !text.is_ascii() {
            return Err("`checksum` holds a non-ASCII character; checksums are hex".to_owned());
        }
        if text.len() != 64 {
            return Err(format!("invalid checksum: expected 64 hex chars, got {}", text.len()));
        }
        // Branch-free and without early exit, so that it vectorizes: this runs for every
        // package of every scan.
        let hex = |b: u8| b.wrapping_sub(b'0') < 10 || (b | 0x20).wrapping_sub(b'a') < 6;
        if !text.bytes().fold(true, |ok, b| ok & hex(b)) {
            return Err(format!("invalid checksum: `{text}` is not hexadecimal"));
        }
        Ok(Self)
    }
}

/// One `dependencies` entry: `"name"`, `"name version"` or `"name version (source)"`.
/// Since v2 Cargo leaves out the version when the lockfile has one package of that name, and
/// the source when name and version are enough.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DepSpec<'a> {
    name: Cow<'a, str>,
    version: Option<Version<'a>>,
    source: Option<SourceId<'a>>,
}

impl<'a> DepSpec<'a> {
    fn parse(text: &'a str) -> Result<Self, String> {
        let mut parts = text.split_whitespace();
        let name = parts.next().ok_or_else(|| "empty dependency string".to_owned())?;
        let version = parts
            .next()
            .map(|v| Version::parse(Cow::Borrowed(v)))
            .transpose()
            .map_err(|e| format!("invalid version in dependency `{text}`: {e}"))?;
        let source = parts
            .next()
            .map(|s| match s.strip_prefix('(').and_then(|s| s.strip_suffix(')')) {
                Some(inner) => SourceId::parse(Cow::Borrowed(inner)),
                None => Err(format!("malformed source in dependency: {s}")),
            })
            .transpose()?;
        if parts.next().is_some() {
            return Err(format!("malformed dependency: {text}"));
        }
        Ok(Self { name: Cow::Borrowed(name), version, source })
    }

    fn into_owned(self) -> DepSpec<'static> {
        DepSpec {
            name: Cow::Owned(self.name.into_owned()),
            version: self.version.map(|v| Version(Cow::Owned(v.0.into_owned()))),
            source: self
                .source
                .map(|s| SourceId { text: Cow::Owned(s.text.into_owned()), kind: s.kind }),
        }
    }
}

impl fmt::Display for DepSpec<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if let Some(version) = &self.version {
            write!(f, " {}", version.0)?;
        }
        Ok(())
    }
}

/// Packages by name: the first index of each name, and for each package the next one of the
/// same name, so that lookups follow lockfile order without a map of owned keys.
struct NameIndex<'p> {
    first: FxHashMap<&'p str, usize>,
    next: Vec<usize>,
}

impl<'p> NameIndex<'p> {
    const END: usize = usize::MAX;

    fn new(packages: &'p [RawPackage<'_>]) -> Self {
        let mut first = FxHashMap::with_capacity_and_hasher(packages.len(), FxBuildHasher);
        let mut next = vec![Self::END; packages.len()];
        // Backwards, so that each chain ends up in lockfile order.
        for (i, pkg) in packages.iter().enumerate().rev() {
            if let (Some(prev), Some(slot)) = (first.insert(&*pkg.name, i), next.get_mut(i)) {
                *slot = prev;
            }
        }
        Self { first, next }
    }

    fn named(&self, name: &str) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(self.first.get(name).copied(), |&i| {
            self.next.get(i).copied().filter(|&j| j != Self::END)
        })
    }

    /// The package a dependency entry means, as Cargo resolves it: the first of that name
    /// (and version, when given); with a source, the one from that source, else the first.
    fn resolve(&self, packages: &[RawPackage<'_>], dep: &DepSpec<'_>) -> Option<usize> {
        let mut candidates = self.named(&dep.name).filter(|&i| {
            dep.version.as_ref().is_none_or(|v| packages.get(i).is_some_and(|p| p.version == *v))
        });
        let first = candidates.next()?;
        let Some(source) = &dep.source else { return Some(first) };
        let from_source = |i: usize| {
            packages.get(i).and_then(|p| p.source.as_ref()).is_some_and(|s| s.matches(source))
        };
        if from_source(first) {
            return Some(first);
        }
        candidates.find(|&i| from_source(i)).or(Some(first))
    }
}

/// Marks a glob candidate whose crate name is not known in advance.
const ANY_CRATE: &str = "";

/// The manifests of the workspace members, keyed by crate name: the `Cargo.toml` beside the
/// lockfile and the members it lists. A glob member (`crates/*`) is tried with each member
/// crate name the lockfile lists, and kept only when the manifest found names that crate.
fn member_manifests(
    input: &Input<'_>,
    packages: &[Dependency],
    diagnostics: &mut Vec<Diagnostic>,
) -> HashMap<String, Manifest> {
    let mut found = HashMap::new();
    let root_path = join_path(input.dir(), "Cargo.toml");
    let Some(root) = read_companion(input, &root_path, diagnostics) else {
        diagnostics.push(Diagnostic::info(
            input.path,
            "no Cargo.toml beside the lockfile: dev-dependencies cannot be told apart (scope \
             unknown)",
        ));
        return found;
    };
    let local_crates: Vec<&str> = packages
        .iter()
        .filter(|p| p.source == Source::Workspace)
        .map(|p| p.name.as_str())
        .collect();
    let mut candidates = Vec::new();
    for member in &root.members {
        let member = member.trim_end_matches('/');
        if let Some(prefix) = member.strip_suffix("/*") {
            // Expand through the listing when the repository knows it; else guess that each
            // member folder is named after its crate (checked against the manifest found).
            match input.repo.list(&join_path(input.dir(), prefix)) {
                Some(children) => {
                    for child in children {
                        candidates.push((join_path(prefix, &child), Some(ANY_CRATE)));
                    }
                }
                None => {
                    for name in &local_crates {
                        candidates.push((join_path(prefix, name), Some(*name)));
                    }
                }
            }
        } else if !member.contains(['*', '?', '[']) {
            candidates.push((member.to_owned(), None));
        }
    }
    if let Some(name) = &root.package {
        found.insert(name.clone(), root.clone());
    }
    for (dir, expected) in candidates {
        if dir.split('/').any(|seg| seg == "..") {
            continue;
        }
        let path = join_path(&join_path(input.dir(), &dir), "Cargo.toml");
        // Glob guesses that miss are expected: stay quiet about them.
        let manifest = match expected {
            Some(_) => input
                .repo
                .read(&path)
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|t| read_manifest(&path, &t).ok()),
            None => read_companion(input, &path, diagnostics),
        };
        let Some(manifest) = manifest else { continue };
        match (&manifest.package, expected) {
            (Some(name), Some(expected)) if name != expected && expected != ANY_CRATE => {}
            (Some(name), _) => {
                found.insert(name.clone(), manifest);
            }
            (None, _) => {}
        }
    }
    found
}

fn read_companion(
    input: &Input<'_>,
    path: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Manifest> {
    let bytes = input.repo.read(path)?;
    let Ok(text) = String::from_utf8(bytes) else {
        diagnostics.push(Diagnostic::warning(path, "companion Cargo.toml is not valid UTF-8"));
        return None;
    };
    match read_manifest(path, &text) {
        Ok(m) => Some(m),
        Err(mut d) => {
            d.level = depwatch_core::DiagnosticLevel::Warning;
            d.message = format!("{} (companion of {}; scope left unknown)", d.message, input.path);
            diagnostics.push(d);
            None
        }
    }
}

/// Sets `direct` from the roots' edges and `scope` from what each root's manifest declares.
fn classify(out: &mut Parsed, manifests: &HashMap<String, Manifest>) {
    let n = out.packages.len();
    let mut direct = vec![false; n];
    let (mut prod, mut dev, mut unknown) = (Vec::new(), Vec::new(), Vec::new());
    for &root in &out.roots {
        let manifest = out.packages.get(root).and_then(|p| manifests.get(p.name.as_str()));
        for edge in out.edges.iter().filter(|e| e.from == root) {
            if let Some(flag) = direct.get_mut(edge.to) {
                *flag = true;
            }
            let Some(manifest) = manifest else {
                unknown.push(edge.to);
                continue;
            };
            let name = out.packages.get(edge.to).map(|p| p.name.as_str()).unwrap_or_default();
            let scopes: Vec<Scope> =
                manifest.dependencies.iter().filter(|d| d.name == name).map(|d| d.scope).collect();
            if scopes.iter().any(|s| matches!(s, Scope::Prod | Scope::Optional)) {
                prod.push(edge.to);
            } else if scopes.contains(&Scope::Dev) {
                dev.push(edge.to);
            } else {
                unknown.push(edge.to);
            }
        }
    }
    // Without manifests every scope stays unknown: skip the three graph walks.
    let scopes = if manifests.is_empty() {
        Vec::new()
    } else {
        scopes_by_reachability(n, &out.edges, &prod, &dev, &unknown)
    };
    for (i, pkg) in out.packages.iter_mut().enumerate() {
        if pkg.source == Source::Workspace {
            pkg.scope = Scope::Prod;
            pkg.direct = direct.get(i).copied().filter(|d| *d);
        } else {
            pkg.direct = direct.get(i).copied();
            pkg.scope = scopes.get(i).copied().unwrap_or(Scope::Unknown);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{NoFiles, ParseOptions};
    use depwatch_core::DiagnosticLevel;

    const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";
    const HEX: &str = "0123456789abcdef0123456789abcdef0123456789ABCDEF0123456789abcdef";

    fn run(text: &str) -> Parsed {
        let options = ParseOptions::default();
        let input =
            Input { path: "Cargo.lock", bytes: text.as_bytes(), repo: &NoFiles, options: &options };
        parse(&input)
    }

    /// The single Error diagnostic of a refused file.
    fn refused(text: &str) -> Diagnostic {
        let parsed = run(text);
        assert!(parsed.packages.is_empty(), "{:?}", parsed.packages);
        let errors: Vec<_> =
            parsed.diagnostics.into_iter().filter(|d| d.level == DiagnosticLevel::Error).collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        errors.into_iter().next().unwrap_or_else(|| Diagnostic::info("", ""))
    }

    fn kind(source: &str) -> Result<SourceKind, String> {
        SourceId::parse(Cow::Borrowed(source)).map(|s| s.kind)
    }

    fn names(parsed: &Parsed) -> Vec<String> {
        parsed.packages.iter().map(|p| format!("{} {}", p.name, p.version)).collect()
    }

    fn edges(parsed: &Parsed) -> Vec<(usize, usize)> {
        parsed.edges.iter().map(|e| (e.from, e.to)).collect()
    }

    #[test]
    fn dependency_strings_have_one_to_three_parts() {
        let dep = DepSpec::parse("serde").expect("name only");
        assert_eq!((&*dep.name, dep.version, dep.source), ("serde", None, None));

        let dep = DepSpec::parse("serde 1.0.100").expect("name and version");
        assert_eq!(dep.version.map(|v| v.0), Some(Cow::Borrowed("1.0.100")));
        assert!(dep.source.is_none());

        let text = format!("serde 1.0.100 ({CRATES_IO})");
        let dep = DepSpec::parse(&text).expect("all three");
        assert_eq!(dep.source.map(|s| s.kind), Some(SourceKind::CratesIo));
        assert_eq!(
            DepSpec::parse("  a\t0.1.0-rc.1+build.5 ").map(|d| d.to_string()).ok(),
            Some("a 0.1.0-rc.1+build.5".to_owned())
        );
    }

    #[test]
    fn malformed_dependency_strings_are_errors() {
        for (text, expected) in [
            ("", "empty dependency string"),
            ("   ", "empty dependency string"),
            ("a 1.0", "invalid version in dependency `a 1.0`"),
            ("a v1.0.0", "invalid version"),
            ("a 1.0.0 registry+x:y", "malformed source in dependency"),
            ("a 1.0.0 (", "malformed source in dependency"),
            ("a 1.0.0 (ftp+x:y)", "unsupported source protocol: `ftp`"),
            ("a 1.0.0 (nokind)", "invalid source `nokind`"),
            (&format!("a 1.0.0 ({CRATES_IO}) extra"), "malformed dependency"),
        ] {
            let err = DepSpec::parse(text).expect_err(text);
            assert!(err.contains(expected), "{text:?}: {err}");
        }
    }

    #[test]
    fn source_kinds_follow_cargo() {
        assert_eq!(kind(CRATES_IO), Ok(SourceKind::CratesIo));
        assert_eq!(kind("sparse+https://index.crates.io/"), Ok(SourceKind::CratesIo));
        // What the `url` crate normalizes for cargo-lock's `is_default_registry`.
        assert_eq!(kind("sparse+https://index.crates.io"), Ok(SourceKind::CratesIo));
        assert_eq!(kind("sparse+HTTPS://Index.Crates.IO:443/"), Ok(SourceKind::CratesIo));
        assert_eq!(
            kind("registry+https://GitHub.com/rust-lang/crates.io-index"),
            Ok(SourceKind::CratesIo)
        );
        // A different path, or the sparse index under the git kind, is another registry.
        for other in [
            "registry+https://github.com/rust-lang/crates.io-index/",
            "registry+https://index.crates.io/",
            "sparse+https://github.com/rust-lang/crates.io-index",
            "sparse+https://index.crates.io/extra/",
            "sparse+https://my-registry.example/index/",
            "registry+https://gitlab.example/crates-index",
            "registry+file:///srv/index",
        ] {
            assert_eq!(kind(other), Ok(SourceKind::OtherRegistry), "{other}");
        }
        assert_eq!(kind("git+https://github.com/a/b?branch=main#0123abcd"), Ok(SourceKind::Git));
        assert_eq!(kind("path+file:///home/me/crate"), Ok(SourceKind::Path));
        assert!(kind("svn+https://x.example/").is_err_and(|e| e.contains("unsupported")));
        assert!(kind("https://index.crates.io/").is_err_and(|e| e.contains("invalid source")));
        assert!(kind("git+not a url").is_err_and(|e| e.contains("is not a URL")));
    }

    #[test]
    fn source_kinds_map_to_dependency_sources() {
        let text = format!(
            "version = 4\n\
             [[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\
             [[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"{CRATES_IO}\"\n\
             [[package]]\nname = \"b\"\nversion = \"1.0.0\"\nsource = \"sparse+https://index.crates.io/\"\n\
             [[package]]\nname = \"c\"\nversion = \"1.0.0\"\nsource = \"sparse+https://corp.example/index/\"\n\
             [[package]]\nname = \"d\"\nversion = \"1.0.0\"\nsource = \"git+https://g.example/d#abc\"\n\
             [[package]]\nname = \"e\"\nversion = \"1.0.0\"\nsource = \"path+file:///e\"\n"
        );
        let parsed = run(&text);
        let sources: Vec<Source> = parsed.packages.iter().map(|p| p.source).collect();
        assert_eq!(
            sources,
            [
                Source::Workspace,
                Source::Registry,
                Source::Registry,
                Source::Url,
                Source::Git,
                Source::Path
            ]
        );
        assert_eq!(parsed.roots, [0]);
        assert!(parsed.diagnostics.iter().any(|d| d.message.starts_with("1 package(s) come from")));
    }

    #[test]
    fn short_dependency_entries_resolve_to_the_listed_package() {
        let text = format!(
            "version = 3\n\
             [[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\
             dependencies = [\"log\", \"rand 0.7.3\", \"rand 0.8.5\", \"dup 1.0.0 (git+https://g.example/dup?branch=x)\"]\n\
             [[package]]\nname = \"rand\"\nversion = \"0.8.5\"\nsource = \"{CRATES_IO}\"\n\
             [[package]]\nname = \"log\"\nversion = \"0.4.20\"\nsource = \"{CRATES_IO}\"\n\
             [[package]]\nname = \"rand\"\nversion = \"0.7.3\"\nsource = \"{CRATES_IO}\"\n\
             [[package]]\nname = \"dup\"\nversion = \"1.0.0\"\nsource = \"{CRATES_IO}\"\n\
             [[package]]\nname = \"dup\"\nversion = \"1.0.0\"\nsource = \"git+https://g.example/dup?branch=x#0123abc\"\n"
        );
        let parsed = run(&text);
        assert_eq!(edges(&parsed), [(0, 2), (0, 3), (0, 1), (0, 5)]);
        assert!(
            parsed.diagnostics.iter().all(|d| d.level == DiagnosticLevel::Info),
            "{:?}",
            parsed.diagnostics
        );
    }

    #[test]
    fn dependencies_the_lockfile_does_not_list_are_warnings() {
        let text = "[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\
                    dependencies = [\"ghost\", \"log 9.9.9\", \"log\"]\n\
                    [[package]]\nname = \"log\"\nversion = \"0.4.20\"\n";
        let parsed = run(text);
        assert_eq!(edges(&parsed), [(0, 1)]);
        let warnings: Vec<&str> = parsed
            .diagnostics
            .iter()
            .filter(|d| d.level == DiagnosticLevel::Warning)
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(
            warnings,
            [
                "package app 0.1.0 depends on ghost, which the lockfile does not list",
                "package app 0.1.0 depends on log 9.9.9, which the lockfile does not list",
            ]
        );
    }

    #[test]
    fn every_format_version_is_read() {
        let v1 = format!(
            "[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\
             dependencies = [\"a 1.0.0 ({CRATES_IO})\"]\n\
             [[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"{CRATES_IO}\"\n\
             [metadata]\n\"checksum a 1.0.0 ({CRATES_IO})\" = \"{HEX}\"\n"
        );
        let v2 = format!(
            "[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"a\"]\n\
             [[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"{CRATES_IO}\"\n\
             checksum = \"{HEX}\"\n"
        );
        let v3 = format!("version = 3\n{v2}");
        let v4 = format!("version = 4\n{v2}");
        for text in [v1, v2, v3, v4] {
            let parsed = run(&text);
            assert_eq!(names(&parsed), ["app 0.1.0", "a 1.0.0"], "{text}");
            assert_eq!(edges(&parsed), [(0, 1)], "{text}");
            assert_eq!(parsed.packages.get(1).and_then(|p| p.direct), Some(true));
        }
    }

    #[test]
    fn escaped_strings_are_read_like_plain_ones() {
        let text = "version = 4\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\
                    dependencies = [\"\\u0061 1.0.0\"]\n\
                    [[package]]\nname = \"\\u0061\"\nversion = \"1.0\\u002E0\"\n";
        let parsed = run(text);
        assert_eq!(names(&parsed), ["app 0.1.0", "a 1.0.0"]);
        assert_eq!(edges(&parsed), [(0, 1)]);
    }

    #[test]
    fn unreadable_values_are_errors_with_their_line() {
        let pkg = "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n";
        for (text, line, expected) in [
            (format!("version = 5\n{pkg}"), 1, "invalid Cargo.lock format version: `5`"),
            (format!("version = -1\n{pkg}"), 1, "TOML parse error at line 1"),
            (format!("{pkg}[[package]]\nversion = \"1.0.0\"\n"), 4, "missing field `name`"),
            (format!("{pkg}[[package]]\nname = \"b\"\n"), 4, "missing field `version`"),
            (format!("{pkg}[[package]]\nname = \"b\"\nversion = \"1\"\n"), 6, "unexpected end"),
            (format!("{pkg}[[package]]\nname = \"b\"\nversion = 1\n"), 6, "invalid type"),
            (format!("{pkg}dependencies = [\"b 1 2 3\"]\n"), 4, "invalid version in dependency"),
            (format!("{pkg}dependencies = [\"\"]\n"), 4, "empty dependency string"),
            (format!("{pkg}source = \"svn+x:y\"\n"), 4, "unsupported source protocol"),
            (format!("{pkg}checksum = \"abc\"\n"), 4, "expected 64 hex chars, got 3"),
            (format!("{pkg}checksum = \"{}\"\n", "g".repeat(64)), 4, "is not hexadecimal"),
            (format!("{pkg}[metadata]\nchecksum = 1\nx = 2\n[[package]]\n"), 7, "missing field"),
        ] {
            let diag = refused(&text);
            assert_eq!(diag.source, "Cargo.lock");
            assert!(diag.message.starts_with("invalid Cargo.lock: "), "{}", diag.message);
            assert!(diag.message.contains(expected), "{text}\n{}", diag.message);
            assert_eq!(diag.line, Some(line), "{text}\n{}", diag.message);
        }
    }

    #[test]
    fn checksum_digits_are_exactly_the_hex_digits() {
        for b in 0u8..=127 {
            let text = format!("{}{}", &HEX[1..], char::from(b));
            assert_eq!(Checksum::check(&text).is_ok(), b.is_ascii_hexdigit(), "byte {b}");
        }
    }

    #[test]
    fn checksums_in_both_places_without_a_version_are_refused() {
        let text = format!(
            "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nchecksum = \"{HEX}\"\n\
             [metadata]\n\"checksum a 1.0.0 ({CRATES_IO})\" = \"{HEX}\"\n"
        );
        assert!(refused(&text).message.contains("checksums in both"));
        // With a version line the format says where checksums are; stray metadata is ignored.
        assert_eq!(names(&run(&format!("version = 3\n{text}"))), ["a 1.0.0"]);
    }

    /// `cargo-lock` sliced 64-byte checksums at byte offsets and panicked inside a multi-byte
    /// character (found by fuzzing). Here every spelling is refused with a clear message, or,
    /// in v1 `[metadata]` (whose values depwatch does not use), ignored.
    #[test]
    fn non_ascii_checksums_never_panic() {
        let hex = "0".repeat(63);
        let raw = format!(
            "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nchecksum = \"\u{feff}{hex}\"\n"
        );
        let escaped = format!(
            "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nchecksum = \"\\uFEFF{hex}\"\n"
        );
        for text in [raw, escaped] {
            let diag = refused(&text);
            assert!(diag.message.contains("`checksum` holds a non-ASCII character"), "{diag:?}");
            assert_eq!(diag.line, Some(4));
        }
        let v1 = format!(
            "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"{CRATES_IO}\"\n\
             [metadata]\n\"checksum a 1.0.0 ({CRATES_IO})\" = \"\u{e9}{hex}\"\n"
        );
        assert_eq!(names(&run(&v1)), ["a 1.0.0"]);
        let fine = format!(
            "# caf\u{e9}\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nchecksum = \"{hex}0\"\n"
        );
        assert_eq!(names(&run(&fine)), ["a 1.0.0"]);
    }

    #[test]
    fn unknown_tables_and_keys_are_skipped() {
        let text = format!(
            "version = 4\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"{CRATES_IO}\"\n\
             replace = \"b 1.0.0\"\nfuture = {{ x = 1 }}\n\
             [[patch.unused]]\nname = \"p\"\nversion = \"0.1.0\"\n\
             [root]\nname = \"r\"\n[extra]\nk = [1, 2]\n"
        );
        let parsed = run(&text);
        assert_eq!(names(&parsed), ["a 1.0.0"]);
        assert!(parsed.diagnostics.iter().all(|d| d.level == DiagnosticLevel::Info));
    }

    /// The first error of a refused file, as (line, message without the prefix).
    fn error_of(text: &str) -> (Option<u32>, String) {
        let diag = refused(text);
        let message =
            diag.message.strip_prefix("invalid Cargo.lock: parse error: TOML parse error at ");
        (diag.line, message.unwrap_or(&diag.message).to_owned())
    }

    #[test]
    fn malformed_toml_is_an_error_with_its_line() {
        let pkg = "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n";
        for (text, line, expected) in [
            // Syntax.
            (format!("{pkg}source = \"registry+x:y\n"), 4, "invalid basic string"),
            (format!("{pkg}source = 'x\n"), 4, "invalid literal string"),
            (format!("{pkg}dependencies = [\"b\"\n"), 4, "unclosed array"),
            (format!("{pkg}[[package]\n"), 4, "unclosed array table"),
            (format!("{pkg}name\n"), 4, "expected"),
            (format!("{pkg}x = \"\\q\"\n"), 4, "missing escaped value"),
            (format!("{pkg}x = 1979-13-01\n"), 4, "month"),
            (format!("{pkg}x = 0x\n"), 4, "integer number overflowed"),
            (format!("{pkg}# bell \u{7}\n"), 4, "invalid comment"),
            // Structure.
            (format!("{pkg}name = \"b\"\n"), 4, "duplicate key"),
            (format!("[metadata]\n[metadata]\n{pkg}"), 2, "duplicate key"),
            (format!("[a.b]\n[a]\nb = 1\n{pkg}"), 3, "duplicate key"),
            (
                format!("a = {{ b = 1 }}\na.c = 2\n{pkg}"),
                2,
                "cannot extend value of type inline table",
            ),
            (format!("a = [1]\n[a.b]\n{pkg}"), 2, "cannot extend value of type array"),
            (format!("{pkg}x = {{ y = 1, y = 2 }}\n"), 4, "duplicate key"),
            (format!("package = []\n{pkg}"), 2, "duplicate key"),
            // Shapes and types.
            (
                "[package]\nname = \"a\"\nversion = \"1.0.0\"\n".to_owned(),
                1,
                "invalid type: map, expected a sequence",
            ),
            (
                "package = { name = \"a\" }\n".to_owned(),
                1,
                "invalid type: map, expected a sequence",
            ),
            (
                "package = [1]\n".to_owned(),
                1,
                "invalid type: integer `1`, expected struct RawPackage",
            ),
            (format!("{pkg}source = true\n"), 4, "invalid type: boolean `true`, expected a string"),
            (
                format!("{pkg}checksum = 1.5e3\n"),
                4,
                "invalid type: floating point `1500.0`, expected a string",
            ),
            (
                format!("{pkg}dependencies = \"b\"\n"),
                4,
                "invalid type: string \"b\", expected a sequence",
            ),
            (
                format!("{pkg}dependencies = [0x10]\n"),
                4,
                "invalid type: integer `16`, expected a string",
            ),
            (format!("{pkg}name.first = \"a\"\n"), 4, "cannot extend value of type string"),
            (
                format!("version = 99999999999999999999999\n{pkg}"),
                1,
                "integer `99999999999999999999999` as i128",
            ),
            (format!("[metadata]\nx = 1\n[version]\n{pkg}"), 3, "invalid type: map, expected u32"),
        ] {
            let (got_line, message) = error_of(&text);
            assert!(message.contains(expected), "{text}\n{message}");
            assert_eq!(got_line, Some(line), "{text}\n{message}");
        }
    }

    /// `toml` deserialized from sorted maps: of several bad values it reported the first in
    /// key order, not in file order.
    #[test]
    fn the_error_reported_is_the_first_in_key_order() {
        let text = "version = 9\n[[package]]\nname = \"a\"\nversion = \"x\"\nchecksum = \"0\"\n";
        assert!(error_of(text).1.contains("expected 64 hex chars"), "{:?}", error_of(text));
        // Syntax errors come before structure errors, which come before value errors.
        let text = "version = 9\nversion = 3\n[[package]\n";
        assert_eq!(error_of(text).0, Some(3));
        let text = "version = 9\nversion = 3\n";
        assert!(error_of(text).1.contains("duplicate key"));
    }

    #[test]
    fn packages_may_be_an_array_of_inline_tables() {
        let text = "package = [{ name = \"app\", version = \"0.1.0\", dependencies = [\"a\"] },\n\
                    { name = \"a\", version = \"1.0.0\", x = { y = [1] } }]\n";
        let parsed = run(text);
        assert_eq!(names(&parsed), ["app 0.1.0", "a 1.0.0"]);
        assert_eq!(edges(&parsed), [(0, 1)]);
        let (line, message) = error_of("package = [{ name = \"a\" },\n{ version = \"1.0.0\" }]\n");
        assert_eq!(line, Some(1));
        assert!(message.contains("missing field `version`"), "{message}");
    }

    #[test]
    fn deep_nesting_is_refused_without_recursion() {
        for depth in [100, 100_000] {
            let arrays = format!("x = {}{}\n", "[".repeat(depth), "]".repeat(depth));
            let tables = format!("x = {}1{}\n", "{ a = ".repeat(depth), " }".repeat(depth));
            let keys = format!("{} = 1\n", vec!["k"; depth].join("."));
            let header = format!("[{}]\n", vec!["k"; depth].join("."));
            for text in [arrays, tables, keys, header] {
                let (line, message) = error_of(&text);
                assert_eq!(line.unwrap_or(1), 1);
                assert!(message.contains("recursion") || message.contains("max"), "{message}");
            }
        }
        // Within the limit, nesting in skipped values is fine.
        let text =
            "x = [[[[{ a = { b = [1] } }]]]]\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n";
        assert_eq!(names(&run(text)), ["a 1.0.0"]);
    }

    #[test]
    fn versions_are_kept_as_written() {
        for version in ["0.0.0", "1.2.3-alpha.1", "1.2.3+build.007", "10.20.30-rc.1+x-y"] {
            let text = format!("[[package]]\nname = \"a\"\nversion = \"{version}\"\n");
            let parsed = run(&text);
            assert_eq!(parsed.packages.first().map(|p| p.version.as_str()), Some(version));
            let canonical = semver::Version::parse(version).map(|v| v.to_string()).ok();
            assert_eq!(canonical.as_deref(), Some(version));
        }
    }

    /// Reading in pieces must be indistinguishable from reading the whole token vector: the
    /// same result or the same error (message, span, the one that wins), and below that the
    /// same parser events and every reported syntax error, for real files, the scenario
    /// fixtures, cases aimed at the cutting rule, and thousands of seeded mutations of them.
    mod pieces {
        use super::super::*;
        use toml_parser::parser::Event;

        /// The parser's events and all its errors, from the whole vector (`None`) or from
        /// pieces of at least `min_tokens`.
        fn events(text: &str, min_tokens: Option<usize>) -> (Vec<Event>, Vec<ParseError>) {
            let source = toml_parser::Source::new(text);
            let mut events = Vec::new();
            let mut errors = Vec::new();
            {
                let mut validated = ValidateWhitespace::new(&mut events, source);
                let mut guarded = RecursionGuard::new(&mut validated, MAX_DEPTH);
                match min_tokens {
                    None => parse_document(&source.lex().into_vec(), &mut guarded, &mut errors),
                    Some(min) => {
                        let mut pieces = Pieces::new(source.lex(), min);
                        let mut tokens = Vec::new();
                        while pieces.fill(&mut tokens) {
                            parse_document(&tokens, &mut guarded, &mut errors);
                        }
                    }
                }
            }
            (events, errors)
        }

        fn count_pieces(text: &str, min_tokens: usize) -> usize {
            let mut pieces = Pieces::new(toml_parser::Source::new(text).lex(), min_tokens);
            let mut tokens = Vec::new();
            std::iter::from_fn(|| pieces.fill(&mut tokens).then_some(())).count()
        }

        fn assert_same(text: &str) {
            let shown = if text.len() < 4000 { text } else { "(long text)" };
            let whole = format!("{:?}", Reader::read_whole(text));
            for min in [1, 7, PIECE_TOKENS] {
                let pieces = format!("{:?}", Reader::read_in_pieces(text, min));
                assert_eq!(pieces, whole, "pieces of at least {min} tokens:\n{shown}");
            }
            assert_eq!(events(text, Some(1)), events(text, None), "events:\n{shown}");
        }

        fn fixture(path: &str) -> String {
            let path = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
        }

        /// The Cargo.lock scenario fixtures and the fuzz regressions.
        fn fixtures() -> Vec<String> {
            let mut texts = Vec::new();
            for dir in ["cargo_lock", "fuzz_regressions"] {
                let path = format!("{}/tests/fixtures/{dir}", env!("CARGO_MANIFEST_DIR"));
                let mut names: Vec<String> = std::fs::read_dir(&path)
                    .unwrap_or_else(|e| panic!("{path}: {e}"))
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| dir == "cargo_lock" || n.starts_with("cargo_lock"))
                    .collect();
                names.sort();
                texts.extend(names.iter().map(|n| fixture(&format!("{dir}/{n}"))));
            }
            assert!(texts.len() >= 10, "{} fixtures", texts.len());
            texts
        }

        /// Where a cut could go wrong: brackets the parser does not nest the way they are
        /// written, values and strings over several lines, headers after whitespace, bare
        /// carriage returns, nesting past the recursion limit.
        fn edge_cases() -> Vec<String> {
            let pkg = "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n";
            let deep = format!("x = {}{}\n", "[".repeat(90), "]".repeat(90));
            let deep_tables = format!("x = {}1{}\n", "{ a = ".repeat(90), " }".repeat(90));
            let middles = [
                "x = { ]\n[a]\nb = 1\n",
                "x = [ { ] }\n[a]\n",
                "x = [ } ]\n[a]\n",
                "x = [\n[1],\n[2]\n]\n[a]\n",
                "x = [\n  [1],\n[2]\n]\n[a]\n",
                "x = {\na = 1\n}\n[b]\n",
                "x = { {a = 1} }\n[b]\nc = 2\n",
                "x = { [1] }\n[b]\n",
                "x = { a [1] }\n[b]\n",
                "x = { a = ]\n[b]\n}\n",
                "[a\n[b]\n",
                "[[a]\n[b]\n",
                "[a]]\n[b]\n",
                "[]\n[b]\n",
                "[[]]\n[b]\n",
                "]\n[b]\n",
                "}\n[b]\n",
                "{\n[b]\n",
                "x = \"\"\"\n[a]\n\"\"\"\n[b]\n",
                "x = '''\n[a]\n'''\n[b]\n",
                "x = \"\n[a]\n",
                "# c\n  [a]\n\t[b]\n",
                "x = [ # c\n[a]\n]\n[b]\n",
                "x = 1 [a]\n[b]\n",
                "\r[a]\r\n[b]\r\n",
                "a = \n[b]\n",
                "a.\n[b]\n",
                "a\n[b]\n",
                "= 1\n[b]\n",
                "x = [1,\n]\n[b]\n",
                "x = {a=[\n]}\n[b]\n",
                "x = [1 2\n]\n[b]\n",
                "x = [ = ]\n[b]\n",
                "x = = [\n]\n[b]\n",
                "x = 1 # c # d\n[b]\n",
            ];
            let mut texts =
                vec![String::new(), "[".to_owned(), "\n[".to_owned(), deep, deep_tables];
            for middle in middles {
                texts.push(middle.to_owned());
                texts.push(format!("{pkg}{middle}{pkg}"));
                texts.push(format!("version = 4\n{middle}{pkg}"));
            }
            texts.push(format!("{pkg}x = {}\n{pkg}", "[".repeat(100)));
            texts.push(format!("{pkg}x = {}\n[a]\n{}\n{pkg}", "[".repeat(100), "]".repeat(100)));
            texts
        }

        /// xorshift64*: the same mutations on every run, without a dependency.
        struct Rng(u64);

        impl Rng {
            fn next(&mut self) -> u64 {
                self.0 ^= self.0 >> 12;
                self.0 ^= self.0 << 25;
                self.0 ^= self.0 >> 27;
                self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
            }

            fn below(&mut self, n: usize) -> usize {
                usize::try_from(self.next() % (n.max(1) as u64)).unwrap_or(0)
            }

            /// A char boundary of `text`, its end included.
            fn boundary(&mut self, text: &str) -> usize {
                let mut i = self.below(text.len() + 1);
                while !text.is_char_boundary(i) {
                    i -= 1;
                }
                i
            }
        }

        const INSERTS: [&str; 16] = [
            "[", "]", "{", "}", "\"", "'", "\n", "=", ",", "#", ".", "\"\"\"", "'''", " ", "\r",
            "\t",
        ];

        /// Where the punctuation is (bytes TOML gives meaning to).
        fn punctuation(text: &str) -> Vec<usize> {
            text.bytes()
                .enumerate()
                .filter(|(_, b)| b"[]{}\"'\n=,#.".contains(b))
                .map(|(i, _)| i)
                .collect()
        }

        fn lines(text: &str) -> Vec<&str> {
            text.split_inclusive('\n').collect()
        }

        /// One to three edits: punctuation inserted, deleted or doubled, the text truncated,
        /// two lines swapped, a header line copied elsewhere.
        fn mutate(text: &str, rng: &mut Rng) -> String {
            let mut text = text.to_owned();
            for _ in 0..1 + rng.below(3) {
                match rng.below(7) {
                    0 | 1 => {
                        let at = rng.boundary(&text);
                        let insert = INSERTS.get(rng.below(INSERTS.len())).copied().unwrap_or("[");
                        text.insert_str(at, insert);
                    }
                    2 | 3 => {
                        let marks = punctuation(&text);
                        if let Some(&at) = marks.get(rng.below(marks.len())) {
                            if rng.below(2) == 0 {
                                text.remove(at);
                            } else {
                                let byte = text.get(at..=at).unwrap_or_default().to_owned();
                                text.insert_str(at, &byte);
                            }
                        }
                    }
                    4 => {
                        let at = rng.boundary(&text);
                        text.truncate(at);
                    }
                    5 => {
                        let mut lines = lines(&text);
                        if !lines.is_empty() {
                            let (a, b) = (rng.below(lines.len()), rng.below(lines.len()));
                            lines.swap(a, b);
                        }
                        text = lines.concat();
                    }
                    _ => {
                        let mut lines = lines(&text);
                        let headers: Vec<&str> = lines
                            .iter()
                            .copied()
                            .filter(|l| l.trim_start().starts_with('['))
                            .collect();
                        if let Some(header) = headers.get(rng.below(headers.len())) {
                            let at = rng.below(lines.len() + 1);
                            lines.insert(at, header);
                        }
                        text = lines.concat();
                    }
                }
            }
            text
        }

        #[test]
        fn real_lockfile_reads_the_same_in_pieces() {
            let text = fixture("real/rustsec.Cargo.lock");
            assert_same(&text);
            assert!(Reader::read_in_pieces(&text, PIECE_TOKENS).is_ok());
            // With the smallest pieces, every header starts one.
            let headers = text.lines().filter(|l| l.starts_with('[')).count();
            let preamble = usize::from(!text.starts_with('['));
            assert_eq!(count_pieces(&text, 1), headers + preamble);
            let pieces = count_pieces(&text, PIECE_TOKENS);
            assert!(pieces > 20, "{pieces} pieces");
            let mut rng = Rng(0x5eed_0001);
            for _ in 0..20 {
                assert_same(&mutate(&text, &mut rng));
            }
        }

        #[test]
        fn fixtures_and_edge_cases_read_the_same_in_pieces() {
            let real = fixture("real/rustsec.Cargo.lock");
            // A prefix of the real file (to a line end): many packages, quick to mutate.
            let prefix_end = real.get(..6000).and_then(|p| p.rfind('\n')).map_or(0, |i| i + 1);
            let mut bases = fixtures();
            bases.push(real.get(..prefix_end).unwrap_or_default().to_owned());
            bases.extend(edge_cases());
            let mut rng = Rng(0x5eed_0002);
            let mut checked = 0;
            for base in &bases {
                assert_same(base);
                checked += 1;
                for _ in 0..40 {
                    assert_same(&mutate(base, &mut rng));
                    checked += 1;
                }
            }
            assert!(checked > 4000, "{checked} inputs");
        }

        /// A cut never comes after a closer that did not match: from there the parser's
        /// nesting need not follow the brackets'.
        #[test]
        fn no_cut_after_an_unmatched_closer() {
            let pkg = "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n";
            assert_eq!(count_pieces(&format!("{pkg}{pkg}{pkg}"), 1), 3);
            assert_eq!(count_pieces(&format!("{pkg}x = [ {{ ] }}\n{pkg}{pkg}"), 1), 1);
            assert_eq!(count_pieces(&format!("{pkg}]\n{pkg}{pkg}"), 1), 1);
            assert_eq!(count_pieces(&format!("{pkg}x = [\n{pkg}]\n{pkg}"), 1), 2);
            assert_eq!(count_pieces(&format!("{pkg}  {pkg}x = 1 {pkg}"), 1), 2);
        }
    }
}
