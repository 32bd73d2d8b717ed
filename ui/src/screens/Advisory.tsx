import { useQuery } from "../app/context";
import { absoluteTime, plural } from "../app/format";
import { href } from "../app/router";
import { KindBadge, SeverityBadge, StateBadge } from "../components/badges";
import { Empty, ErrorBanner, Loading } from "../components/states";
import { ExternalLink } from "../components/ExternalLink";

/** One advisory and its blast radius: every monitored repository/branch it affects. */
export function AdvisoryScreen({ id }: { id: string }) {
  const q = useQuery((b) => b.getAdvisory(id), [id], ["findings", "advisories"]);
  const a = q.data;
  const repoCount = a ? new Set(a.affectedRepositories.map((x) => x.repositoryId)).size : 0;
  return (
    <div className="page">
      <div className="page-header">
        <div>
          <div className="breadcrumb">
            <a href={href({ name: "findings" })}>Findings</a> / Advisory
          </div>
          <h1 tabIndex={-1}>{a ? `${a.id}: ${a.summary}` : id}</h1>
          {a && <div className="subtitle">{[...a.aliases, a.source].join(" · ")}</div>}
        </div>
        {a && (
          <div className="toolbar">
            <SeverityBadge severity={a.severity} kind={a.kind} score={a.cvss?.score ?? null} />
          </div>
        )}
      </div>
      {q.status === "error" && <ErrorBanner error={q.error} onRetry={q.reload} title="Could not load the advisory" />}
      {q.status === "loading" && !a && <Loading label="Loading advisory…" />}
      {a && (
        <div className="grid-2">
          <section className="panel" aria-labelledby="adv-details-h">
            <h2 id="adv-details-h">Details</h2>
            {a.kind !== "vulnerability" && (
              <p className="notice notice-info">
                <KindBadge kind={a.kind} /> Informational advisory: reported apart from vulnerabilities.
              </p>
            )}
            {a.withdrawn && <p className="notice notice-warn">Withdrawn on {absoluteTime(a.withdrawn)}.</p>}
            <p style={{ whiteSpace: "pre-wrap" }}>{a.details}</p>
            <dl className="kv">
              {a.cvss && (
                <>
                  <dt>CVSS {a.cvss.version}</dt>
                  <dd>
                    <strong>{a.cvss.score.toFixed(1)}</strong> <SeverityBadge severity={a.cvss.rating} /> <code className="muted">{a.cvss.vector}</code>
                  </dd>
                </>
              )}
              <dt>Published</dt>
              <dd>{absoluteTime(a.published)}</dd>
              <dt>Modified</dt>
              <dd>{absoluteTime(a.modified)}</dd>
              {a.affected.map((p) => (
                <FragmentAffected key={`${p.ecosystem}:${p.name}`} name={p.name} ecosystem={p.ecosystem} ranges={p.ranges} fixed={p.fixedVersions} />
              ))}
            </dl>
            <h3 style={{ marginTop: 12 }}>References</h3>
            <ul className="refs">
              {a.references.map((r) => (
                <li key={r.url} className="ellipsis">
                  <span className="badge tag">{r.type}</span>{" "}
                  <ExternalLink href={r.url}>
                    {r.url}
                  </ExternalLink>
                </li>
              ))}
            </ul>
          </section>
          <section className="panel" aria-labelledby="blast-h">
            <div className="panel-header">
              <h2 id="blast-h">Blast radius</h2>
              <span className="muted">{plural(repoCount, "repository", "repositories")}</span>
            </div>
            {a.affectedRepositories.length === 0 ? (
              <Empty title="No monitored repository is affected" />
            ) : (
              <table className="table">
                <thead>
                  <tr>
                    <th>Repository</th>
                    <th>Branch</th>
                    <th>Version</th>
                    <th>State</th>
                  </tr>
                </thead>
                <tbody>
                  {a.affectedRepositories.map((x) => (
                    <tr key={x.findingId}>
                      <td>
                        <a href={href({ name: "repository", id: x.repositoryId, tab: "findings" })}>
                          {x.projectKey}/{x.slug}
                        </a>
                        <div className="muted" style={{ fontSize: 12 }}>{x.manifest}</div>
                      </td>
                      <td>{x.branch}</td>
                      <td>
                        <code>{x.version}</code>
                      </td>
                      <td>
                        <StateBadge state={x.state} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        </div>
      )}
    </div>
  );
}

function FragmentAffected({ name, ecosystem, ranges, fixed }: { name: string; ecosystem: string; ranges: string[]; fixed: string[] }) {
  return (
    <>
      <dt>Package</dt>
      <dd>
        <code>{name}</code> <span className="muted">({ecosystem})</span>
      </dd>
      <dt>Affected</dt>
      <dd>{ranges.join("; ")}</dd>
      <dt>Fixed in</dt>
      <dd>{fixed.length > 0 ? fixed.join(", ") : <span className="error-text">no fix available</span>}</dd>
    </>
  );
}
