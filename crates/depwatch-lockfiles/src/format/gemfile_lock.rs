//! Bundler's `Gemfile.lock` / `gems.locked`.
//!
//! Hand-written (no usable crate exists): sections start in column 0; in `GEM`/`GIT`/`PATH`
//! sections, specs are indented four spaces and their dependencies six. The version ends at the
//! first `-`, after which comes a platform (`ffi (1.17.4-x86_64-linux-gnu)`), as in Bundler's
//! own `NAME_VERSION` pattern.

use crate::inventory::{clip, input_text, read_capped, redact_url, text, Entry, Inventory};
use crate::Input;
use depwatch_core::{Ecosystem, Parsed, Scope, Source};
use std::collections::BTreeSet;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    /// A spec source: `GEM`, `GIT`, `PATH` or `PLUGIN SOURCE`.
    Specs(Source),
    Dependencies,
    /// Sections without packages (`PLATFORMS`, `CHECKSUMS`, `RUBY VERSION`, `BUNDLED WITH`).
    Ignored,
    None,
}

pub(crate) fn parse(input: &Input<'_>) -> Parsed {
    let mut inv = Inventory::new(Ecosystem::RubyGems, input.path);
    if crate::parsed::is_blank(input.bytes) {
        return inv.finish();
    }
    let Some(content) = input_text(input, &mut inv) else {
        return inv.finish();
    };
    let mut section = Section::None;
    let mut direct: BTreeSet<String> = BTreeSet::new();
    let mut saw_dependencies = false;
    // (package index, dependency names) of each spec, resolved once every spec is known.
    let mut spec_deps: Vec<(usize, Vec<String>)> = Vec::new();
    let mut current: Option<usize> = None;
    let mut foreign_remotes: BTreeSet<String> = BTreeSet::new();

    for (i, line) in content.lines().enumerate() {
        let line_no = i + 1;
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let indent = line.len() - line.trim_start_matches(' ').len();
        if indent == 0 {
            current = None;
            section = match line.trim() {
                "GEM" => Section::Specs(Source::Registry),
                "GIT" => Section::Specs(Source::Git),
                "PATH" => Section::Specs(Source::Path),
                "PLUGIN SOURCE" => Section::Specs(Source::Url),
                "DEPENDENCIES" => {
                    saw_dependencies = true;
                    Section::Dependencies
                }
                "PLATFORMS" | "CHECKSUMS" | "RUBY VERSION" | "BUNDLED WITH" => Section::Ignored,
                other => {
                    inv.warn(Some(line_no), format!("unknown section `{}` skipped", clip(other)));
                    Section::Ignored
                }
            };
            continue;
        }
        match section {
            Section::Specs(source) => match indent {
                2 => {
                    if let Some(remote) = line.trim().strip_prefix("remote:") {
                        let remote = remote.trim();
                        if source == Source::Registry && !remote.contains("rubygems.org") {
                            foreign_remotes.insert(redact_url(remote));
                        }
                    }
                }
                4 => match name_version(line.trim()) {
                    Some((name, Some(version))) => {
                        let mut entry = Entry::registry(name, version);
                        entry.source = source;
                        current = inv.add(entry).map(|idx| {
                            spec_deps.push((idx, Vec::new()));
                            spec_deps.len() - 1
                        });
                    }
                    _ => {
                        current = None;
                        inv.warn(
                            Some(line_no),
                            format!(
                                "cannot read spec `{}` (expected `name (version)`)",
                                clip(line.trim())
                            ),
                        );
                    }
                },
                6 => {
                    if let (Some(c), Some((name, _))) = (current, name_version(line.trim())) {
                        if let Some((_, deps)) = spec_deps.get_mut(c) {
                            deps.push(name.to_owned());
                        }
                    }
                }
                _ => inv.warn(
                    Some(line_no),
                    format!("unexpected indentation in `{}`", clip(line.trim())),
                ),
            },
            Section::Dependencies => match name_version(line.trim()) {
                Some((name, _)) => {
                    direct.insert(name.trim_end_matches('!').to_owned());
                }
                None => inv
                    .warn(Some(line_no), format!("cannot read dependency `{}`", clip(line.trim()))),
            },
            Section::Ignored => {}
            Section::None => {
                inv.warn(
                    Some(line_no),
                    "indented line before any section header; is this a Gemfile.lock?",
                );
                // One message is enough for a file that is not a lockfile at all.
                section = Section::Ignored;
            }
        }
    }

    let by_name = inv.by_name();
    for (from, deps) in &spec_deps {
        for dep in deps {
            for &to in by_name.get(dep.as_str()).map(Vec::as_slice).unwrap_or(&[]) {
                inv.edge(*from, to);
            }
        }
    }
    for i in 0..inv.len() {
        if let Some(p) = inv.get_mut(i) {
            p.direct = saw_dependencies.then(|| direct.contains(&p.name));
        }
    }
    if !saw_dependencies && inv.len() > 0 {
        inv.warn(None, "no DEPENDENCIES section: direct and transitive gems cannot be told apart");
    }
    if saw_dependencies {
        scopes_from_gemfile(input, &mut inv, &direct);
    }
    for remote in foreign_remotes {
        inv.info(None, format!("gems from {remote} are not from rubygems.org; a gem there may not be the rubygems.org gem of the same name"));
    }
    inv.finish()
}

/// Dev vs prod lives only in the Gemfile's Ruby DSL. Read it heuristically (group blocks and
/// `group:` options), then walk the lock's graph: reachable from a prod gem → prod, else from a
/// development/test gem → dev. Without a Gemfile the scope stays unknown.
fn scopes_from_gemfile(input: &Input<'_>, inv: &mut Inventory, direct: &BTreeSet<String>) {
    let manifest = if input.path.ends_with("gems.locked") { "gems.rb" } else { "Gemfile" };
    let path = crate::join_path(input.dir(), manifest);
    let bytes = match read_capped(input.repo, &path, input.options.max_bytes) {
        Ok(Some(b)) => b,
        Ok(None) => return,
        Err(msg) => {
            inv.warn(None, msg);
            return;
        }
    };
    let dev_only = dev_only_gems(&text(&bytes));
    let (mut prod_starts, mut dev_starts) = (Vec::new(), Vec::new());
    for name in direct {
        let target = if dev_only.contains(name) { &mut dev_starts } else { &mut prod_starts };
        target.extend(inv.find(name));
    }
    let prod = inv.reachable(&prod_starts);
    let dev = inv.reachable(&dev_starts);
    for i in 0..inv.len() {
        if let Some(p) = inv.get_mut(i) {
            if prod.get(i) == Some(&true) {
                p.scope = Scope::Prod;
            } else if dev.get(i) == Some(&true) {
                p.scope = Scope::Dev;
            }
        }
    }
}

const DEV_GROUPS: [&str; 5] = ["development", "test", "dev", "ci", "lint"];

/// Gems the Gemfile declares only inside development/test groups.
fn dev_only_gems(gemfile: &str) -> BTreeSet<String> {
    // Each open block: the groups it adds (empty for `if`, `platforms`, `source … do`, …).
    let mut blocks: Vec<Vec<String>> = Vec::new();
    let mut dev = BTreeSet::new();
    let mut prod = BTreeSet::new();
    for raw in gemfile.lines() {
        let line = raw.split(" #").next().unwrap_or(raw).trim();
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let opens_block = line.ends_with(" do") || line.contains(" do |");
        if line == "end" || line.starts_with("end ") {
            blocks.pop();
            continue;
        }
        if let Some(rest) = line.strip_prefix("group ").or_else(|| line.strip_prefix("group(")) {
            if opens_block {
                blocks.push(symbols(rest));
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("gem ").or_else(|| line.strip_prefix("gem(")) {
            let name = rest.trim_start().trim_start_matches(['"', '\'']);
            let name: String = name.chars().take_while(|c| !matches!(c, '"' | '\'')).collect();
            let mut groups: Vec<String> = blocks.iter().flatten().cloned().collect();
            if let Some(opt) =
                rest.find("group:").or_else(|| rest.find("groups:")).and_then(|at| rest.get(at..))
            {
                groups.extend(symbols(opt.split_once(':').map_or("", |(_, v)| v)));
            }
            if !groups.is_empty() && groups.iter().all(|g| DEV_GROUPS.contains(&g.as_str())) {
                dev.insert(name);
            } else {
                prod.insert(name);
            }
            if opens_block {
                blocks.push(Vec::new());
            }
            continue;
        }
        let keyword = line.split_whitespace().next().unwrap_or("");
        if opens_block
            || matches!(keyword, "if" | "unless" | "case" | "begin" | "while" | "until" | "def")
        {
            blocks.push(Vec::new());
        }
    }
    // A gem declared both in a dev group and outside one is prod.
    dev.retain(|g| !prod.contains(g));
    dev
}

/// `:development, :test do` / `[:test]` / `"test"` → group names.
fn symbols(s: &str) -> Vec<String> {
    let s = s.split(" do").next().unwrap_or(s);
    s.split([',', '[', ']', '(', ')', ' '])
        .map(|t| t.trim().trim_start_matches(':').trim_matches(['"', '\'']))
        .take_while(|t| !t.ends_with(':') || t.is_empty())
        .filter(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .map(str::to_owned)
        .collect()
}

/// `name (version[-platform])`, `name (>= 1, < 2)`, `name!` or `name` → (name, version without
/// platform). For dependency lines the "version" is a constraint and is ignored by callers.
fn name_version(s: &str) -> Option<(&str, Option<&str>)> {
    let s = s.strip_suffix('!').unwrap_or(s);
    let (name, version) = match s.split_once(" (") {
        Some((name, rest)) => {
            let inner = rest.strip_suffix(')')?;
            (name, Some(inner.split('-').next().unwrap_or(inner).trim()))
        }
        None => (s, None),
    };
    let name = name.trim().trim_end_matches('!');
    let valid = !name.is_empty()
        && !name.contains(char::is_whitespace)
        && !name.contains(['(', ')'])
        && version.is_none_or(|v| !v.is_empty());
    valid.then_some((name, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemfile_groups() {
        let gemfile = r#"
source "https://rubygems.org"
gem "rails", "~> 7.1"
gem "rspec-rails", group: [:development, :test]
gem "bootsnap", require: false # comment
group :development, :test do
  gem "debug", platforms: %i[mri windows]
  if ENV["CI"]
    gem "simplecov"
  end
  gem "pry"
end
group :production do
  gem "pg"
end
gem "pry"
gem "rubocop", groups: [:lint]
"#;
        let dev = dev_only_gems(gemfile);
        assert_eq!(
            dev.into_iter().collect::<Vec<_>>(),
            ["debug", "rspec-rails", "rubocop", "simplecov"]
        );
    }

    #[test]
    fn platform_suffixes_are_stripped() {
        assert_eq!(name_version("ffi (1.17.4-x86_64-linux-gnu)"), Some(("ffi", Some("1.17.4"))));
        assert_eq!(name_version("nokogiri (1.16.0-java)"), Some(("nokogiri", Some("1.16.0"))));
        assert_eq!(name_version("rails (7.1.0)"), Some(("rails", Some("7.1.0"))));
        assert_eq!(name_version("rack (>= 2.2.4, < 4)"), Some(("rack", Some(">= 2.2.4, < 4"))));
        assert_eq!(name_version("mygem!"), Some(("mygem", None)));
        assert_eq!(name_version("bad (1.0"), None);
        assert_eq!(name_version("bad ()"), None);
    }
}
