import { useEffect, useMemo, useState } from "react";
import type { ScanItem, ScanItemStatus, ScanStatus } from "../backend";
import { useAction, useBackend, useQuery } from "../app/context";
import { absoluteTime, plural, relativeTime } from "../app/format";
import { href } from "../app/router";
import { FilterChips } from "../components/SearchBox";
import { Empty, ErrorBanner, Loading } from "../components/states";
import { VirtualTable, type Column } from "../components/VirtualTable";

const STATUSES: ScanItemStatus[] = ["failed", "scanning", "done", "queued", "skipped"];

export function ScanScreen() {
  const backend = useBackend();
  const q = useQuery((b) => b.getScanStatus(), []);
  const [live, setLive] = useState<ScanStatus | null>(null);
  const [filter, setFilter] = useState<ScanItemStatus[]>([]);
  const act = useAction();
  useEffect(() => {
    let unsub: (() => void) | null = null;
    let alive = true;
    backend.onScanProgress((s) => setLive(s)).then((u) => (alive ? (unsub = u) : u()));
    return () => {
      alive = false;
      unsub?.();
    };
  }, [backend]);
  useEffect(() => {
    if (q.data) setLive(q.data);
  }, [q.data]);
  const s = live ?? q.data;
  const items = useMemo(() => {
    const all = s?.items ?? [];
    const rank = (i: ScanItem) => STATUSES.indexOf(i.status);
    // Problems first, then what is happening, then the most recently finished.
    return all
      .filter((i) => filter.length === 0 || filter.includes(i.status))
      .sort((a, b) => rank(a) - rank(b) || (b.finishedAt ?? "").localeCompare(a.finishedAt ?? ""));
  }, [s, filter]);

  async function run(f: () => Promise<ScanStatus>) {
    const next = await act.run(f);
    if (next) setLive(next);
  }
  const running = s?.state === "running" || s?.state === "cancelling";
  const pct = s && s.total > 0 ? Math.round((s.done / s.total) * 100) : 0;
  const columns: Column<ScanItem>[] = [
    { key: "repo", header: "Repository", width: "minmax(160px, 1.2fr)", render: (i) => <a href={href({ name: "repository", id: i.repositoryId, tab: "overview" })}>{i.projectKey}/{i.slug}</a> },
    { key: "status", header: "Status", width: "100px", render: (i) => <span className={`scan-status scan-${i.status}`}>{i.status}</span> },
    { key: "findings", header: "Findings", width: "70px", align: "right", render: (i) => (i.status === "done" ? i.findings : "—") },
    { key: "detail", header: "Detail", width: "minmax(200px, 3fr)", render: (i) => (i.error ? <span className={i.status === "failed" ? "error-text" : "muted"} title={i.error.message}>{i.error.message}</span> : <span className="muted">{i.finishedAt ? `finished ${relativeTime(i.finishedAt)}` : ""}</span>) },
    { key: "retry", header: "", width: "70px", render: (i) => (i.status === "failed" ? <button type="button" className="btn btn-small" disabled={running} onClick={(e) => { e.stopPropagation(); void run(() => backend.retryScan([i.repositoryId])); }}>Retry</button> : null) },
  ];

  return (
    <div className="page">
      <div className="page-header">
        <div>
          <h1 tabIndex={-1}>Historical scan</h1>
          <div className="subtitle">Reads the default branch of every repository in the perimeter once; pushes keep it current afterwards.</div>
        </div>
        <div className="toolbar">
          {running ? (
            <button type="button" className="btn" disabled={s?.state === "cancelling"} onClick={() => run(() => backend.cancelScan())}>
              {s?.state === "cancelling" ? "Cancelling…" : "Cancel"}
            </button>
          ) : (
            <>
              {s && s.failed > 0 && (
                <button type="button" className="btn" onClick={() => run(() => backend.retryScan([]))}>
                  Retry {plural(s.failed, "failure")}
                </button>
              )}
              <button type="button" className="btn btn-primary" onClick={() => run(() => backend.startScan())}>
                {s?.state === "idle" ? "Start scan" : "Rescan everything"}
              </button>
            </>
          )}
        </div>
      </div>
      {q.status === "error" && <ErrorBanner error={q.error} onRetry={q.reload} title="Could not read the scan status" />}
      {act.error && <ErrorBanner error={act.error} />}
      {q.status === "loading" && !s && <Loading />}
      {s && s.state === "idle" && s.total === 0 && <Empty title="No scan yet">Choose a perimeter, then start the historical scan.</Empty>}
      {s && (s.state !== "idle" || s.total > 0) && (
        <section className="panel" aria-label="Progress">
          <div className="panel-header">
            <strong data-testid="scan-progress-text">
              {s.done.toLocaleString("en")} / {s.total.toLocaleString("en")} repositories
            </strong>
            <span className="muted">
              {s.state === "running" && s.current ? `Scanning ${s.current.projectKey}/${s.current.slug}…` : s.state === "finished" ? `Finished ${relativeTime(s.finishedAt)} (${absoluteTime(s.finishedAt)})` : s.state}
            </span>
          </div>
          <div className="progress" role="progressbar" aria-label="Scan progress" aria-valuemin={0} aria-valuemax={s.total} aria-valuenow={s.done} aria-valuetext={`${s.done} of ${s.total} repositories, ${s.failed} failed`}>
            <div style={{ width: `${pct}%` }} />
          </div>
          <div className="muted" style={{ marginTop: 6 }}>
            {pct}% · <span className={s.failed > 0 ? "error-text" : undefined}>{plural(s.failed, "failure")}</span>
          </div>
        </section>
      )}
      {s && s.items.length > 0 && (
        <>
          <div className="toolbar">
            <FilterChips label="Show" options={STATUSES} selected={filter} onChange={setFilter} render={(x) => `${x} (${s.items.filter((i) => i.status === x).length})`} />
          </div>
          {items.length === 0 ? <Empty title="No repository in this state" /> : <VirtualTable label="Repositories in the scan" rows={items} columns={columns} rowKey={(i) => i.repositoryId} />}
        </>
      )}
    </div>
  );
}
