import type { FindingKind, FindingState, Severity, WebhookStatus } from "../backend";
import { SEVERITY_LABEL, STATE_LABEL } from "../app/format";

export function SeverityBadge({ severity, kind = "vulnerability", score }: { severity: Severity; kind?: FindingKind; score?: number | null }) {
  if (kind !== "vulnerability") return <KindBadge kind={kind} />;
  return (
    <span className={`badge sev sev-${severity}`} title={score != null ? `CVSS ${score.toFixed(1)}` : undefined}>
      {SEVERITY_LABEL[severity]}
      {score != null && <span className="badge-score">{score.toFixed(1)}</span>}
    </span>
  );
}

const KIND_LABEL: Record<FindingKind, string> = {
  vulnerability: "Vulnerability",
  unmaintained: "Unmaintained",
  unsound: "Unsound",
  notice: "Notice",
};

/** Informational RustSec kinds: a quieter warning class, never a severity colour. */
export function KindBadge({ kind }: { kind: FindingKind }) {
  return <span className={`badge kind kind-${kind}`}>{KIND_LABEL[kind]}</span>;
}

export function StateBadge({ state }: { state: FindingState }) {
  return <span className={`badge fstate fstate-${state}`}>{STATE_LABEL[state]}</span>;
}

const WEBHOOK_LABEL: Record<WebhookStatus["state"], string> = {
  installed: "Webhook",
  missing: "No webhook",
  failing: "Failing",
  polling: "Polling only",
};

export function WebhookBadge({ status }: { status: WebhookStatus }) {
  return (
    <span className={`badge hook hook-${status.state}`} title={status.detail ?? undefined}>
      {WEBHOOK_LABEL[status.state]}
    </span>
  );
}
