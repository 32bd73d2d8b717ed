import { useDeferredValue, useMemo, useState } from "react";
import type { RepositorySummary, WebhookState } from "../backend";
import { useQuery } from "../app/context";
import { plural, relativeTime } from "../app/format";
import { navigate } from "../app/router";
import { WebhookBadge } from "../components/badges";
import { FilterChips, SearchBox } from "../components/SearchBox";
import { SevCounts } from "../components/SevCounts";
import { Empty, ErrorBanner, Loading } from "../components/states";
import { VirtualTable, type Column } from "../components/VirtualTable";

type Health = "vulnerable" | "informational" | "clean" | "scan-failed";
const HEALTH_LABEL: Record<Health, string> = { vulnerable: "Vulnerable", informational: "Informational only", clean: "Clean", "scan-failed": "Scan failed" };
const HOOKS: WebhookState[] = ["installed", "missing", "failing", "polling"];
const HOOK_LABEL: Record<WebhookState, string> = { installed: "Webhook", missing: "No webhook", failing: "Failing", polling: "Polling" };

function health(r: RepositorySummary): Health[] {
  const vulns = r.counts.critical + r.counts.high + r.counts.medium + r.counts.low + r.counts.unknown;
  const info = r.informational.unmaintained + r.informational.unsound + r.informational.notice;
  const out: Health[] = [vulns > 0 ? "vulnerable" : info > 0 ? "informational" : "clean"];
  if (r.scanState === "failed") out.push("scan-failed");
  return out;
}

const weight = (r: RepositorySummary) => r.counts.critical * 1e6 + r.counts.high * 1e4 + r.counts.medium * 100 + r.counts.low * 10 + r.counts.unknown;

/** Filters repositories by text, health, webhook state and project. Exported for tests. */
export function filterRepositories(rows: RepositorySummary[], f: { query: string; health: Health[]; hooks: WebhookState[]; project: string; archived: boolean }): RepositorySummary[] {
  const q = f.query.trim().toLowerCase();
  return rows
    .filter((r) => f.archived || !r.archived)
    .filter((r) => !f.project || r.projectKey === f.project)
    .filter((r) => f.health.length === 0 || health(r).some((h) => f.health.includes(h)))
    .filter((r) => f.hooks.length === 0 || f.hooks.includes(r.webhook.state))
    .filter((r) => !q || `${r.projectKey}/${r.slug} ${r.projectName} ${r.name}`.toLowerCase().includes(q))
    .sort((a, b) => weight(b) - weight(a) || `${a.projectKey}/${a.slug}`.localeCompare(`${b.projectKey}/${b.slug}`));
}

export function RepositoriesScreen() {
  const q = useQuery((b) => b.listRepositories(), [], ["repositories", "findings", "perimeter"]);
  const [query, setQuery] = useState("");
  const [healthF, setHealthF] = useState<Health[]>([]);
  const [hooks, setHooks] = useState<WebhookState[]>([]);
  const [project, setProject] = useState("");
  const [archived, setArchived] = useState(false);
  const deferredQuery = useDeferredValue(query);
  const all = q.data ?? [];
  const projects = useMemo(() => [...new Set(all.map((r) => r.projectKey))].sort(), [all]);
  const rows = useMemo(() => filterRepositories(all, { query: deferredQuery, health: healthF, hooks, project, archived }), [all, deferredQuery, healthF, hooks, project, archived]);

  const columns: Column<RepositorySummary>[] = [
    { key: "name", header: "Repository", width: "minmax(180px, 2fr)", render: (r) => <span><strong>{r.projectKey}</strong>/{r.slug}{r.archived && <span className="badge tag" style={{ marginLeft: 6 }}>archived</span>}</span> },
    { key: "counts", header: "Open findings", width: "170px", render: (r) => <SevCounts counts={r.counts} /> },
    { key: "info", header: "Info", width: "48px", align: "right", render: (r) => { const n = r.informational.unmaintained + r.informational.unsound + r.informational.notice; return n > 0 ? <span className="badge kind" title="Informational advisories">{n}</span> : <span className="muted">0</span>; } },
    { key: "deps", header: "Deps", width: "64px", align: "right", render: (r) => r.dependencyCount.toLocaleString("en") },
    { key: "hook", header: "Updates", width: "104px", render: (r) => <WebhookBadge status={r.webhook} /> },
    { key: "push", header: "Last push", width: "110px", render: (r) => <span className="muted">{relativeTime(r.lastPushAt)}</span> },
    { key: "scan", header: "Scanned", width: "110px", render: (r) => (r.scanState === "failed" ? <span className="error-text">failed</span> : <span className="muted">{relativeTime(r.lastScannedAt)}</span>) },
  ];

  return (
    <div className="page">
      <div className="page-header">
        <div>
          <h1 tabIndex={-1}>Repositories</h1>
          <div className="subtitle">{q.data ? `${plural(rows.length, "repository", "repositories")} shown of ${all.length.toLocaleString("en")}` : " "}</div>
        </div>
      </div>
      <div className="toolbar">
        <SearchBox value={query} onChange={setQuery} label="Search repositories" />
        <label className="check">
          <span className="chips-label">Project</span>
          <select aria-label="Project" value={project} onChange={(e) => setProject(e.target.value)}>
            <option value="">All projects</option>
            {projects.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <FilterChips label="Status" options={["vulnerable", "informational", "clean", "scan-failed"] as Health[]} selected={healthF} onChange={setHealthF} render={(h) => HEALTH_LABEL[h]} />
        <FilterChips label="Updates" options={HOOKS} selected={hooks} onChange={setHooks} render={(h) => HOOK_LABEL[h]} />
        <label className="check">
          <input type="checkbox" checked={archived} onChange={(e) => setArchived(e.target.checked)} /> Archived
        </label>
      </div>
      {q.status === "error" && <ErrorBanner error={q.error} onRetry={q.reload} title="Could not load repositories" />}
      {q.status === "loading" && !q.data && <Loading label="Loading repositories…" />}
      {q.data && all.length === 0 && <Empty title="No repositories monitored">Choose a perimeter and run the historical scan.</Empty>}
      {q.data && all.length > 0 && rows.length === 0 && <Empty title="No repository matches">Change the search or filters.</Empty>}
      {rows.length > 0 && <VirtualTable label="Repositories" rows={rows} columns={columns} rowKey={(r) => r.id} onOpen={(r) => navigate({ name: "repository", id: r.id, tab: "overview" })} rowClass={(r) => (r.archived ? "dim" : "")} />}
    </div>
  );
}
