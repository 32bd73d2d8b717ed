import type { PushEvent } from "../backend";
import { branchOf, relativeTime, shortCommit, absoluteTime } from "../app/format";
import { href } from "../app/router";
import { SeverityBadge } from "./badges";

/** Pushes with what each brought in (red) or fixed (green). */
export function PushList({ pushes, showRepo = true }: { pushes: PushEvent[]; showRepo?: boolean }) {
  return (
    <ul className="list-plain" aria-label="Pushes">
      {pushes.map((p) => (
        <li key={p.id} className="push-item">
          <div className="ellipsis">
            {showRepo && (
              <>
                <a href={href({ name: "repository", id: p.repositoryId, tab: "overview" })}>
                  {p.projectKey}/{p.slug}
                </a>{" "}
              </>
            )}
            <span className="badge tag">{branchOf(p.ref)}</span> <code className="muted">{shortCommit(p.toCommit)}</code>
            {p.author && <span className="muted"> · {p.author}</span>}
          </div>
          <time className="muted nowrap" dateTime={p.at} title={`${absoluteTime(p.at)} via ${p.via}`}>
            {relativeTime(p.at)}
          </time>
          {(p.introduced.length > 0 || p.fixed.length > 0) && (
            <div className="push-changes">
              {p.introduced.map((f) => (
                <a key={`in-${f.advisoryId}`} className="change-in" href={href({ name: "advisory", id: f.advisoryId })}>
                  + <SeverityBadge severity={f.severity} kind={f.kind} /> {f.package}@{f.version} ({f.advisoryId})
                </a>
              ))}
              {p.fixed.map((f) => (
                <a key={`out-${f.advisoryId}`} className="change-out" href={href({ name: "advisory", id: f.advisoryId })}>
                  − fixed {f.package}@{f.version} ({f.advisoryId})
                </a>
              ))}
            </div>
          )}
          {p.introduced.length === 0 && p.fixed.length === 0 && <div className="push-changes muted">No change in findings</div>}
        </li>
      ))}
    </ul>
  );
}
