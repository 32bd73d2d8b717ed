//! Bitbucket paged responses: default limit, silent caps, and an optional gap mode where
//! `nextPageStart` is not `start + size`.

use serde_json::{json, Value};

use crate::config::{Config, Resource};

/// `start`/`limit` as requested, before capping.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    /// Requested start (virtual index).
    pub start: usize,
    /// Requested limit, if any.
    pub limit: Option<usize>,
}

impl PageRequest {
    /// Reads `start` and `limit` from query pairs; unparsable values are a client error.
    pub fn from_query(query: &[(String, String)]) -> Result<Self, String> {
        let mut req = PageRequest { start: 0, limit: None };
        for (k, v) in query {
            match k.as_str() {
                "start" => {
                    req.start = v
                        .parse()
                        .map_err(|_| format!("start: {v:?} is not a non-negative integer"))?
                }
                "limit" => {
                    req.limit = Some(
                        v.parse()
                            .map_err(|_| format!("limit: {v:?} is not a non-negative integer"))?,
                    )
                }
                _ => {}
            }
        }
        Ok(req)
    }
}

/// The effective limit: default when absent, silently lowered to the cap, at least 1.
pub fn effective_limit(cfg: &Config, resource: Resource, requested: Option<usize>) -> usize {
    let default = if resource == Resource::BrowseLines {
        cfg.browse_default_limit
    } else {
        cfg.default_limit
    };
    requested.unwrap_or(default).clamp(1, cfg.cap(resource))
}

/// A computed page: the selected items plus the paging fields.
pub struct Page<T> {
    /// Items on this page.
    pub values: Vec<T>,
    /// Effective limit.
    pub limit: usize,
    /// Start as requested.
    pub start: usize,
    /// Whether this is the last page.
    pub is_last: bool,
    /// Next start, when not last.
    pub next_start: Option<usize>,
}

impl<T> Page<T> {
    /// Renders the Bitbucket envelope with `values` already converted to JSON.
    pub fn envelope(&self, values: Vec<Value>) -> Value {
        let mut v = json!({
            "size": values.len(),
            "limit": self.limit,
            "isLastPage": self.is_last,
            "start": self.start,
            "values": values,
        });
        if let (Some(next), Some(obj)) = (self.next_start, v.as_object_mut()) {
            obj.insert("nextPageStart".to_owned(), json!(next));
        }
        v
    }
}

/// Virtual index of visible item `i` when a hidden item follows every `every` visible ones.
fn virtual_index(i: usize, every: Option<usize>) -> usize {
    match every {
        Some(n) if n > 0 => i + i / n,
        _ => i,
    }
}

/// First visible item whose virtual index is `>= start`.
fn first_visible_at(start: usize, every: Option<usize>) -> usize {
    match every {
        Some(n) if n > 0 => {
            // Visible item i sits at i + i/n; invert conservatively then adjust.
            let mut i = start.saturating_sub(start / (n + 1));
            while i > 0 && virtual_index(i - 1, every) >= start {
                i -= 1;
            }
            while virtual_index(i, every) < start {
                i += 1;
            }
            i
        }
        _ => start,
    }
}

/// Cuts one page out of `items` (already filtered and ordered).
pub fn paginate<T: Clone>(
    cfg: &Config,
    resource: Resource,
    req: PageRequest,
    items: &[T],
    gaps: bool,
) -> Page<T> {
    let limit = effective_limit(cfg, resource, req.limit);
    let every = if gaps { cfg.hidden_item_every } else { None };
    let first = first_visible_at(req.start, every).min(items.len());
    let end = first.saturating_add(limit).min(items.len());
    let values: Vec<T> = items.get(first..end).map(|s| s.to_vec()).unwrap_or_default();
    let is_last = end >= items.len();
    let next_start = if is_last {
        None
    } else {
        // The next visible item's virtual index; with gaps this skips the hidden slot.
        Some(virtual_index(end, every))
    };
    Page { values, limit, start: req.start, is_last, next_start }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_and_next_start() {
        let cfg = Config::default().with_cap(Resource::Repos, 50);
        let items: Vec<usize> = (0..120).collect();
        let p = paginate(
            &cfg,
            Resource::Repos,
            PageRequest { start: 0, limit: Some(1000) },
            &items,
            true,
        );
        assert_eq!(p.limit, 50);
        assert_eq!(p.values.len(), 50);
        assert_eq!(p.next_start, Some(50));
        let last =
            paginate(&cfg, Resource::Repos, PageRequest { start: 100, limit: None }, &items, true);
        assert_eq!(last.limit, 25);
        assert!(last.is_last);
        assert_eq!(last.next_start, None);
        assert_eq!(last.values.len(), 20);
        assert_eq!(last.values.first(), Some(&100));
    }

    #[test]
    fn gap_mode_walks_every_item_once() {
        let cfg = Config { hidden_item_every: Some(7), ..Config::default() };
        let items: Vec<usize> = (0..100).collect();
        let mut start = 0;
        let mut seen = Vec::new();
        let mut saw_gap = false;
        loop {
            let p = paginate(
                &cfg,
                Resource::Repos,
                PageRequest { start, limit: Some(10) },
                &items,
                true,
            );
            seen.extend(p.values.iter().copied());
            match p.next_start {
                Some(n) => {
                    saw_gap |= n != start + p.values.len();
                    start = n;
                }
                None => break,
            }
        }
        assert!(saw_gap);
        assert_eq!(seen, items);
    }
}
