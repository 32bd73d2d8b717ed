//! Alias groups: OSV `aliases` are symmetric and transitive, so records that name each other,
//! directly or through a shared CVE, describe one issue and become one finding.

use rustc_hash::FxHashMap as HashMap;

/// Union-find over advisory ids.
#[derive(Debug, Default)]
pub(crate) struct AliasGroups {
    ids: HashMap<String, usize>,
    parent: Vec<usize>,
}

impl AliasGroups {
    fn node(&mut self, id: &str) -> usize {
        if let Some(&n) = self.ids.get(id) {
            return n;
        }
        let n = self.parent.len();
        self.parent.push(n);
        self.ids.insert(id.to_owned(), n);
        n
    }

    fn find(&mut self, mut n: usize) -> usize {
        while let Some(&p) = self.parent.get(n) {
            if p == n {
                break;
            }
            // Path halving keeps later lookups short.
            let grand = self.parent.get(p).copied().unwrap_or(p);
            if let Some(slot) = self.parent.get_mut(n) {
                *slot = grand;
            }
            n = grand;
        }
        n
    }

    /// Records that `id` and every alias name the same issue.
    pub(crate) fn link(&mut self, id: &str, aliases: &[String]) {
        let a = self.node(id);
        for alias in aliases {
            let b = self.node(alias);
            let (ra, rb) = (self.find(a), self.find(b));
            if ra != rb {
                // Attach the larger root under the smaller for a deterministic representative.
                let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
                if let Some(slot) = self.parent.get_mut(hi) {
                    *slot = lo;
                }
            }
        }
    }

    /// Resolves every id to its group number and lists each group's ids, sorted.
    pub(crate) fn finish(mut self) -> (HashMap<String, usize>, Vec<Vec<String>>) {
        let mut root_to_group: HashMap<usize, usize> = HashMap::default();
        let mut groups: Vec<Vec<String>> = Vec::new();
        let mut entries: Vec<(String, usize)> = self.ids.clone().into_iter().collect();
        entries.sort();
        let mut by_id = HashMap::with_capacity_and_hasher(entries.len(), Default::default());
        for (id, n) in entries {
            let root = self.find(n);
            let g = *root_to_group.entry(root).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
            if let Some(list) = groups.get_mut(g) {
                list.push(id.clone());
            }
            by_id.insert(id, g);
        }
        (by_id, groups)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_are_symmetric_and_transitive() {
        let mut g = AliasGroups::default();
        g.link("GHSA-1", &["CVE-1".to_owned()]);
        g.link("PYSEC-1", &["CVE-1".to_owned()]);
        g.link("OTHER-1", &[]);
        let (by_id, groups) = g.finish();
        assert_eq!(by_id["GHSA-1"], by_id["PYSEC-1"]);
        assert_ne!(by_id["GHSA-1"], by_id["OTHER-1"]);
        assert_eq!(groups[by_id["PYSEC-1"]], ["CVE-1", "GHSA-1", "PYSEC-1"]);
    }
}
