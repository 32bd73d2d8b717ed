import { useEffect } from "react";
import type { Backend } from "./backend";
import { BackendProvider, useAppInfo, useBackend, useQuery } from "./app/context";
import { href, navigate, useRoute, type Route } from "./app/router";
import { AdvisoryScreen } from "./screens/Advisory";
import { ConnectScreen } from "./screens/Connect";
import { DashboardScreen } from "./screens/Dashboard";
import { FindingsScreen } from "./screens/Findings";
import { PerimeterScreen } from "./screens/Perimeter";
import { RepositoriesScreen } from "./screens/Repositories";
import { RepositoryScreen } from "./screens/Repository";
import { ScanScreen } from "./screens/Scan";
import { SettingsScreen } from "./screens/Settings";

const NAV: { route: Route; label: string; key: string; section: string }[] = [
  { route: { name: "dashboard" }, label: "Dashboard", key: "1", section: "Monitor" },
  { route: { name: "repositories" }, label: "Repositories", key: "2", section: "Monitor" },
  { route: { name: "findings" }, label: "Findings", key: "3", section: "Monitor" },
  { route: { name: "connect" }, label: "Connection", key: "4", section: "Setup" },
  { route: { name: "perimeter" }, label: "Perimeter", key: "5", section: "Setup" },
  { route: { name: "scan" }, label: "Historical scan", key: "6", section: "Setup" },
  { route: { name: "settings" }, label: "Settings", key: "7", section: "Setup" },
];

function activeNav(route: Route): string {
  if (route.name === "repository") return "repositories";
  if (route.name === "advisory") return "findings";
  return route.name;
}

export function App({ backend }: { backend: Backend }) {
  return (
    <BackendProvider backend={backend}>
      <Shell />
    </BackendProvider>
  );
}

function Shell() {
  const route = useRoute();
  const backend = useBackend();
  useEffect(() => {
    // A clicked desktop notification opens its finding.
    let unsub: (() => void) | null = null;
    let live = true;
    backend
      .onOpenFinding((p) => navigate({ name: "findings", focus: p.findingId }))
      .then((u) => (live ? (unsub = u) : u()));
    return () => {
      live = false;
      unsub?.();
    };
  }, [backend]);
  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      const target = e.target as HTMLElement | null;
      const typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT" || target.isContentEditable);
      if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === "/") {
        const search = document.querySelector<HTMLInputElement>("main [data-search]");
        if (search) {
          e.preventDefault();
          search.focus();
          search.select();
        }
      } else if (document.querySelector(".dialog") === null) {
        const item = NAV.find((n) => n.key === e.key);
        if (item) {
          e.preventDefault();
          navigate(item.route);
        }
      }
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  useEffect(() => {
    document.querySelector<HTMLElement>("main h1")?.focus({ preventScroll: true });
  }, [route.name]);

  const current = activeNav(route);
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <nav className="sidebar" aria-label="Main">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">◆</span> depwatch
        </div>
        {["Monitor", "Setup"].map((section) => (
          <div key={section} className="nav-section">
            <div className="nav-heading">{section}</div>
            <ul>
              {NAV.filter((n) => n.section === section).map((n) => (
                <li key={n.route.name}>
                  <a href={href(n.route)} className={current === n.route.name ? "nav-item active" : "nav-item"} aria-current={current === n.route.name ? "page" : undefined}>
                    <span>{n.label}</span>
                    <kbd aria-hidden="true">{n.key}</kbd>
                  </a>
                </li>
              ))}
            </ul>
          </div>
        ))}
        <StatusArea />
      </nav>
      <main id="main" className="content">
        <Screen route={route} />
      </main>
    </div>
  );
}

function Screen({ route }: { route: Route }) {
  switch (route.name) {
    case "dashboard":
      return <DashboardScreen />;
    case "connect":
      return <ConnectScreen />;
    case "perimeter":
      return <PerimeterScreen />;
    case "scan":
      return <ScanScreen />;
    case "repositories":
      return <RepositoriesScreen />;
    case "repository":
      return <RepositoryScreen id={route.id} tab={route.tab} />;
    case "findings":
      return <FindingsScreen key={`${route.filter ?? "all"}:${route.focus ?? ""}`} preset={route.filter} focus={route.focus} />;
    case "advisory":
      return <AdvisoryScreen id={route.id} />;
    case "settings":
      return <SettingsScreen />;
  }
}

/** Sidebar footer: connection, monitoring toggle, app and schema version (read by the
 * real-window WebDriver test through the data-testids). */
function StatusArea() {
  const backend = useBackend();
  const info = useAppInfo();
  const connection = useQuery((b) => b.getConnection(), [], ["connection"]);
  const paused = info.data?.monitoring === "paused";
  return (
    <footer className="status-area" aria-label="Status">
      {connection.data && (
        <div className="status-line" title={connection.data.instanceUrl ?? undefined}>
          <span className={`dot ${connection.data.connected ? "dot-ok" : "dot-off"}`} aria-hidden="true" />
          {connection.data.connected ? (connection.data.instanceUrl ?? "").replace(/^https?:\/\//, "") : "Not connected"}
        </div>
      )}
      {info.data && (
        <button
          type="button"
          className={`monitor-toggle ${paused ? "paused" : ""}`}
          aria-pressed={!paused}
          onClick={async () => {
            const next = await backend.setMonitoring(!paused).catch(() => null);
            if (next) info.setData(next);
          }}
        >
          <span className={`dot ${paused ? "dot-warn" : "dot-ok"}`} aria-hidden="true" />
          {paused ? "Monitoring paused" : "Monitoring active"}
        </button>
      )}
      {info.status === "error" && <div className="status-line error-text" role="alert">{info.error.message}</div>}
      <div className="versions">
        <span>
          v<span data-testid="app-version">{info.data?.version ?? ""}</span>
        </span>
        <span>
          schema <span data-testid="schema-version">{info.data?.schemaVersion ?? ""}</span>
        </span>
      </div>
    </footer>
  );
}
