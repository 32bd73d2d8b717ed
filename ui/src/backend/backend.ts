import type {
  AdvisoryDetail,
  AppInfo,
  BackendErrorPayload,
  CloseReason,
  ConnectionStatus,
  ConnectionTestResult,
  Dashboard,
  DataChanged,
  DependencyRow,
  Finding,
  FindingFilter,
  MonitoringChanged,
  OpenFinding,
  OAuthPending,
  OAuthSetup,
  OAuthStatus,
  Perimeter,
  PerimeterProject,
  PushEvent,
  RepositoryDetail,
  RepositorySummary,
  ScanStatus,
  Settings,
  SettingsUpdate,
  TokenConnectionRequest,
} from "./types";

/** Stops listening to an event. */
export type Unsubscribe = () => void;

/**
 * Everything the UI asks of the app. Each method maps to one Tauri command (snake_case name in
 * the comment; arguments are passed as one object with the camelCase keys shown) or one event.
 * Every method rejects with a {@link BackendError}, never with a bare string.
 */
export interface Backend {
  /** `app_info` {} */
  appInfo(): Promise<AppInfo>;
  /** `set_monitoring` { paused } */
  setMonitoring(paused: boolean): Promise<AppInfo>;
  /** event `monitoring-changed` */
  onMonitoringChanged(handler: (payload: MonitoringChanged) => void): Promise<Unsubscribe>;
  /** event `data-changed` */
  onDataChanged(handler: (payload: DataChanged) => void): Promise<Unsubscribe>;
  /** event `open-finding` — a desktop notification was clicked; the shell has already shown
   * and focused the window. */
  onOpenFinding(handler: (payload: OpenFinding) => void): Promise<Unsubscribe>;

  // Connection
  /** `get_connection` {} */
  getConnection(): Promise<ConnectionStatus>;
  /** `test_connection` { request } — tries the URL and token without saving anything. */
  testConnection(request: TokenConnectionRequest): Promise<ConnectionTestResult>;
  /** `save_token_connection` { request } — tests, then stores the token in the OS keychain. */
  saveTokenConnection(request: TokenConnectionRequest): Promise<ConnectionStatus>;
  /** `oauth_begin` { instanceUrl, caFile } — key pair + consumer key for the Application Link. */
  oauthBegin(instanceUrl: string, caFile: string | null): Promise<OAuthSetup>;
  /** `oauth_start` { openBrowser, outOfBand } — request token (loopback callback, or `oob` when
   * the browser runs elsewhere); opens the system browser on the authorize URL when asked. */
  oauthStart(options: { openBrowser: boolean; outOfBand: boolean }): Promise<OAuthPending>;
  /** `oauth_status` {} */
  oauthStatus(): Promise<OAuthStatus>;
  /** event `oauth-status` — the local callback received the verifier (or failed). */
  onOAuthStatus(handler: (payload: OAuthStatus) => void): Promise<Unsubscribe>;
  /** `oauth_submit_verifier` { verifier } — fallback when the callback cannot reach depwatch. */
  oauthSubmitVerifier(verifier: string): Promise<ConnectionStatus>;
  /** `oauth_cancel` {} */
  oauthCancel(): Promise<void>;
  /** `disconnect` {} — forgets credentials (keeps data). */
  disconnect(): Promise<ConnectionStatus>;

  // Perimeter
  /** `list_projects` {} — projects and repositories visible to the account. */
  listProjects(): Promise<PerimeterProject[]>;
  /** `get_perimeter` {} */
  getPerimeter(): Promise<Perimeter>;
  /** `save_perimeter` { perimeter } */
  savePerimeter(perimeter: Perimeter): Promise<Perimeter>;
  /** `install_webhook` { projectKey, repositoryId } — one of the two is null. */
  installWebhook(target: { projectKey: string | null; repositoryId: number | null }): Promise<PerimeterProject[]>;

  // Historical scan
  /** `get_scan_status` {} */
  getScanStatus(): Promise<ScanStatus>;
  /** `start_scan` {} — scans every repository in the perimeter. */
  startScan(): Promise<ScanStatus>;
  /** `retry_scan` { repositoryIds } — empty array: every failed repository. */
  retryScan(repositoryIds: number[]): Promise<ScanStatus>;
  /** `cancel_scan` {} */
  cancelScan(): Promise<ScanStatus>;
  /** event `scan-progress` (throttled by the backend to a few per second). */
  onScanProgress(handler: (payload: ScanStatus) => void): Promise<Unsubscribe>;

  // Dashboard, repositories
  /** `get_dashboard` {} */
  getDashboard(): Promise<Dashboard>;
  /** `list_repositories` {} — every monitored repository. */
  listRepositories(): Promise<RepositorySummary[]>;
  /** `get_repository` { repositoryId } */
  getRepository(repositoryId: number): Promise<RepositoryDetail>;
  /** `list_dependencies` { repositoryId, branch } */
  listDependencies(repositoryId: number, branch: string): Promise<DependencyRow[]>;
  /** `list_pushes` { repositoryId, limit } — repositoryId null: all repositories; newest first. */
  listPushes(repositoryId: number | null, limit: number): Promise<PushEvent[]>;

  // Findings, advisories
  /** `list_findings` { filter } */
  listFindings(filter: FindingFilter): Promise<Finding[]>;
  /** `get_advisory` { advisoryId } — by id or alias. */
  getAdvisory(advisoryId: string): Promise<AdvisoryDetail>;
  /** `acknowledge_finding` { findingId } — no more notifications; stays counted as open. */
  acknowledgeFinding(findingId: number): Promise<Finding>;
  /** `close_finding` { findingId, reason, comment } */
  closeFinding(findingId: number, reason: CloseReason, comment: string | null): Promise<Finding>;
  /** `ignore_finding` { findingId, reason, until } — reopens on `until` (YYYY-MM-DD). */
  ignoreFinding(findingId: number, reason: string, until: string): Promise<Finding>;
  /** `reopen_finding` { findingId } */
  reopenFinding(findingId: number): Promise<Finding>;

  // Settings
  /** `get_settings` {} */
  getSettings(): Promise<Settings>;
  /** `save_settings` { update } */
  saveSettings(update: SettingsUpdate): Promise<Settings>;
  /** `reveal_webhook_secret` {} */
  revealWebhookSecret(): Promise<string>;
  /** `regenerate_webhook_secret` {} — returns the new secret. */
  regenerateWebhookSecret(): Promise<string>;
  /** `set_webhook_secret` { secret } */
  setWebhookSecret(secret: string): Promise<void>;
  /** `sync_advisories` {} — sync every enabled source now. */
  syncAdvisories(): Promise<Settings>;

  /** `open_external` { url } — opens an http(s) URL (advisory reference, Bitbucket page) in the
   * system browser; the webview itself never navigates away. The shell must refuse other schemes. */
  openExternal(url: string): Promise<void>;
}

/** A failed backend call: stable `code` for logic, `message` for people. */
export class BackendError extends Error implements BackendErrorPayload {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = "BackendError";
    this.code = code;
  }

  /** Normalizes anything a command can reject with (the Rust error object, a string from a
   * panic or plugin, an exception) into a BackendError. */
  static from(err: unknown): BackendError {
    if (err instanceof BackendError) return err;
    if (typeof err === "object" && err !== null) {
      const o = err as { code?: unknown; message?: unknown };
      if (typeof o.code === "string" && typeof o.message === "string") {
        return new BackendError(o.code, o.message);
      }
      if (err instanceof Error) return new BackendError("internal", err.message);
    }
    if (typeof err === "string") return new BackendError("internal", err);
    return new BackendError("internal", "Unexpected error from the backend.");
  }
}
