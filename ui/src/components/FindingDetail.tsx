import { useState } from "react";
import type { CloseReason, Finding } from "../backend";
import { useAction, useBackend, useQuery } from "../app/context";
import { REASON_LABEL, absoluteTime, relativeTime } from "../app/format";
import { href } from "../app/router";
import { KindBadge, SeverityBadge, StateBadge } from "./badges";
import { Dialog } from "./Dialog";
import { ErrorBanner, Loading } from "./states";
import { ExternalLink } from "./ExternalLink";

/** A finding with its advisory details and the alert lifecycle actions. */
export function FindingDetail({ finding, onChanged }: { finding: Finding; onChanged: (f: Finding) => void }) {
  const advisory = useQuery((b) => b.getAdvisory(finding.advisoryId), [finding.advisoryId]);
  const a = advisory.data;
  return (
    <article className="finding-detail" aria-label={`Finding ${finding.advisoryId} in ${finding.projectKey}/${finding.slug}`}>
      <header>
        <div className="toolbar" style={{ gap: 6 }}>
          <SeverityBadge severity={finding.severity} kind={finding.kind} score={finding.cvssScore} />
          {finding.kind !== "vulnerability" && <span className="muted">informational</span>}
          <StateBadge state={finding.state} />
        </div>
        <h2 style={{ marginTop: 6 }}>{finding.summary}</h2>
        <div className="muted">
          <a href={href({ name: "advisory", id: finding.advisoryId })}>{finding.advisoryId}</a>
          {finding.aliases.length > 0 && <> · {finding.aliases.join(" · ")}</>}
        </div>
      </header>
      <Lifecycle finding={finding} onChanged={onChanged} />
      <dl className="kv">
        <dt>Repository</dt>
        <dd>
          <a href={href({ name: "repository", id: finding.repositoryId, tab: "overview" })}>
            {finding.projectKey}/{finding.slug}
          </a>{" "}
          <span className="badge tag">{finding.branch}</span>
        </dd>
        <dt>Package</dt>
        <dd>
          <code>
            {finding.package.name}@{finding.package.version}
          </code>{" "}
          <span className="muted">({finding.package.ecosystem}{finding.direct === true ? ", direct" : finding.direct === false ? ", transitive" : ""})</span>
        </dd>
        <dt>Fixed in</dt>
        <dd>{finding.fixedVersions.length > 0 ? finding.fixedVersions.map((v) => <code key={v} style={{ marginRight: 6 }}>{v}</code>) : <span className="error-text">No fixed version available</span>}</dd>
        <dt>Manifest</dt>
        <dd>
          <code>{finding.manifest}</code>
        </dd>
        <dt>Dependency path</dt>
        <dd>
          <span className="path" aria-label={finding.dependencyPath.join(" depends on ")}>
            {finding.dependencyPath.map((p, i) => (
              <span key={`${i}-${p}`}>{p}</span>
            ))}
          </span>
        </dd>
        <dt>Introduced</dt>
        <dd title={absoluteTime(finding.introducedAt)}>
          {relativeTime(finding.introducedAt)}
          {finding.introducedByPushId !== null && <span className="muted"> by a push</span>}
        </dd>
        {finding.state !== "open" && (
          <>
            <dt>State</dt>
            <dd>
              {finding.state === "acknowledged" && "Acknowledged: no more notifications, still counted as open."}
              {finding.state === "closed" && `Closed: ${REASON_LABEL[finding.stateReason?.split(":")[0] ?? ""] ?? ""}${finding.stateReason?.includes(":") ? ` —${finding.stateReason.slice(finding.stateReason.indexOf(":") + 1)}` : ""}`}
              {finding.state === "ignored" && `Ignored until ${finding.ignoredUntil}: ${finding.stateReason ?? ""}`}
              {finding.stateChangedAt && <span className="muted"> ({relativeTime(finding.stateChangedAt)})</span>}
            </dd>
          </>
        )}
      </dl>
      {advisory.status === "error" && <ErrorBanner error={advisory.error} onRetry={advisory.reload} title="Could not load the advisory" />}
      {advisory.status === "loading" && !a && <Loading label="Loading advisory…" />}
      {a && (
        <section aria-label="Advisory details">
          {a.kind !== "vulnerability" && (
            <p className="notice notice-info">
              <KindBadge kind={a.kind} /> This is an informational advisory from {a.source}, not a vulnerability.
            </p>
          )}
          {a.cvss && (
            <dl className="kv" style={{ marginBottom: 8 }}>
              <dt>CVSS {a.cvss.version}</dt>
              <dd>
                <strong>{a.cvss.score.toFixed(1)}</strong> <SeverityBadge severity={a.cvss.rating} /> <code className="muted">{a.cvss.vector}</code>
              </dd>
            </dl>
          )}
          <p style={{ whiteSpace: "pre-wrap" }}>{a.details}</p>
          <h3>Affected</h3>
          <ul>
            {a.affected.map((p) => (
              <li key={`${p.ecosystem}:${p.name}`}>
                <code>{p.name}</code> <span className="muted">{p.ranges.join("; ")}</span>
              </li>
            ))}
          </ul>
          <h3>References</h3>
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
      )}
    </article>
  );
}

function tomorrowPlus(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

/** Acknowledge / close / ignore / reopen, each calling the backend and reporting errors inline. */
export function Lifecycle({ finding, onChanged }: { finding: Finding; onChanged: (f: Finding) => void }) {
  const backend = useBackend();
  const action = useAction();
  const [dialog, setDialog] = useState<"close" | "ignore" | null>(null);
  const [closeReason, setCloseReason] = useState<CloseReason>("does-not-apply");
  const [comment, setComment] = useState("");
  const [ignoreReason, setIgnoreReason] = useState("");
  const [until, setUntil] = useState(tomorrowPlus(30));

  async function perform(f: () => Promise<Finding>) {
    const updated = await action.run(f);
    if (updated) {
      setDialog(null);
      onChanged(updated);
    }
  }
  const open = finding.state === "open" || finding.state === "acknowledged";
  return (
    <div>
      <div className="toolbar" role="group" aria-label="Finding actions" style={{ gap: 6 }}>
        {finding.state === "open" && (
          <button type="button" className="btn" disabled={action.busy} onClick={() => perform(() => backend.acknowledgeFinding(finding.id))} title="Stop notifications; the finding stays open and red">
            Acknowledge
          </button>
        )}
        {open && (
          <>
            <button type="button" className="btn" disabled={action.busy} onClick={() => setDialog("close")}>
              Close…
            </button>
            <button type="button" className="btn" disabled={action.busy} onClick={() => setDialog("ignore")}>
              Ignore…
            </button>
          </>
        )}
        {!open || finding.state === "acknowledged" ? (
          <button type="button" className="btn" disabled={action.busy} onClick={() => perform(() => backend.reopenFinding(finding.id))}>
            Reopen
          </button>
        ) : null}
      </div>
      {action.error && !dialog && (
        <p role="alert" className="error-text" style={{ marginTop: 6 }}>
          {action.error.message}
        </p>
      )}
      {dialog === "close" && (
        <Dialog
          title="Close finding"
          onClose={() => setDialog(null)}
          footer={
            <>
              <button type="button" className="btn" onClick={() => setDialog(null)}>
                Cancel
              </button>
              <button type="button" className="btn btn-primary" disabled={action.busy} onClick={() => perform(() => backend.closeFinding(finding.id, closeReason, comment.trim() || null))}>
                Close finding
              </button>
            </>
          }
        >
          <fieldset className="field" style={{ border: "none", padding: 0 }}>
            <legend className="field-label">Reason</legend>
            <label className="check">
              <input type="radio" name="close-reason" checked={closeReason === "does-not-apply"} onChange={() => setCloseReason("does-not-apply")} /> Doesn’t apply (the vulnerable code is not used)
            </label>
            <label className="check">
              <input type="radio" name="close-reason" checked={closeReason === "mitigated"} onChange={() => setCloseReason("mitigated")} /> Mitigated (protected another way)
            </label>
          </fieldset>
          <div className="field">
            <label htmlFor="close-comment">Comment (optional)</label>
            <textarea id="close-comment" rows={3} value={comment} onChange={(e) => setComment(e.target.value)} />
          </div>
          {action.error && <p role="alert" className="error-text">{action.error.message}</p>}
        </Dialog>
      )}
      {dialog === "ignore" && (
        <Dialog
          title="Ignore finding"
          onClose={() => setDialog(null)}
          footer={
            <>
              <button type="button" className="btn" onClick={() => setDialog(null)}>
                Cancel
              </button>
              <button type="button" className="btn btn-primary" disabled={action.busy || ignoreReason.trim() === ""} onClick={() => perform(() => backend.ignoreFinding(finding.id, ignoreReason.trim(), until))}>
                Ignore until {until}
              </button>
            </>
          }
        >
          <div className="field">
            <label htmlFor="ignore-reason">Reason</label>
            <textarea id="ignore-reason" rows={3} value={ignoreReason} onChange={(e) => setIgnoreReason(e.target.value)} placeholder="Why is it safe to ignore for now?" />
          </div>
          <div className="field">
            <label htmlFor="ignore-until">Reopens on</label>
            <input id="ignore-until" type="date" value={until} min={tomorrowPlus(1)} onChange={(e) => setUntil(e.target.value)} />
            <span className="hint">The finding reopens and notifies again on this date.</span>
          </div>
          {action.error && <p role="alert" className="error-text">{action.error.message}</p>}
        </Dialog>
      )}
    </div>
  );
}
