import { useDeferredValue, useMemo, useState } from "react";
import { ECOSYSTEMS, type DependencyRow, type Ecosystem, type ManifestInfo, type RepositoryDetail } from "../backend";
import { useQuery } from "../app/context";
import { absoluteTime, plural, relativeTime, shortCommit } from "../app/format";
import { href, navigate } from "../app/router";
import { SeverityBadge, WebhookBadge } from "../components/badges";
import { PushList } from "../components/PushList";
import { FilterChips, SearchBox } from "../components/SearchBox";
import { SevCounts } from "../components/SevCounts";
import { Empty, ErrorBanner, Loading } from "../components/states";
import { Tabs } from "../components/Tabs";
import { VirtualTable, type Column } from "../components/VirtualTable";
import { FindingsView } from "./Findings";
import { ExternalLink } from "../components/ExternalLink";

type Tab = "overview" | "dependencies" | "findings" | "pushes";
const TABS: Tab[] = ["overview", "dependencies", "findings", "pushes"];

export function RepositoryScreen({ id, tab }: { id: number; tab: string }) {
  const q = useQuery((b) => b.getRepository(id), [id], ["repositories", "findings"]);
  const current: Tab = (TABS as string[]).includes(tab) ? (tab as Tab) : "overview";
  const d = q.data;
  const openFindings = d ? Object.values(d.summary.counts).reduce((a, b) => a + b, 0) + d.summary.informational.unmaintained + d.summary.informational.unsound + d.summary.informational.notice : undefined;
  return (
    <div className="page">
      <div className="page-header">
        <div>
          <div className="breadcrumb">
            <a href={href({ name: "repositories" })}>Repositories</a> / {d?.summary.projectName ?? ""}
          </div>
          <h1 tabIndex={-1}>{d ? `${d.summary.projectKey}/${d.summary.slug}` : `Repository ${id}`}</h1>
        </div>
        {d && (
          <div className="toolbar">
            <SevCounts counts={d.summary.counts} />
            <WebhookBadge status={d.summary.webhook} />
            <ExternalLink className="btn" href={d.summary.webUrl}>
              Open in Bitbucket
            </ExternalLink>
          </div>
        )}
      </div>
      {q.status === "error" && <ErrorBanner error={q.error} onRetry={q.reload} title="Could not load the repository" />}
      {q.status === "loading" && !d && <Loading label="Loading repository…" />}
      {d && (
        <>
          <Tabs
            label="Repository sections"
            current={current}
            onSelect={(t) => navigate({ name: "repository", id, tab: t })}
            tabs={[
              { id: "overview", label: "Overview" },
              { id: "dependencies", label: "Dependencies", count: d.summary.dependencyCount },
              { id: "findings", label: "Findings", count: openFindings },
              { id: "pushes", label: "Pushes" },
            ]}
          />
          <div role="tabpanel" id={`panel-${current}`} aria-labelledby={`tab-${current}`} style={{ display: "flex", flexDirection: "column", gap: 12, flex: 1, minHeight: 0 }}>
            {current === "overview" && (
              <>
                <Overview detail={d} />
                <section className="panel" aria-labelledby="recent-pushes-h">
                  <div className="panel-header">
                    <h2 id="recent-pushes-h">Recent pushes</h2>
                    <a href={href({ name: "repository", id, tab: "pushes" })}>All pushes</a>
                  </div>
                  <Pushes id={id} limit={5} bare />
                </section>
              </>
            )}
            {current === "dependencies" && <Dependencies detail={d} />}
            {current === "findings" && <FindingsView repositoryId={id} label="Repository findings" />}
            {current === "pushes" && <Pushes id={id} />}
          </div>
        </>
      )}
    </div>
  );
}

function Overview({ detail }: { detail: RepositoryDetail }) {
  const s = detail.summary;
  const diagCount = detail.manifests.reduce((n, m) => n + m.diagnostics.filter((x) => x.level !== "info").length, 0);
  return (
    <div className="grid-2">
      <section className="panel" aria-labelledby="branches-h">
        <div className="panel-header">
          <h2 id="branches-h">Branches</h2>
          <span className="muted">Default and monitored ref patterns</span>
        </div>
        <table className="table">
          <thead>
            <tr>
              <th>Branch</th>
              <th>Head</th>
              <th className="num">Open</th>
              <th>Scanned</th>
            </tr>
          </thead>
          <tbody>
            {detail.branches.map((b) => (
              <tr key={b.name} className={b.monitored ? undefined : "muted"}>
                <td>
                  {b.name} {b.isDefault && <span className="badge tag">default</span>} {!b.monitored && <span className="badge tag">not monitored</span>}
                </td>
                <td className="nowrap">
                  <code>{shortCommit(b.headCommit)}</code>
                </td>
                <td className="num">{b.monitored ? b.openFindings : "—"}</td>
                <td className="nowrap" title={absoluteTime(b.lastScannedAt)}>{b.monitored ? relativeTime(b.lastScannedAt) : "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <dl className="kv" style={{ marginTop: 12 }}>
          <dt>Updates</dt>
          <dd>
            <WebhookBadge status={s.webhook} /> <span className="muted">{s.webhook.detail ?? (s.webhook.lastDeliveryAt ? `last delivery ${relativeTime(s.webhook.lastDeliveryAt)}` : "")}</span>
          </dd>
          <dt>Last push</dt>
          <dd>{relativeTime(s.lastPushAt)}</dd>
          <dt>Last scan</dt>
          <dd>{s.scanState === "failed" ? <span className="error-text">failed — see Historical scan</span> : relativeTime(s.lastScannedAt)}</dd>
        </dl>
      </section>
      <section className="panel" aria-labelledby="manifests-h">
        <div className="panel-header">
          <h2 id="manifests-h">Manifests and lockfiles</h2>
          <span className={diagCount > 0 ? "error-text" : "muted"}>{diagCount > 0 ? plural(diagCount, "problem") : "all parsed"}</span>
        </div>
        {detail.manifests.length === 0 ? <Empty title="No manifests found">depwatch found no supported manifest or lockfile on the monitored branches.</Empty> : <ManifestList manifests={detail.manifests} />}
      </section>
    </div>
  );
}

export function ManifestList({ manifests }: { manifests: ManifestInfo[] }) {
  return (
    <ul className="list-plain">
      {manifests.map((m) => (
        <li key={`${m.branch}:${m.path}`} className="push-item">
          <div className="ellipsis">
            <code>{m.path}</code> <span className="badge tag">{m.branch}</span> <span className="muted">{m.ecosystem}</span>
          </div>
          <span className="muted nowrap">{plural(m.packageCount, "package")}</span>
          {m.diagnostics.length > 0 && (
            <ul className="list-plain" style={{ gridColumn: "1 / -1" }} aria-label={`Diagnostics for ${m.path}`}>
              {m.diagnostics.map((d, i) => (
                <li key={i} className={`diag diag-${d.level}`}>
                  <span className="diag-level">{d.level}</span>
                  <span>
                    {d.line != null && <code className="muted">line {d.line}: </code>}
                    {d.message}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </li>
      ))}
    </ul>
  );
}

type Directness = "direct" | "transitive";
type ScopeF = "prod" | "dev";

/** Filters dependency rows; exported for tests. */
export function filterDependencies(rows: DependencyRow[], f: { query: string; direct: Directness[]; scope: ScopeF[]; ecosystems: Ecosystem[]; vulnerableOnly: boolean }): DependencyRow[] {
  const q = f.query.trim().toLowerCase();
  return rows.filter(
    (r) =>
      (f.direct.length === 0 || (r.direct === true && f.direct.includes("direct")) || (r.direct === false && f.direct.includes("transitive"))) &&
      (f.scope.length === 0 || (r.scope === "dev" ? f.scope.includes("dev") : r.scope === "prod" && f.scope.includes("prod"))) &&
      (f.ecosystems.length === 0 || f.ecosystems.includes(r.ecosystem)) &&
      (!f.vulnerableOnly || r.findingCount > 0) &&
      (!q || r.name.toLowerCase().includes(q) || r.version.toLowerCase().includes(q)),
  );
}

function Dependencies({ detail }: { detail: RepositoryDetail }) {
  const branches = detail.branches.filter((b) => b.monitored);
  const [branch, setBranch] = useState(detail.summary.defaultBranch ?? branches[0]?.name ?? "main");
  const q = useQuery((b) => b.listDependencies(detail.summary.id, branch), [detail.summary.id, branch], ["findings"]);
  const [query, setQuery] = useState("");
  const [direct, setDirect] = useState<Directness[]>([]);
  const [scope, setScope] = useState<ScopeF[]>([]);
  const [ecosystems, setEcosystems] = useState<Ecosystem[]>([]);
  const [vulnerableOnly, setVulnerableOnly] = useState(false);
  const deferred = useDeferredValue(query);
  const present = useMemo(() => ECOSYSTEMS.filter((e) => (q.data ?? []).some((r) => r.ecosystem === e)), [q.data]);
  const rows = useMemo(() => filterDependencies(q.data ?? [], { query: deferred, direct, scope, ecosystems, vulnerableOnly }), [q.data, deferred, direct, scope, ecosystems, vulnerableOnly]);
  const columns: Column<DependencyRow>[] = [
    { key: "name", header: "Package", width: "minmax(180px, 2fr)", render: (r) => <code title={r.paths.join("\n") || undefined}>{r.name}</code> },
    { key: "version", header: "Version", width: "minmax(80px, 1fr)", render: (r) => <code>{r.version}{!r.pinned && <span className="muted"> (range)</span>}</code> },
    { key: "eco", header: "Ecosystem", width: "90px", render: (r) => r.ecosystem },
    { key: "direct", header: "Direct", width: "80px", render: (r) => (r.direct === null ? <span className="muted">?</span> : r.direct ? "direct" : <span className="muted">transitive</span>) },
    { key: "scope", header: "Scope", width: "70px", render: (r) => (r.scope === "prod" ? "prod" : <span className="muted">{r.scope}</span>) },
    { key: "manifest", header: "Manifest", width: "minmax(100px, 1fr)", render: (r) => <span className="muted">{r.manifest}</span> },
    { key: "findings", header: "Findings", width: "104px", render: (r) => (r.findingCount > 0 && r.maxSeverity ? <SeverityBadge severity={r.maxSeverity} score={null} /> : <span className="muted">—</span>) },
  ];
  return (
    <>
      <div className="toolbar">
        <label className="check">
          <span className="chips-label">Branch</span>
          <select aria-label="Branch" value={branch} onChange={(e) => setBranch(e.target.value)}>
            {branches.map((b) => (
              <option key={b.name} value={b.name}>
                {b.name}
              </option>
            ))}
          </select>
        </label>
        <SearchBox value={query} onChange={setQuery} label="Search dependencies" />
        <FilterChips<Directness> label="Type" options={["direct", "transitive"]} selected={direct} onChange={setDirect} />
        <FilterChips<ScopeF> label="Scope" options={["prod", "dev"]} selected={scope} onChange={setScope} />
        {present.length > 1 && <FilterChips label="Ecosystem" options={present} selected={ecosystems} onChange={setEcosystems} />}
        <label className="check">
          <input type="checkbox" checked={vulnerableOnly} onChange={(e) => setVulnerableOnly(e.target.checked)} /> Vulnerable only
        </label>
        <span className="spacer" />
        <span className="muted" aria-live="polite">{q.data ? `${rows.length.toLocaleString("en")} of ${q.data.length.toLocaleString("en")}` : ""}</span>
      </div>
      {q.status === "error" && <ErrorBanner error={q.error} onRetry={q.reload} title="Could not load dependencies" />}
      {q.status === "loading" && !q.data && <Loading label="Loading dependencies…" />}
      {q.data && rows.length === 0 && <Empty title={q.data.length === 0 ? "No dependencies on this branch" : "No dependency matches"} />}
      {rows.length > 0 && <VirtualTable label="Dependencies" rows={rows} columns={columns} rowKey={(r) => `${r.manifest}:${r.name}@${r.version}`} />}
    </>
  );
}

function Pushes({ id, limit = 100, bare = false }: { id: number; limit?: number; bare?: boolean }) {
  const q = useQuery((b) => b.listPushes(id, limit), [id, limit], ["findings", "repositories"]);
  const Wrapper = bare ? "div" : "section";
  return (
    <Wrapper className={bare ? undefined : "panel"} aria-label={bare ? undefined : "Push history"}>
      {q.status === "error" && <ErrorBanner error={q.error} onRetry={q.reload} title="Could not load pushes" />}
      {q.status === "loading" && !q.data && <Loading label="Loading pushes…" />}
      {q.data && q.data.length === 0 && <Empty title="No pushes received yet">Pushes appear here once the webhook or polling reports one.</Empty>}
      {q.data && q.data.length > 0 && <PushList pushes={q.data} showRepo={false} />}
    </Wrapper>
  );
}
