//! What to do for each ref a push (or catch-up polling) reports: skip it, mark it gone, or scan
//! it at its new head, and whether the push touched manifests at all.

use crate::change_set::{manifest_paths, RescanReason};
use crate::ref_filter::{RefDecision, RefFilter};
use depwatch_bitbucket::webhook::{ChangeKind, RefChange, RefKind};
use depwatch_bitbucket::{Client, Error};

/// The work one ref change needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefWork {
    /// Not monitored (or nothing to read); the reason goes to the inbox.
    Skip(String),
    /// The branch was deleted: mark it gone.
    Gone { ref_id: String },
    /// Read the ref at `to` (compare against `from` when known). `peel` asks to resolve an
    /// annotated tag to its commit first.
    Scan { ref_id: String, from: Option<String>, to: String, peel: bool },
}

/// Plans one ref change of a push.
pub fn plan_ref_change(
    change: &RefChange,
    default_branch: Option<&str>,
    filter: &RefFilter,
) -> RefWork {
    if let RefDecision::Skipped(reason) = filter.decide(&change.ref_id, default_branch) {
        return RefWork::Skip(reason);
    }
    match (change.change, &change.to) {
        (ChangeKind::Delete, _) | (_, None) => RefWork::Gone { ref_id: change.ref_id.clone() },
        (kind, Some(to)) => RefWork::Scan {
            ref_id: change.ref_id.clone(),
            from: if kind == ChangeKind::Add {
                None
            } else {
                change.from.as_ref().map(|h| h.as_str().to_owned())
            },
            to: to.as_str().to_owned(),
            peel: change.kind == RefKind::Tag || change.peel_required,
        },
    }
}

/// At most this many changed files are listed before a push counts as "too large to tell".
pub const MAX_COMPARED_CHANGES: usize = 5_000;

/// Why `to` must be scanned, or `None` when no manifest or lockfile changed since `from`.
/// `from == None` (a new ref, or a ref never scanned) always scans.
///
/// # Errors
/// Bitbucket errors other than "the old commit is unknown" (404), which means scan everything.
pub async fn rescan_reason(
    client: &Client,
    project: &str,
    slug: &str,
    from: Option<&str>,
    to: &str,
) -> Result<Option<RescanReason>, Error> {
    let Some(from) = from else { return Ok(Some(RescanReason::NewRef)) };
    if from == to {
        return Ok(None);
    }
    // `compare/changes` lists what is reachable from its `from` and not from its `to`: the new
    // head goes first.
    let mut pages = client.compare_changes(project, slug, to, from)?;
    let mut seen = 0usize;
    let mut changed: Vec<String> = Vec::new();
    loop {
        let page = match pages.next_page().await {
            Ok(Some(page)) => page,
            Ok(None) => break,
            Err(Error::NotFound { .. }) => {
                return Ok(Some(RescanReason::ChangesUnknown(format!(
                    "commit {from} is not known to the server (force push or garbage collected)"
                ))))
            }
            Err(e) => return Err(e),
        };
        for change in &page.values {
            let path = change.path.full();
            let src = change.src_path.as_ref().map(|p| p.full());
            let paths = std::iter::once(path.as_str()).chain(src.as_deref());
            for p in manifest_paths(paths) {
                if !changed.iter().any(|c| c == p) {
                    changed.push(p.to_owned());
                }
            }
        }
        seen += page.values.len();
        if seen > MAX_COMPARED_CHANGES {
            return Ok(Some(RescanReason::ChangesUnknown(format!(
                "more than {MAX_COMPARED_CHANGES} files changed"
            ))));
        }
    }
    Ok((!changed.is_empty()).then_some(RescanReason::ManifestsChanged(changed)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use depwatch_bitbucket::webhook::CommitHash;

    fn hash(c: char) -> Option<CommitHash> {
        CommitHash::parse_optional(&c.to_string().repeat(40)).unwrap()
    }

    fn change(ref_id: &str, kind: ChangeKind, from: char, to: char) -> RefChange {
        RefChange {
            ref_id: ref_id.into(),
            display_id: ref_id.rsplit('/').next().unwrap().into(),
            kind: if ref_id.starts_with("refs/tags/") { RefKind::Tag } else { RefKind::Branch },
            from: hash(from),
            to: hash(to),
            change: kind,
            peel_required: false,
        }
    }

    #[test]
    fn pushes_become_scans_gone_refs_and_skips() {
        let filter = RefFilter::default();
        let main = Some("refs/heads/main");
        assert_eq!(
            plan_ref_change(
                &change("refs/heads/main", ChangeKind::Update, 'a', 'b'),
                main,
                &filter
            ),
            RefWork::Scan {
                ref_id: "refs/heads/main".into(),
                from: Some("a".repeat(40)),
                to: "b".repeat(40),
                peel: false
            }
        );
        assert_eq!(
            plan_ref_change(
                &change("refs/heads/release/1", ChangeKind::Add, '0', 'c'),
                main,
                &filter
            ),
            RefWork::Scan {
                ref_id: "refs/heads/release/1".into(),
                from: None,
                to: "c".repeat(40),
                peel: false
            }
        );
        assert_eq!(
            plan_ref_change(
                &change("refs/heads/release/1", ChangeKind::Delete, 'c', '0'),
                main,
                &filter
            ),
            RefWork::Gone { ref_id: "refs/heads/release/1".into() }
        );
        assert!(matches!(
            plan_ref_change(
                &change("refs/heads/feature/x", ChangeKind::Update, 'a', 'b'),
                main,
                &filter
            ),
            RefWork::Skip(_)
        ));
        assert!(matches!(
            plan_ref_change(&change("refs/tags/v1", ChangeKind::Add, '0', 'd'), main, &filter),
            RefWork::Skip(r) if r.contains("tags are not monitored")
        ));
        let tags = RefFilter { tags: true, ..RefFilter::default() };
        assert!(matches!(
            plan_ref_change(&change("refs/tags/v1", ChangeKind::Add, '0', 'd'), main, &tags),
            RefWork::Scan { peel: true, .. }
        ));
    }
}
