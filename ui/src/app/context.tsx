import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import { BackendError, type AppInfo, type Backend, type DataChanged } from "../backend";

const BackendContext = createContext<Backend | null>(null);

export function BackendProvider({ backend, children }: { backend: Backend; children: ReactNode }) {
  return <BackendContext.Provider value={backend}>{children}</BackendContext.Provider>;
}

export function useBackend(): Backend {
  const b = useContext(BackendContext);
  if (!b) throw new Error("useBackend outside BackendProvider");
  return b;
}

export type AsyncState<T> =
  | { status: "loading"; data: T | null; error: null }
  | { status: "ready"; data: T; error: null }
  | { status: "error"; data: T | null; error: BackendError };

/**
 * Runs a backend query, keeps its loading/error state, and reruns it when `deps` change or when
 * the backend announces that data in one of `scopes` changed. The previous data stays visible
 * while reloading so screens do not flash.
 */
export function useQuery<T>(
  fetcher: (b: Backend) => Promise<T>,
  deps: unknown[],
  scopes: DataChanged["scope"][] = [],
): AsyncState<T> & { reload: () => void; setData: (d: T) => void } {
  const backend = useBackend();
  const [state, setState] = useState<AsyncState<T>>({ status: "loading", data: null, error: null });
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);

  useEffect(() => {
    let live = true;
    setState((s) => ({ status: "loading", data: s.data, error: null }));
    fetcher(backend).then(
      (data) => live && setState({ status: "ready", data, error: null }),
      (err) => live && setState((s) => ({ status: "error", data: s.data, error: BackendError.from(err) })),
    );
    return () => {
      live = false;
    };
    // `fetcher` is a fresh closure each render; `deps` says when it means something new.
  }, [backend, tick, ...deps]);

  const scopeKey = scopes.join(",");
  useEffect(() => {
    if (scopeKey === "") return;
    const wanted = scopeKey.split(",");
    let unsub: (() => void) | null = null;
    let live = true;
    backend
      .onDataChanged((p) => {
        if (wanted.includes(p.scope)) reload();
      })
      .then((u) => (live ? (unsub = u) : u()));
    return () => {
      live = false;
      unsub?.();
    };
  }, [backend, scopeKey, reload]);

  const setData = useCallback((data: T) => setState({ status: "ready", data, error: null }), []);
  return { ...state, reload, setData };
}

/** Runs a backend action, tracking busy state and the last error. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<BackendError | null>(null);
  const run = useCallback(async <T,>(action: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(null);
    try {
      return await action();
    } catch (err) {
      setError(BackendError.from(err));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run, clearError: () => setError(null) };
}

/** App info plus live monitoring state (tray toggles arrive as `monitoring-changed`). */
export function useAppInfo() {
  const backend = useBackend();
  const info = useQuery((b) => b.appInfo(), []);
  const { setData, data } = info;
  useEffect(() => {
    let unsub: (() => void) | null = null;
    let live = true;
    backend
      .onMonitoringChanged((p) => {
        if (data) setData({ ...data, monitoring: p.monitoring } satisfies AppInfo);
      })
      .then((u) => (live ? (unsub = u) : u()));
    return () => {
      live = false;
      unsub?.();
    };
  }, [backend, data, setData]);
  return info;
}
