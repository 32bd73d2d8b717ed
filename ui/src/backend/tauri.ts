import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { BackendError, type Backend, type Unsubscribe } from "./backend";

async function call<T>(command: string, args: Record<string, unknown> = {}): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (err) {
    throw BackendError.from(err);
  }
}

async function on<T>(event: string, handler: (payload: T) => void): Promise<Unsubscribe> {
  return listen<T>(event, (e) => handler(e.payload));
}

/** The real backend: Tauri commands and events of the Rust shell. */
export function createTauriBackend(): Backend {
  return {
    appInfo: () => call("app_info"),
    setMonitoring: (paused) => call("set_monitoring", { paused }),
    onMonitoringChanged: (h) => on("monitoring-changed", h),
    onDataChanged: (h) => on("data-changed", h),
    onOpenFinding: (h) => on("open-finding", h),

    getConnection: () => call("get_connection"),
    testConnection: (request) => call("test_connection", { request }),
    saveTokenConnection: (request) => call("save_token_connection", { request }),
    oauthBegin: (instanceUrl, caFile) => call("oauth_begin", { instanceUrl, caFile }),
    oauthStart: (options) => call("oauth_start", options),
    oauthStatus: () => call("oauth_status"),
    onOAuthStatus: (h) => on("oauth-status", h),
    oauthSubmitVerifier: (verifier) => call("oauth_submit_verifier", { verifier }),
    oauthCancel: () => call("oauth_cancel"),
    disconnect: () => call("disconnect"),

    listProjects: () => call("list_projects"),
    getPerimeter: () => call("get_perimeter"),
    savePerimeter: (perimeter) => call("save_perimeter", { perimeter }),
    installWebhook: (target) => call("install_webhook", target),

    getScanStatus: () => call("get_scan_status"),
    startScan: () => call("start_scan"),
    retryScan: (repositoryIds) => call("retry_scan", { repositoryIds }),
    cancelScan: () => call("cancel_scan"),
    onScanProgress: (h) => on("scan-progress", h),

    getDashboard: () => call("get_dashboard"),
    listRepositories: () => call("list_repositories"),
    getRepository: (repositoryId) => call("get_repository", { repositoryId }),
    listDependencies: (repositoryId, branch) => call("list_dependencies", { repositoryId, branch }),
    listPushes: (repositoryId, limit) => call("list_pushes", { repositoryId, limit }),

    listFindings: (filter) => call("list_findings", { filter }),
    getAdvisory: (advisoryId) => call("get_advisory", { advisoryId }),
    acknowledgeFinding: (findingId) => call("acknowledge_finding", { findingId }),
    closeFinding: (findingId, reason, comment) => call("close_finding", { findingId, reason, comment }),
    ignoreFinding: (findingId, reason, until) => call("ignore_finding", { findingId, reason, until }),
    reopenFinding: (findingId) => call("reopen_finding", { findingId }),

    getSettings: () => call("get_settings"),
    saveSettings: (update) => call("save_settings", { update }),
    revealWebhookSecret: () => call("reveal_webhook_secret"),
    regenerateWebhookSecret: () => call("regenerate_webhook_secret"),
    setWebhookSecret: (secret) => call("set_webhook_secret", { secret }),
    syncAdvisories: () => call("sync_advisories"),
    openExternal: (url) => call("open_external", { url }),
  };
}
