import type { SeverityCounts } from "../backend";
import { SEVERITIES } from "../backend";
import { SEVERITY_LABEL } from "../app/format";

/** Compact per-severity counts; zeros are faded so the eye lands on what matters. */
export function SevCounts({ counts }: { counts: SeverityCounts }) {
  const label = SEVERITIES.filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${SEVERITY_LABEL[s].toLowerCase()}`).join(", ") || "no open findings";
  return (
    <span className="sev-counts" aria-label={label} title={label}>
      {SEVERITIES.map((s) => (
        <span key={s} aria-hidden="true" className={`sev-count ${counts[s] > 0 ? `badge sev sev-${s}` : "zero"}`}>
          {counts[s]}
        </span>
      ))}
    </span>
  );
}
