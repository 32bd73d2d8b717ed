import type { FindingState, Severity } from "../backend";

const rtf = new Intl.RelativeTimeFormat("en", { numeric: "auto" });

/** "3 hours ago", "yesterday"; "never" for null. */
export function relativeTime(iso: string | null, now: number = Date.now()): string {
  if (!iso) return "never";
  const diff = Date.parse(iso) - now;
  const abs = Math.abs(diff);
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ["year", 365 * 86_400_000],
    ["month", 30 * 86_400_000],
    ["day", 86_400_000],
    ["hour", 3_600_000],
    ["minute", 60_000],
  ];
  for (const [unit, ms] of units) {
    if (abs >= ms) return rtf.format(Math.round(diff / ms), unit);
  }
  return "just now";
}

export function absoluteTime(iso: string | null): string {
  if (!iso) return "—";
  return new Date(iso).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" });
}

export function shortCommit(sha: string | null): string {
  return sha ? sha.slice(0, 10) : "—";
}

export function branchOf(ref: string): string {
  return ref.replace(/^refs\/heads\//, "");
}

export const SEVERITY_LABEL: Record<Severity, string> = {
  critical: "Critical",
  high: "High",
  medium: "Medium",
  low: "Low",
  unknown: "Unknown",
};

export const STATE_LABEL: Record<FindingState, string> = {
  open: "Open",
  acknowledged: "Acknowledged",
  closed: "Closed",
  ignored: "Ignored",
};

export const REASON_LABEL: Record<string, string> = {
  "does-not-apply": "Doesn’t apply",
  mitigated: "Mitigated",
};

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en")} ${n === 1 ? one : many}`;
}
