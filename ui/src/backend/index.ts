/**
 * The only module that knows how the UI talks to the app. Screens import from here and never
 * from `@tauri-apps/*` directly, so the whole UI runs in a plain browser against the mock.
 */
import { BackendError, type Backend, type Unsubscribe } from "./backend";
import { createMockBackend, type MockOptions } from "./mock";
import { createTauriBackend } from "./tauri";

export { BackendError };
export type { Backend, Unsubscribe };
export * from "./types";
export { createMockBackend };
export type { MockOptions };

/** True inside the Tauri webview (its IPC bridge is injected before the page loads). */
export function insideTauri(win: Window = window): boolean {
  return "__TAURI_INTERNALS__" in win;
}

/** Chooses the backend: the mock outside Tauri or when the URL has `?mock`
 * (`?mock=large` for 10,000 repositories, `?mock=empty` for a fresh install). */
export function selectBackend(win: Window = window): Backend {
  const params = new URLSearchParams(win.location.search);
  if (insideTauri(win) && !params.has("mock")) return createTauriBackend();
  const variant = params.get("mock");
  return createMockBackend({
    repositories: variant === "large" ? 10_000 : variant === "empty" ? 0 : 240,
    latencyMs: params.has("slow") ? 900 : 120,
  });
}
