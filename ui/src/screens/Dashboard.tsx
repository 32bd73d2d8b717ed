import { SEVERITIES, type AdvisorySourceStatus } from "../backend";
import { TrendChart } from "../components/TrendChart";
import { useQuery } from "../app/context";
import { SEVERITY_LABEL, absoluteTime, plural, relativeTime } from "../app/format";
import { href } from "../app/router";
import { PushList } from "../components/PushList";
import { SevCounts } from "../components/SevCounts";
import { Empty, ErrorBanner, Loading } from "../components/states";

export function DashboardScreen() {
  const q = useQuery((b) => b.getDashboard(), [], ["findings", "repositories", "advisories", "scan"]);
  return (
    <div className="page">
      <div className="page-header">
        <div>
          <h1 tabIndex={-1}>Dashboard</h1>
          {q.data && (
            <div className="subtitle">
              {plural(q.data.vulnerableRepositories, "vulnerable repository", "vulnerable repositories")} of {plural(q.data.monitoredRepositories, "monitored repository", "monitored repositories")}
            </div>
          )}
        </div>
      </div>
      {q.status === "error" && <ErrorBanner error={q.error} onRetry={q.reload} title="Could not load the dashboard" />}
      {q.status === "loading" && !q.data && <Loading label="Loading dashboard…" />}
      {q.data && q.data.monitoredRepositories === 0 && (
        <Empty title="Nothing monitored yet">
          <a href={href({ name: "connect" })}>Connect to Bitbucket</a>, choose a <a href={href({ name: "perimeter" })}>perimeter</a>, then run the <a href={href({ name: "scan" })}>historical scan</a>.
        </Empty>
      )}
      {q.data && q.data.monitoredRepositories > 0 && (
        <>
          <section aria-label="Open findings by severity" className="cards">
            {SEVERITIES.map((s) => (
              <a key={s} className={`card sev-${s}`} href={href({ name: "findings", filter: s })} data-testid={`count-${s}`}>
                <span className="card-value">{q.data!.counts[s].toLocaleString("en")}</span>
                <span className="card-label">{SEVERITY_LABEL[s]}</span>
              </a>
            ))}
            <a className="card info" href={href({ name: "findings", filter: "informational" })} data-testid="count-informational" title="Unmaintained, unsound and notice advisories (RustSec)">
              <span className="card-value">{(q.data.informational.unmaintained + q.data.informational.unsound + q.data.informational.notice).toLocaleString("en")}</span>
              <span className="card-label">Informational</span>
            </a>
          </section>
          <div className="grid-2">
            <section className="panel" aria-labelledby="trend-h">
              <div className="panel-header">
                <h2 id="trend-h">Open findings, last 90 days</h2>
              </div>
              <TrendChart points={q.data.trend} />
              <Legend />
            </section>
            <section className="panel" aria-labelledby="vuln-h">
              <div className="panel-header">
                <h2 id="vuln-h">Most vulnerable repositories</h2>
                <a href={href({ name: "repositories" })}>All repositories</a>
              </div>
              {q.data.topRepositories.length === 0 ? (
                <Empty title="No vulnerable repositories" />
              ) : (
                <table className="table">
                  <tbody>
                    {q.data.topRepositories.map((r) => (
                      <tr key={r.id}>
                        <td className="ellipsis">
                          <a href={href({ name: "repository", id: r.id, tab: "overview" })}>
                            {r.projectKey}/{r.slug}
                          </a>
                        </td>
                        <td className="num">
                          <SevCounts counts={r.counts} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>
            <section className="panel" aria-labelledby="push-h">
              <div className="panel-header">
                <h2 id="push-h">Recent pushes</h2>
              </div>
              {q.data.recentPushes.length === 0 ? <Empty title="No pushes received yet" /> : <PushList pushes={q.data.recentPushes} />}
            </section>
            <section className="panel" aria-labelledby="db-h">
              <div className="panel-header">
                <h2 id="db-h">Advisory databases</h2>
                <a href={href({ name: "settings" })}>Sources</a>
              </div>
              <SourceTable sources={q.data.advisorySources} />
            </section>
          </div>
        </>
      )}
    </div>
  );
}

function Legend() {
  return (
    <div className="legend-inline" aria-hidden="true">
      {SEVERITIES.map((s) => (
        <span key={s}>
          <i style={{ background: `var(--chart-${s})` }} />
          {SEVERITY_LABEL[s]}
        </span>
      ))}
    </div>
  );
}

export function SourceTable({ sources }: { sources: AdvisorySourceStatus[] }) {
  return (
    <table className="table">
      <thead>
        <tr>
          <th>Source</th>
          <th className="num">Advisories</th>
          <th>Last sync</th>
        </tr>
      </thead>
      <tbody>
        {sources.map((s) => (
          <tr key={s.id} className={s.enabled ? undefined : "muted"}>
            <td>
              <span className={`dot ${!s.enabled ? "dot-off" : s.lastError ? "dot-bad" : s.stale ? "dot-warn" : "dot-ok"}`} aria-hidden="true" /> {s.name}
              {s.lastError && <div className="error-text" style={{ fontSize: 12 }}>{s.lastError.message}</div>}
            </td>
            <td className="num">{s.enabled ? s.advisoryCount.toLocaleString("en") : "—"}</td>
            <td className="nowrap" title={absoluteTime(s.lastSyncAt)}>
              {!s.enabled ? "disabled" : relativeTime(s.lastSyncAt)}
              {s.enabled && s.stale && <span className="badge hook hook-missing" style={{ marginLeft: 6 }}>stale</span>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
