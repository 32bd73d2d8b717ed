/**
 * Data transfer objects between the UI and the Rust shell.
 *
 * Every type here crosses the Tauri IPC boundary as camelCase JSON (`#[serde(rename_all =
 * "camelCase")]` on the Rust side). Enumerations are lower-case / kebab-case strings.
 * Timestamps are RFC 3339 strings in UTC (`2026-11-21T22:34:16Z`); dates without time are
 * `YYYY-MM-DD`. Optional fields are `null` (never absent) unless marked `?`.
 */

// ---------------------------------------------------------------------------
// Application

/** Whether webhooks/polling are being processed; the tray menu can toggle it. */
export type MonitoringState = "active" | "paused";

/** Command `app_info` (and `set_monitoring`). */
export interface AppInfo {
  /** App version (Cargo package version), e.g. `0.1.0`. */
  version: string;
  /** Directory holding the database, keys and logs. */
  dataDir: string;
  /** Absolute path to the SQLite database. */
  databasePath: string;
  /** `PRAGMA user_version` of the database after migrations. */
  schemaVersion: number;
  monitoring: MonitoringState;
}

/** Payload of event `monitoring-changed`. */
export interface MonitoringChanged {
  monitoring: MonitoringState;
}

/** Payload of event `open-finding`: the user clicked a desktop notification about this finding. */
export interface OpenFinding {
  findingId: number;
}

/** Payload of event `data-changed`: tells open screens which data to reload. */
export interface DataChanged {
  scope: "findings" | "repositories" | "scan" | "settings" | "connection" | "perimeter" | "advisories";
}

/** Every error a command returns: a stable machine code plus a readable message. */
export interface BackendErrorPayload {
  /** kebab-case, stable: `not-found`, `invalid-input`, `dns`, `connection-refused`, `tls`,
   * `unauthorized`, `forbidden`, `not-bitbucket`, `timeout`, `io`, `database`, `oauth`, … */
  code: string;
  /** One sentence a person can act on; never contains secrets. */
  message: string;
}

// ---------------------------------------------------------------------------
// Shared vocabulary (matches depwatch-core serde names)

/** OSV ecosystem names, as `depwatch_core::Ecosystem` serializes them. */
export type Ecosystem =
  | "crates.io"
  | "npm"
  | "PyPI"
  | "Go"
  | "Maven"
  | "NuGet"
  | "Packagist"
  | "RubyGems";

export const ECOSYSTEMS: readonly Ecosystem[] = [
  "crates.io",
  "npm",
  "PyPI",
  "Go",
  "Maven",
  "NuGet",
  "Packagist",
  "RubyGems",
];

/** `depwatch_core::Scope`. */
export type DependencyScope = "prod" | "dev" | "optional" | "peer" | "unknown";
/** `depwatch_core::Source`. */
export type DependencySource = "registry" | "git" | "path" | "url" | "workspace";

/** Severity of a vulnerability (from CVSS or the database's own rating). */
export type Severity = "critical" | "high" | "medium" | "low" | "unknown";
export const SEVERITIES: readonly Severity[] = ["critical", "high", "medium", "low", "unknown"];

/** `vulnerability` for real vulnerabilities; the others are RustSec informational kinds,
 * shown as a quieter warning class and counted apart. */
export type FindingKind = "vulnerability" | "unmaintained" | "unsound" | "notice";
export const INFORMATIONAL_KINDS: readonly FindingKind[] = ["unmaintained", "unsound", "notice"];

/** Alert lifecycle state of a finding. */
export type FindingState = "open" | "acknowledged" | "closed" | "ignored";

/** Why a finding was closed. */
export type CloseReason = "does-not-apply" | "mitigated";

/** `depwatch_core::Diagnostic`. */
export interface Diagnostic {
  /** File (repository-relative), URL or record id the message is about. */
  source: string;
  /** 1-based line, when known. */
  line?: number | null;
  level: "info" | "warning" | "error";
  message: string;
}

/** Counts of open + acknowledged vulnerability findings per severity. */
export interface SeverityCounts {
  critical: number;
  high: number;
  medium: number;
  low: number;
  unknown: number;
}

/** Counts of open + acknowledged informational findings per kind. */
export interface InformationalCounts {
  unmaintained: number;
  unsound: number;
  notice: number;
}

// ---------------------------------------------------------------------------
// Connection (Connect screen)

export type AuthMode = "oauth" | "token";

/** Command `get_connection`. */
export interface ConnectionStatus {
  /** Base URL including context path, e.g. `https://git.example.com/bitbucket`; null before setup. */
  instanceUrl: string | null;
  authMode: AuthMode | null;
  /** True when credentials are stored and the last check succeeded. */
  connected: boolean;
  /** The Bitbucket user depwatch acts as (slug), when connected. */
  username: string | null;
  /** Bitbucket Server/DC version reported by `/rest/api/1.0/application-properties`. */
  serverVersion: string | null;
  /** PEM file with extra CA certificates trusted for this instance; null = system roots only. */
  caFile: string | null;
  /** Last successful contact with the instance. */
  lastCheckedAt: string | null;
  /** Last failure, when the most recent check failed. */
  lastError: BackendErrorPayload | null;
}

/** Input of `test_connection` / `save_token_connection`. */
export interface TokenConnectionRequest {
  instanceUrl: string;
  /** HTTP access token (personal, project or repository). Never echoed back. */
  token: string;
  caFile: string | null;
}

/** Result of `test_connection`: success or a typed, readable failure. */
export interface ConnectionTestResult {
  ok: boolean;
  /** Present when ok. */
  username: string | null;
  serverVersion: string | null;
  /** Present when not ok: `dns`, `connection-refused`, `tls`, `unauthorized`, `forbidden`,
   * `not-bitbucket` (wrong context path), `timeout`, … */
  error: BackendErrorPayload | null;
  /** What was tried, in order, for the person to compare (`GET https://…/rest/api/1.0/…`). */
  steps: string[];
}

/** Command `oauth_begin`: creates (or reuses) the RSA key pair and consumer key for an
 * Application Link; the UI shows these values for pasting into Bitbucket. */
export interface OAuthSetup {
  instanceUrl: string;
  /** Consumer key to paste into "Incoming Authentication". */
  consumerKey: string;
  /** Consumer name suggested for the link. */
  consumerName: string;
  /** Public key (PEM, SPKI) to paste into "Incoming Authentication". */
  publicKeyPem: string;
}

/** Command `oauth_start`: fetched a request token; the browser should open `authorizeUrl`. */
export interface OAuthPending {
  authorizeUrl: string;
  /** False: a one-shot loopback listener (`http://127.0.0.1:{port}/oauth/callback/{nonce}`) receives
   * the verifier. True: `oauth_callback=oob`, Bitbucket shows the verifier for pasting. */
  outOfBand: boolean;
  /** When the request token expires (Bitbucket: 10 minutes). */
  expiresAt: string;
}

/** Command `oauth_status` / event `oauth-status`. */
export interface OAuthStatus {
  state: "idle" | "waiting" | "authorized" | "failed" | "expired";
  /** Set when state is `failed`. */
  error: BackendErrorPayload | null;
}

// ---------------------------------------------------------------------------
// Perimeter

/** How depwatch learns about pushes to a repository. */
export type WebhookState = "installed" | "missing" | "failing" | "polling";

export interface WebhookStatus {
  state: WebhookState;
  /** Last delivery received (installed/failing). */
  lastDeliveryAt: string | null;
  /** Why deliveries fail or why only polling is possible (e.g. no admin permission). */
  detail: string | null;
}

export interface PerimeterRepository {
  id: number;
  projectKey: string;
  slug: string;
  name: string;
  archived: boolean;
  /** Lives in a personal project (`~user`). */
  personal: boolean;
  webhook: WebhookStatus;
}

export interface PerimeterProject {
  key: string;
  name: string;
  /** Personal project of a user (`~alice`). */
  personal: boolean;
  /** Project-level webhook, when one is installed. */
  webhook: WebhookStatus;
  repositories: PerimeterRepository[];
}

/** Command `get_perimeter` / `save_perimeter`. */
export interface Perimeter {
  /** `instance`: every repository the account can read; `selection`: the lists below. */
  mode: "instance" | "selection";
  /** Whole projects selected (new repositories in them are included automatically). */
  projectKeys: string[];
  /** Individual repositories selected, by id. */
  repositoryIds: number[];
  excludePersonal: boolean;
  includeArchived: boolean;
}

// ---------------------------------------------------------------------------
// Historical scan

export type ScanItemStatus = "queued" | "scanning" | "done" | "failed" | "skipped";

export interface ScanItem {
  repositoryId: number;
  projectKey: string;
  slug: string;
  status: ScanItemStatus;
  /** Branch scanned (the default branch). */
  branch: string | null;
  /** Findings found in this repository. */
  findings: number;
  /** Why it failed or was skipped. */
  error: BackendErrorPayload | null;
  finishedAt: string | null;
}

/** Command `get_scan_status`; event `scan-progress` carries the same object. */
export interface ScanStatus {
  state: "idle" | "running" | "cancelling" | "finished";
  total: number;
  done: number;
  failed: number;
  /** Repository being scanned now. */
  current: { repositoryId: number; projectKey: string; slug: string } | null;
  startedAt: string | null;
  finishedAt: string | null;
  items: ScanItem[];
}

// ---------------------------------------------------------------------------
// Repositories

export type RepositoryScanState = "never" | "scanning" | "ok" | "failed";

export interface RepositorySummary {
  id: number;
  projectKey: string;
  projectName: string;
  slug: string;
  name: string;
  defaultBranch: string | null;
  archived: boolean;
  personal: boolean;
  /** Open + acknowledged vulnerability findings per severity. */
  counts: SeverityCounts;
  informational: InformationalCounts;
  dependencyCount: number;
  scanState: RepositoryScanState;
  lastScannedAt: string | null;
  lastPushAt: string | null;
  webhook: WebhookStatus;
  /** Link to the repository in Bitbucket. */
  webUrl: string;
}

export interface BranchInfo {
  name: string;
  isDefault: boolean;
  /** Matched by one of the monitored ref patterns (or the default branch). */
  monitored: boolean;
  headCommit: string | null;
  lastScannedAt: string | null;
  openFindings: number;
}

export interface ManifestInfo {
  /** Repository-relative path. */
  path: string;
  branch: string;
  /** Parser used: `Cargo.lock`, `package-lock.json`, `poetry.lock`, `go.mod`, … */
  format: string;
  ecosystem: Ecosystem;
  packageCount: number;
  /** What the parser could not read; errors mean missing results. */
  diagnostics: Diagnostic[];
}

/** Command `get_repository`. */
export interface RepositoryDetail {
  summary: RepositorySummary;
  branches: BranchInfo[];
  manifests: ManifestInfo[];
}

/** Command `list_dependencies`: one resolved package in one branch. */
export interface DependencyRow {
  ecosystem: Ecosystem;
  name: string;
  version: string;
  pinned: boolean;
  direct: boolean | null;
  scope: DependencyScope;
  source: DependencySource;
  manifest: string;
  /** Where the file records it (install paths, descriptors). */
  paths: string[];
  /** Open findings on this package version, and the worst severity among them. */
  findingCount: number;
  maxSeverity: Severity | null;
}

// ---------------------------------------------------------------------------
// Pushes

export interface FindingRef {
  findingId: number;
  advisoryId: string;
  severity: Severity;
  kind: FindingKind;
  package: string;
  version: string;
}

/** Commands `list_pushes` / dashboard: one processed push. */
export interface PushEvent {
  id: number;
  repositoryId: number;
  projectKey: string;
  slug: string;
  /** Full ref, `refs/heads/main`. */
  ref: string;
  fromCommit: string | null;
  toCommit: string;
  /** Display name of the pusher. */
  author: string | null;
  at: string;
  /** How depwatch learnt of it. */
  via: "webhook" | "poll" | "scan";
  /** Findings this push brought in. */
  introduced: FindingRef[];
  /** Findings this push fixed (package removed or upgraded). */
  fixed: FindingRef[];
}

// ---------------------------------------------------------------------------
// Findings and advisories

export interface CvssInfo {
  /** `3.1`, `4.0`, … */
  version: string;
  vector: string;
  /** Base score, 0.0–10.0. */
  score: number;
  rating: Severity;
}

export interface FindingPackage {
  ecosystem: Ecosystem;
  name: string;
  version: string;
}

/** Command `list_findings`: one advisory matching one package version in one branch. */
export interface Finding {
  id: number;
  repositoryId: number;
  projectKey: string;
  slug: string;
  branch: string;
  advisoryId: string;
  /** CVE / GHSA ids of the same advisory. */
  aliases: string[];
  kind: FindingKind;
  severity: Severity;
  /** CVSS base score when known. */
  cvssScore: number | null;
  summary: string;
  package: FindingPackage;
  manifest: string;
  /** From the project root to the vulnerable package, names with versions. */
  dependencyPath: string[];
  direct: boolean | null;
  /** Versions that fix it (empty: no fix available). */
  fixedVersions: string[];
  state: FindingState;
  /** Close or ignore reason (`does-not-apply`, `mitigated`, free text for ignore). */
  stateReason: string | null;
  /** Ignored findings reopen on this date (`YYYY-MM-DD`). */
  ignoredUntil: string | null;
  /** When the state last changed. */
  stateChangedAt: string | null;
  introducedAt: string;
  /** Push that introduced it, when known (null: found by scan or new advisory). */
  introducedByPushId: number | null;
}

export interface FindingFilter {
  repositoryId?: number | null;
  severities?: Severity[];
  states?: FindingState[];
  kinds?: FindingKind[];
  advisoryId?: string | null;
  /** Substring match on package, advisory id, alias, repository. */
  query?: string | null;
}

export interface AdvisoryReference {
  /** OSV reference type: ADVISORY, ARTICLE, FIX, PACKAGE, REPORT, WEB, … */
  type: string;
  url: string;
}

export interface AffectedPackage {
  ecosystem: Ecosystem;
  name: string;
  /** Human-readable affected ranges, e.g. `>=1.0.0, <1.2.3`. */
  ranges: string[];
  fixedVersions: string[];
}

/** Where an advisory hits: one repository/branch/package version. */
export interface BlastRadiusEntry {
  findingId: number;
  repositoryId: number;
  projectKey: string;
  slug: string;
  branch: string;
  package: string;
  version: string;
  manifest: string;
  state: FindingState;
}

/** Command `get_advisory`. */
export interface AdvisoryDetail {
  id: string;
  aliases: string[];
  summary: string;
  /** Markdown text from the database. */
  details: string;
  kind: FindingKind;
  severity: Severity;
  cvss: CvssInfo | null;
  published: string | null;
  modified: string | null;
  withdrawn: string | null;
  /** Database it came from (`RustSec`, `GitHub`, `PyPA`, `Go`). */
  source: string;
  references: AdvisoryReference[];
  affected: AffectedPackage[];
  /** Every monitored repository it affects. */
  affectedRepositories: BlastRadiusEntry[];
}

// ---------------------------------------------------------------------------
// Dashboard

export interface TrendPoint {
  /** `YYYY-MM-DD`. */
  date: string;
  critical: number;
  high: number;
  medium: number;
  low: number;
  unknown: number;
  /** Informational findings (all kinds). */
  informational: number;
}

export interface AdvisorySourceStatus {
  id: string;
  name: string;
  ecosystems: Ecosystem[];
  enabled: boolean;
  lastSyncAt: string | null;
  advisoryCount: number;
  /** Older than twice the sync interval. */
  stale: boolean;
  lastError: BackendErrorPayload | null;
}

/** Command `get_dashboard`. */
export interface Dashboard {
  counts: SeverityCounts;
  informational: InformationalCounts;
  monitoredRepositories: number;
  vulnerableRepositories: number;
  /** Worst repositories first (at most 10). */
  topRepositories: RepositorySummary[];
  /** One point per day, oldest first (90 days). */
  trend: TrendPoint[];
  /** Most recent first (at most 10). */
  recentPushes: PushEvent[];
  advisorySources: AdvisorySourceStatus[];
}

// ---------------------------------------------------------------------------
// Settings

export interface QuietHours {
  enabled: boolean;
  /** `HH:MM`, local time. */
  start: string;
  end: string;
}

export interface NotificationSettings {
  /** Findings below this severity do not notify. */
  minimumSeverity: Severity;
  /** More than this many findings in one push/sync become one digest notification. */
  digestThreshold: number;
  quietHours: QuietHours;
  /** Also notify for unmaintained/unsound/notice. */
  includeInformational: boolean;
}

/** Command `get_settings`; `save_settings` takes `SettingsUpdate` and returns this. */
export interface Settings {
  /** Address the webhook listener binds (`127.0.0.1`, `0.0.0.0`, a LAN address). */
  listenAddress: string;
  listenPort: number;
  /** Exact URL to paste into Bitbucket's webhook form (computed by the backend). */
  webhookUrl: string;
  /** The listener only accepts connections from this machine: Bitbucket cannot reach it
   * unless it runs here too. */
  loopbackOnly: boolean;
  /** A webhook secret is configured (the value is only returned by `reveal_webhook_secret`). */
  webhookSecretSet: boolean;
  advisorySources: AdvisorySourceStatus[];
  /** Hours between advisory database syncs. */
  syncIntervalHours: number;
  /** Branch patterns monitored besides the default branch (`release/*`). */
  refPatterns: string[];
  notifications: NotificationSettings;
  startAtLogin: boolean;
  monitoring: MonitoringState;
}

/** Input of `save_settings` (secret and monitoring have their own commands). */
export interface SettingsUpdate {
  listenAddress: string;
  listenPort: number;
  /** Source ids to enable; the rest are disabled. */
  enabledSources: string[];
  syncIntervalHours: number;
  refPatterns: string[];
  notifications: NotificationSettings;
  startAtLogin: boolean;
}
