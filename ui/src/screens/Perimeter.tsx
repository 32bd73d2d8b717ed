import { useVirtualizer } from "@tanstack/react-virtual";
import { useDeferredValue, useEffect, useMemo, useRef, useState } from "react";
import type { Perimeter, PerimeterProject, PerimeterRepository, WebhookStatus } from "../backend";
import { useAction, useBackend, useQuery } from "../app/context";
import { plural } from "../app/format";
import { WebhookBadge } from "../components/badges";
import { SearchBox } from "../components/SearchBox";
import { Empty, ErrorBanner, Loading } from "../components/states";

type Row = { kind: "project"; project: PerimeterProject; visibleRepos: PerimeterRepository[] } | { kind: "repo"; project: PerimeterProject; repo: PerimeterRepository };

/** Repositories the perimeter includes, mirroring the backend's rule. Exported for tests. */
export function isIncluded(p: Perimeter, project: PerimeterProject, repo: PerimeterRepository): boolean {
  if (repo.archived && !p.includeArchived) return false;
  if (repo.personal && p.excludePersonal) return false;
  if (p.mode === "instance") return true;
  return p.projectKeys.includes(project.key) || p.repositoryIds.includes(repo.id);
}

export function PerimeterScreen() {
  const backend = useBackend();
  const projectsQ = useQuery((b) => b.listProjects(), [], ["perimeter"]);
  const perimeterQ = useQuery((b) => b.getPerimeter(), []);
  const [draft, setDraft] = useState<Perimeter | null>(null);
  const [query, setQuery] = useState("");
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const save = useAction();
  const hook = useAction();
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (perimeterQ.data && !draft) setDraft(perimeterQ.data);
  }, [perimeterQ.data, draft]);
  const deferred = useDeferredValue(query).trim().toLowerCase();
  const projects = projectsQ.data ?? [];

  const rows = useMemo(() => {
    const out: Row[] = [];
    for (const p of projects) {
      const projectMatch = !deferred || p.key.toLowerCase().includes(deferred) || p.name.toLowerCase().includes(deferred);
      const repos = p.repositories.filter((r) => projectMatch || r.slug.toLowerCase().includes(deferred) || r.name.toLowerCase().includes(deferred));
      if (repos.length === 0 && !projectMatch) continue;
      out.push({ kind: "project", project: p, visibleRepos: repos });
      if (expanded.has(p.key) || (deferred && !projectMatch)) for (const r of repos) out.push({ kind: "repo", project: p, repo: r });
    }
    return out;
  }, [projects, deferred, expanded]);

  const scrollRef = useRef<HTMLDivElement>(null);
  const [focusIndex, setFocusIndex] = useState(0);
  const virtualizer = useVirtualizer({ count: rows.length, getScrollElement: () => scrollRef.current, estimateSize: () => 32, overscan: 10, initialRect: { width: 900, height: 600 } });

  if (projectsQ.status === "error") return <Page><ErrorBanner error={projectsQ.error} onRetry={projectsQ.reload} title="Could not list projects" /></Page>;
  if (perimeterQ.status === "error") return <Page><ErrorBanner error={perimeterQ.error} onRetry={perimeterQ.reload} title="Could not read the perimeter" /></Page>;
  if (!draft || !projectsQ.data) return <Page><Loading label="Loading projects…" /></Page>;

  const included = projects.reduce((n, p) => n + p.repositories.filter((r) => isIncluded(draft, p, r)).length, 0);
  const total = projects.reduce((n, p) => n + p.repositories.length, 0);
  const update = (p: Partial<Perimeter>) => {
    setSaved(false);
    setDraft({ ...draft, ...p });
  };
  const toggleProject = (key: string, on: boolean, repoIds: number[]) =>
    update({ projectKeys: on ? [...draft.projectKeys, key] : draft.projectKeys.filter((k) => k !== key), repositoryIds: draft.repositoryIds.filter((id) => !repoIds.includes(id)) });
  const toggleRepo = (p: PerimeterProject, id: number, on: boolean) => {
    if (draft.projectKeys.includes(p.key)) {
      // Unchecking one repository of a whole-project selection turns it into an explicit list.
      update({ projectKeys: draft.projectKeys.filter((k) => k !== p.key), repositoryIds: [...draft.repositoryIds, ...p.repositories.map((r) => r.id).filter((x) => x !== id)] });
    } else {
      update({ repositoryIds: on ? [...draft.repositoryIds, id] : draft.repositoryIds.filter((x) => x !== id) });
    }
  };
  const selectionMode = draft.mode === "selection";
  /** Arrow keys move between rows (roving focus on the row checkboxes), Right/Left expand and
   * collapse projects, Space toggles (native checkbox behaviour). */
  function onTreeKeyDown(e: React.KeyboardEvent) {
    const row = rows[focusIndex];
    let next = focusIndex;
    if (e.key === "ArrowDown") next = Math.min(rows.length - 1, focusIndex + 1);
    else if (e.key === "ArrowUp") next = Math.max(0, focusIndex - 1);
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = rows.length - 1;
    else if (e.key === "ArrowRight" && row?.kind === "project" && !expanded.has(row.project.key)) {
      setExpanded((x) => new Set(x).add(row.project.key));
    } else if (e.key === "ArrowLeft" && row) {
      if (row.kind === "project" && expanded.has(row.project.key)) {
        setExpanded((x) => { const n = new Set(x); n.delete(row.project.key); return n; });
      } else if (row.kind === "repo") {
        next = rows.findIndex((r) => r.kind === "project" && r.project.key === row.project.key);
      }
    } else return;
    e.preventDefault();
    if (next !== focusIndex) {
      setFocusIndex(next);
      virtualizer.scrollToIndex(next, { align: "auto" });
      requestAnimationFrame(() => scrollRef.current?.querySelector<HTMLInputElement>(`[data-index="${next}"] input[type="checkbox"]`)?.focus());
    }
  }
  const hookCounts = countHooks(projects, draft);

  return (
    <Page
      subtitle={`${plural(included, "repository", "repositories")} of ${total.toLocaleString("en")} will be monitored`}
      actions={
        <>
          {saved && <span className="muted" role="status">Saved</span>}
          <button type="button" className="btn btn-primary" disabled={save.busy} onClick={async () => { const p = await save.run(() => backend.savePerimeter(draft)); if (p) { setDraft(p); setSaved(true); } }}>
            Save perimeter
          </button>
        </>
      }
    >
      {save.error && <ErrorBanner error={save.error} title="Could not save" />}
      {hook.error && <ErrorBanner error={hook.error} title="Could not install the webhook" />}
      <div className="toolbar">
        <div className="segmented" role="radiogroup" aria-label="Scope">
          <button type="button" role="radio" aria-checked={!selectionMode} aria-pressed={!selectionMode} onClick={() => update({ mode: "instance" })}>
            Whole instance
          </button>
          <button type="button" role="radio" aria-checked={selectionMode} aria-pressed={selectionMode} onClick={() => update({ mode: "selection" })}>
            Selected projects and repositories
          </button>
        </div>
        <label className="check">
          <input type="checkbox" checked={draft.excludePersonal} onChange={(e) => update({ excludePersonal: e.target.checked })} /> Exclude personal repositories
        </label>
        <label className="check">
          <input type="checkbox" checked={draft.includeArchived} onChange={(e) => update({ includeArchived: e.target.checked })} /> Include archived
        </label>
      </div>
      <div className="toolbar">
        <SearchBox value={query} onChange={setQuery} label="Search projects and repositories" />
        <span className="muted">
          Updates: {hookCounts.installed} webhook · {hookCounts.missing} missing · {hookCounts.failing} failing · {hookCounts.polling} polling only
        </span>
      </div>
      {rows.length === 0 ? (
        <Empty title={projects.length === 0 ? "No projects visible" : "Nothing matches"}>{projects.length === 0 ? "The account depwatch uses cannot read any project." : "Change the search."}</Empty>
      ) : (
        <div className="tree" ref={scrollRef} role="tree" aria-label="Projects and repositories" aria-multiselectable="true" onKeyDown={onTreeKeyDown}>
          <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
            {virtualizer.getVirtualItems().map((v) => {
              const row = rows[v.index];
              if (!row) return null;
              const style = { position: "absolute" as const, top: 0, left: 0, right: 0, height: 32, transform: `translateY(${v.start}px)` };
              if (row.kind === "project") {
                const p = row.project;
                const whole = draft.projectKeys.includes(p.key);
                const some = p.repositories.some((r) => draft.repositoryIds.includes(r.id));
                const open = expanded.has(p.key);
                return (
                  <div key={`p-${p.key}`} data-index={v.index} onFocus={() => setFocusIndex(v.index)} role="treeitem" aria-expanded={open} aria-level={1} aria-selected={whole} className="tree-row project" style={style}>
                    <span className="toolbar" style={{ gap: 6, flexWrap: "nowrap" }}>
                      <button type="button" tabIndex={-1} className="tree-toggle" aria-label={`${open ? "Collapse" : "Expand"} ${p.key}`} onClick={() => setExpanded((s) => { const n = new Set(s); if (open) n.delete(p.key); else n.add(p.key); return n; })}>
                        {open ? "▾" : "▸"}
                      </button>
                      <TriCheckbox roving={v.index === focusIndex} label={`Project ${p.key}`} checked={!selectionMode || whole} indeterminate={selectionMode && !whole && some} disabled={!selectionMode || (p.personal && draft.excludePersonal)} onChange={(on) => toggleProject(p.key, on, p.repositories.map((r) => r.id))} />
                      <span className="ellipsis">
                        {p.key} <span className="muted" style={{ fontWeight: 400 }}>{p.name} · {plural(p.repositories.length, "repository", "repositories")}</span>
                      </span>
                    </span>
                    <HookCell status={p.webhook} onInstall={p.personal ? undefined : () => hook.run(() => backend.installWebhook({ projectKey: p.key, repositoryId: null })).then(() => projectsQ.reload())} />
                  </div>
                );
              }
              const r = row.repo;
              const on = isIncluded(draft, row.project, r);
              return (
                <div key={`r-${r.id}`} data-index={v.index} onFocus={() => setFocusIndex(v.index)} role="treeitem" aria-level={2} aria-selected={on} className="tree-row repo" style={style}>
                  <span className="toolbar" style={{ gap: 6, flexWrap: "nowrap" }}>
                    <TriCheckbox roving={v.index === focusIndex} label={`Repository ${r.projectKey}/${r.slug}`} checked={on} disabled={!selectionMode || (r.archived && !draft.includeArchived) || (r.personal && draft.excludePersonal)} onChange={(v) => toggleRepo(row.project, r.id, v)} />
                    <span className="ellipsis">
                      {r.slug} {r.archived && <span className="badge tag">archived</span>} {r.personal && <span className="badge tag">personal</span>}
                    </span>
                  </span>
                  <HookCell status={r.webhook} onInstall={() => hook.run(() => backend.installWebhook({ projectKey: null, repositoryId: r.id })).then(() => projectsQ.reload())} />
                </div>
              );
            })}
          </div>
        </div>
      )}
    </Page>
  );
}

function countHooks(projects: PerimeterProject[], p: Perimeter) {
  const c = { installed: 0, missing: 0, failing: 0, polling: 0 };
  for (const pr of projects) for (const r of pr.repositories) if (isIncluded(p, pr, r)) c[r.webhook.state]++;
  return c;
}

function HookCell({ status, onInstall }: { status: WebhookStatus; onInstall?: () => void }) {
  return (
    <span className="toolbar" style={{ gap: 6, flexWrap: "nowrap" }}>
      {status.detail && <span className="muted ellipsis" style={{ maxWidth: 360, fontSize: 12, fontWeight: 400 }} title={status.detail}>{status.detail}</span>}
      <WebhookBadge status={status} />
      {onInstall && (status.state === "missing" || status.state === "failing") && (
        <button type="button" className="btn btn-small" onClick={onInstall}>
          {status.state === "failing" ? "Reinstall" : "Install"}
        </button>
      )}
    </span>
  );
}

function TriCheckbox({ label, checked, indeterminate = false, disabled, onChange, roving }: { label: string; checked: boolean; indeterminate?: boolean; disabled?: boolean; onChange: (v: boolean) => void; roving: boolean }) {
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (ref.current) ref.current.indeterminate = indeterminate;
  }, [indeterminate]);
  // Disabled checkboxes stay focusable (aria-disabled) so arrow navigation never gets stuck.
  return <input ref={ref} type="checkbox" tabIndex={roving ? 0 : -1} aria-label={label} checked={checked} aria-disabled={disabled} onChange={(e) => !disabled && onChange(e.target.checked)} className={disabled ? "check-disabled" : undefined} />;
}

function Page({ children, subtitle, actions }: { children: React.ReactNode; subtitle?: string; actions?: React.ReactNode }) {
  return (
    <div className="page">
      <div className="page-header">
        <div>
          <h1 tabIndex={-1}>Perimeter</h1>
          <div className="subtitle">{subtitle ?? "Which repositories depwatch watches"}</div>
        </div>
        <div className="toolbar">{actions}</div>
      </div>
      {children}
    </div>
  );
}
