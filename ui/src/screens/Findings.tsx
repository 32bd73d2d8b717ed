import { useEffect, useMemo, useState } from "react";
import { INFORMATIONAL_KINDS, SEVERITIES, type Finding, type FindingKind, type FindingState, type Severity } from "../backend";
import { useQuery } from "../app/context";
import type { FindingsPreset } from "../app/router";
import { SEVERITY_LABEL, STATE_LABEL, plural } from "../app/format";
import { SeverityBadge, StateBadge } from "../components/badges";
import { FindingDetail } from "../components/FindingDetail";
import { FilterChips, SearchBox } from "../components/SearchBox";
import { Empty, ErrorBanner, Loading } from "../components/states";
import { VirtualTable, type Column } from "../components/VirtualTable";

const STATES: FindingState[] = ["open", "acknowledged", "closed", "ignored"];
type KindFilter = "vulnerability" | "informational";

/** Findings table with filters and a detail side panel; used across repositories and within one. */
export function FindingsView({ repositoryId = null, label = "Findings", preset, focus }: { repositoryId?: number | null; label?: string; preset?: FindingsPreset; focus?: number }) {
  const [severities, setSeverities] = useState<Severity[]>(preset && preset !== "informational" ? [preset] : []);
  // Opened from a notification: show every state, so the finding is there even if it was
  // closed or fixed meanwhile.
  const [states, setStates] = useState<FindingState[]>(focus === undefined ? ["open", "acknowledged"] : STATES);
  const [kinds, setKinds] = useState<KindFilter[]>(preset === "informational" ? ["informational"] : preset ? ["vulnerability"] : []);
  const [query, setQuery] = useState("");
  const [debounced, setDebounced] = useState("");
  const [selected, setSelected] = useState<number | null>(focus ?? null);
  useEffect(() => {
    const t = setTimeout(() => setDebounced(query), 150);
    return () => clearTimeout(t);
  }, [query]);
  const kindList: FindingKind[] = kinds.flatMap((k) => (k === "vulnerability" ? ["vulnerability" as const] : [...INFORMATIONAL_KINDS]));
  const q = useQuery(
    (b) => b.listFindings({ repositoryId, severities, states, kinds: kindList, query: debounced || null }),
    [repositoryId, severities.join(), states.join(), kindList.join(), debounced],
    ["findings"],
  );
  const rows = q.data ?? [];
  const current = rows.find((f) => f.id === selected) ?? null;

  const columns: Column<Finding>[] = useMemo(
    () => [
      { key: "sev", header: "Severity", width: "100px", render: (f) => <SeverityBadge severity={f.severity} kind={f.kind} score={f.cvssScore} /> },
      { key: "pkg", header: "Package", width: "minmax(90px, 1fr)", render: (f) => <code title={`${f.package.name}@${f.package.version}`}>{f.package.name}@{f.package.version}</code> },
      { key: "adv", header: "Advisory", width: "minmax(90px, 1fr)", render: (f) => <span title={`${f.advisoryId}: ${f.summary}`}>{f.advisoryId}</span> },
      {
        key: "repo",
        header: repositoryId === null ? "Repository" : "Branch",
        width: "minmax(90px, 1fr)",
        render: (f) => (repositoryId === null ? <span title={`${f.projectKey}/${f.slug} (${f.branch})`}>{f.projectKey}/{f.slug}{f.branch !== "main" && <span className="muted"> · {f.branch}</span>}</span> : f.branch),
      },
      { key: "state", header: "State", width: "100px", render: (f) => <StateBadge state={f.state} /> },
    ],
    [repositoryId],
  );

  return (
    <>
      <div className="toolbar">
        <SearchBox value={query} onChange={setQuery} label="Search findings" placeholder="Package, CVE, repository (press /)" />
        <FilterChips label="Severity" options={SEVERITIES} selected={severities} onChange={setSeverities} render={(s) => SEVERITY_LABEL[s]} />
        <FilterChips label="State" options={STATES} selected={states} onChange={setStates} render={(s) => STATE_LABEL[s]} />
        <FilterChips<KindFilter> label="Kind" options={["vulnerability", "informational"]} selected={kinds} onChange={setKinds} render={(k) => (k === "vulnerability" ? "Vulnerabilities" : "Informational")} />
        <span className="spacer" />
        <span className="muted" aria-live="polite">{q.data ? plural(rows.length, "finding") : ""}</span>
      </div>
      {q.status === "error" && <ErrorBanner error={q.error} onRetry={q.reload} title="Could not load findings" />}
      {q.status === "loading" && !q.data && <Loading label="Loading findings…" />}
      {q.data && rows.length === 0 && (
        <Empty title="No findings match">{severities.length + states.length + kinds.length > 0 || query ? "Clear some filters to see more." : "Nothing vulnerable was found."}</Empty>
      )}
      {q.data && rows.length > 0 && (
        <div className="split">
          <VirtualTable label={label} rows={rows} columns={columns} rowKey={(f) => f.id} onOpen={(f) => setSelected(f.id)} rowClass={(f) => (f.id === selected ? "selected" : f.state === "closed" || f.state === "ignored" ? "dim" : "")} />
          <aside className="panel side-panel" aria-label="Finding details">
            {current ? (
              <FindingDetail finding={current} onChanged={() => q.reload()} />
            ) : (
              <Empty title="Select a finding">Click a row, or move with the arrow keys and press Enter.</Empty>
            )}
          </aside>
        </div>
      )}
    </>
  );
}

export function FindingsScreen({ preset, focus }: { preset?: FindingsPreset; focus?: number }) {
  return (
    <div className="page">
      <div className="page-header">
        <div>
          <h1 tabIndex={-1}>Findings</h1>
          <div className="subtitle">Across every monitored repository and branch</div>
        </div>
      </div>
      <FindingsView preset={preset} focus={focus} />
    </div>
  );
}
