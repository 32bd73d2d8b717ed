//! Catch-up polling: compares each monitored ref's head on the server with the last commit
//! processed, so pushes whose webhooks never arrived (laptop asleep, VPN down, circuit breaker)
//! are processed anyway. Scanning only the current head gives the same findings as processing
//! every missed push one by one, because findings depend only on the files at the head.

use crate::ref_filter::{RefDecision, RefFilter};
use crate::ref_plan::RefWork;
use depwatch_bitbucket::{Client, Error};

/// A ref's head as the server reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefHead {
    pub ref_id: String,
    pub head: String,
}

/// What depwatch last processed on a ref (from the store's ref state).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessedRef {
    pub ref_id: String,
    pub head: Option<String>,
    pub gone: bool,
}

/// The monitored branches of a repository with their heads: the default branch and the
/// branches matching `filter` (tags are not polled).
///
/// # Errors
/// Bitbucket errors.
pub async fn monitored_heads(
    client: &Client,
    project: &str,
    slug: &str,
    default_branch: Option<&str>,
    filter: &RefFilter,
) -> Result<Vec<RefHead>, Error> {
    let branches = client.branches(project, slug)?.collect_all().await?;
    Ok(branches
        .into_iter()
        .filter(|b| filter.decide(&b.id, default_branch) == RefDecision::Monitored)
        .filter_map(|b| Some(RefHead { head: b.head()?.to_owned(), ref_id: b.id }))
        .collect())
}

/// The work missed: refs whose head moved (or that are new) since they were processed, and
/// processed refs that no longer exist.
pub fn missed(heads: &[RefHead], processed: &[ProcessedRef]) -> Vec<RefWork> {
    let mut work = Vec::new();
    for head in heads {
        let before = processed.iter().find(|p| p.ref_id == head.ref_id);
        let from = before.filter(|p| !p.gone).and_then(|p| p.head.clone());
        if from.as_deref() == Some(head.head.as_str()) {
            continue;
        }
        work.push(RefWork::Scan {
            ref_id: head.ref_id.clone(),
            from,
            to: head.head.clone(),
            peel: false,
        });
    }
    for p in processed {
        if !p.gone && !heads.iter().any(|h| h.ref_id == p.ref_id) {
            work.push(RefWork::Gone { ref_id: p.ref_id.clone() });
        }
    }
    work
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(r: &str, h: &str) -> RefHead {
        RefHead { ref_id: r.into(), head: h.into() }
    }

    fn done(r: &str, h: Option<&str>, gone: bool) -> ProcessedRef {
        ProcessedRef { ref_id: r.into(), head: h.map(Into::into), gone }
    }

    #[test]
    fn moved_new_and_vanished_refs_are_missed_work() {
        let heads = [
            head("refs/heads/main", "b"),
            head("refs/heads/release/1", "c"),
            head("refs/heads/release/2", "d"),
        ];
        let processed = [
            done("refs/heads/main", Some("a"), false),
            done("refs/heads/release/1", Some("c"), false),
            done("refs/heads/release/0", Some("z"), false),
            done("refs/heads/release/old", Some("y"), true),
        ];
        assert_eq!(
            missed(&heads, &processed),
            [
                RefWork::Scan {
                    ref_id: "refs/heads/main".into(),
                    from: Some("a".into()),
                    to: "b".into(),
                    peel: false
                },
                RefWork::Scan {
                    ref_id: "refs/heads/release/2".into(),
                    from: None,
                    to: "d".into(),
                    peel: false
                },
                RefWork::Gone { ref_id: "refs/heads/release/0".into() },
            ]
        );
        assert!(missed(&heads[..1], &[done("refs/heads/main", Some("b"), false)]).is_empty());
    }
}
