import { useEffect, useState } from "react";
import { SEVERITIES, type Settings, type SettingsUpdate, type Severity } from "../backend";
import { useAction, useAppInfo, useBackend, useQuery } from "../app/context";
import { SEVERITY_LABEL } from "../app/format";
import { CopyButton } from "../components/CopyButton";
import { ErrorBanner, Loading } from "../components/states";
import { SourceTable } from "./Dashboard";

function toUpdate(s: Settings): SettingsUpdate {
  return {
    listenAddress: s.listenAddress,
    listenPort: s.listenPort,
    enabledSources: s.advisorySources.filter((x) => x.enabled).map((x) => x.id),
    syncIntervalHours: s.syncIntervalHours,
    refPatterns: s.refPatterns,
    notifications: s.notifications,
    startAtLogin: s.startAtLogin,
  };
}

export function SettingsScreen() {
  const backend = useBackend();
  const q = useQuery((b) => b.getSettings(), [], ["settings", "advisories"]);
  const info = useAppInfo();
  const [draft, setDraft] = useState<SettingsUpdate | null>(null);
  const [refsText, setRefsText] = useState("");
  const save = useAction();
  const sync = useAction();
  const [savedAt, setSavedAt] = useState<number | null>(null);
  useEffect(() => {
    if (q.data && !draft) {
      setDraft(toUpdate(q.data));
      setRefsText(q.data.refPatterns.join("\n"));
    }
  }, [q.data, draft]);

  if (q.status === "error" && !q.data) return <Shell><ErrorBanner error={q.error} onRetry={q.reload} title="Could not load settings" /></Shell>;
  if (!q.data || !draft) return <Shell><Loading label="Loading settings…" /></Shell>;
  const s = q.data;
  const set = (p: Partial<SettingsUpdate>) => {
    setSavedAt(null);
    setDraft({ ...draft, ...p });
  };
  const setN = (p: Partial<SettingsUpdate["notifications"]>) => set({ notifications: { ...draft.notifications, ...p } });
  const dirty = JSON.stringify(draft) !== JSON.stringify(toUpdate(s)) || refsText !== s.refPatterns.join("\n");
  const paused = info.data?.monitoring === "paused";

  async function onSave(e: React.FormEvent) {
    e.preventDefault();
    const update = { ...draft!, refPatterns: refsText.split("\n").map((x) => x.trim()).filter(Boolean) };
    const next = await save.run(() => backend.saveSettings(update));
    if (next) {
      q.setData(next);
      setDraft(toUpdate(next));
      setRefsText(next.refPatterns.join("\n"));
      setSavedAt(Date.now());
    }
  }

  return (
    <Shell
      actions={
        <>
          {savedAt && <span className="muted" role="status">Saved</span>}
          <button type="submit" form="settings-form" className="btn btn-primary" disabled={!dirty || save.busy}>
            Save changes
          </button>
        </>
      }
    >
      {save.error && <ErrorBanner error={save.error} title="Settings not saved" />}
      <form id="settings-form" onSubmit={onSave} className="grid-2">
        <section className="panel" aria-labelledby="listener-h">
          <h2 id="listener-h">Webhook listener</h2>
          <div className="field-row">
            <div className="field" style={{ flex: 2 }}>
              <label htmlFor="listen-address">Listen address</label>
              <input id="listen-address" type="text" value={draft.listenAddress} onChange={(e) => set({ listenAddress: e.target.value })} spellCheck={false} />
            </div>
            <div className="field" style={{ flex: 1 }}>
              <label htmlFor="listen-port">Port</label>
              <input id="listen-port" type="number" min={1} max={65535} value={draft.listenPort} onChange={(e) => set({ listenPort: Number(e.target.value) })} />
            </div>
          </div>
          <div className="field">
            <span className="field-label">Webhook URL to paste into Bitbucket</span>
            <div className="copy-row">
              <code data-testid="webhook-url">{s.webhookUrl}</code>
              <CopyButton text={s.webhookUrl} label="webhook URL" />
            </div>
            {dirty && (draft.listenAddress !== s.listenAddress || draft.listenPort !== s.listenPort) && <span className="hint">Save to update the URL.</span>}
          </div>
          {s.loopbackOnly && (
            <p className="notice notice-warn" role="note">
              The listener only accepts connections from this computer. Bitbucket cannot deliver webhooks unless it runs on this machine; depwatch falls back to polling.
            </p>
          )}
          <SecretField />
        </section>

        <section className="panel" aria-labelledby="sources-h">
          <div className="panel-header">
            <h2 id="sources-h">Advisory sources</h2>
            <button type="button" className="btn btn-small" disabled={sync.busy} onClick={async () => { const n = await sync.run(() => backend.syncAdvisories()); if (n) q.setData(n); }}>
              {sync.busy ? "Syncing…" : "Sync now"}
            </button>
          </div>
          {sync.error && <ErrorBanner error={sync.error} title="Sync failed" />}
          <fieldset className="field" style={{ border: "none", padding: 0 }}>
            <legend className="visually-hidden">Enabled sources</legend>
            {s.advisorySources.map((src) => (
              <label key={src.id} className="check">
                <input type="checkbox" checked={draft.enabledSources.includes(src.id)} onChange={(e) => set({ enabledSources: e.target.checked ? [...draft.enabledSources, src.id] : draft.enabledSources.filter((x) => x !== src.id) })} />
                {src.name} <span className="muted">({src.ecosystems.join(", ")})</span>
              </label>
            ))}
          </fieldset>
          <div className="field" style={{ maxWidth: 200 }}>
            <label htmlFor="sync-interval">Sync every (hours)</label>
            <input id="sync-interval" type="number" min={1} max={168} value={draft.syncIntervalHours} onChange={(e) => set({ syncIntervalHours: Number(e.target.value) })} />
          </div>
          <SourceTable sources={s.advisorySources} />
        </section>

        <section className="panel" aria-labelledby="refs-h">
          <h2 id="refs-h">Branches to monitor</h2>
          <div className="field">
            <label htmlFor="ref-patterns">Ref patterns besides the default branch (one per line)</label>
            <textarea id="ref-patterns" rows={4} value={refsText} onChange={(e) => { setSavedAt(null); setRefsText(e.target.value); }} spellCheck={false} />
            <span className="hint">Branch names with * wildcards, e.g. release/* or hotfix/*. The default branch is always monitored.</span>
          </div>
        </section>

        <section className="panel" aria-labelledby="notif-h">
          <h2 id="notif-h">Notifications</h2>
          <div className="field-row">
            <div className="field">
              <label htmlFor="min-severity">Minimum severity</label>
              <select id="min-severity" value={draft.notifications.minimumSeverity} onChange={(e) => setN({ minimumSeverity: e.target.value as Severity })}>
                {SEVERITIES.map((x) => (
                  <option key={x} value={x}>
                    {SEVERITY_LABEL[x]}
                    {x === "unknown" ? " (everything)" : " and above"}
                  </option>
                ))}
              </select>
            </div>
            <div className="field" style={{ maxWidth: 190 }}>
              <label htmlFor="digest">Digest above (findings)</label>
              <input id="digest" type="number" min={1} value={draft.notifications.digestThreshold} onChange={(e) => setN({ digestThreshold: Number(e.target.value) })} />
            </div>
          </div>
          <label className="check" style={{ marginBottom: 8 }}>
            <input type="checkbox" checked={draft.notifications.includeInformational} onChange={(e) => setN({ includeInformational: e.target.checked })} /> Also notify for unmaintained / unsound / notices
          </label>
          <div className="field-row">
            <label className="check" style={{ marginBottom: 12 }}>
              <input type="checkbox" checked={draft.notifications.quietHours.enabled} onChange={(e) => setN({ quietHours: { ...draft.notifications.quietHours, enabled: e.target.checked } })} /> Quiet hours
            </label>
            <div className="field">
              <label htmlFor="quiet-start">From</label>
              <input id="quiet-start" type="time" disabled={!draft.notifications.quietHours.enabled} value={draft.notifications.quietHours.start} onChange={(e) => setN({ quietHours: { ...draft.notifications.quietHours, start: e.target.value } })} />
            </div>
            <div className="field">
              <label htmlFor="quiet-end">To</label>
              <input id="quiet-end" type="time" disabled={!draft.notifications.quietHours.enabled} value={draft.notifications.quietHours.end} onChange={(e) => setN({ quietHours: { ...draft.notifications.quietHours, end: e.target.value } })} />
            </div>
          </div>
        </section>

        <section className="panel" aria-labelledby="app-h">
          <h2 id="app-h">Application</h2>
          <label className="check" style={{ marginBottom: 8 }}>
            <input type="checkbox" checked={draft.startAtLogin} onChange={(e) => set({ startAtLogin: e.target.checked })} /> Start at login (in the tray)
          </label>
          <div className="toolbar" style={{ marginBottom: 8 }}>
            <button type="button" className="btn" aria-pressed={paused} onClick={async () => { const n = await backend.setMonitoring(!paused).catch(() => null); if (n) info.setData(n); }}>
              {paused ? "Resume monitoring" : "Pause monitoring"}
            </button>
            <span className="muted">{paused ? "Webhooks are queued, polling and notifications are paused." : "Webhooks and polling are processed."}</span>
          </div>
          {info.data && (
            <dl className="kv">
              <dt>Data directory</dt>
              <dd><code>{info.data.dataDir}</code></dd>
              <dt>Database</dt>
              <dd><code>{info.data.databasePath}</code> (schema {info.data.schemaVersion})</dd>
            </dl>
          )}
        </section>
      </form>
    </Shell>
  );
}

function SecretField() {
  const backend = useBackend();
  const [revealed, setRevealed] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState("");
  const act = useAction();
  return (
    <div className="field">
      <span className="field-label">Webhook secret</span>
      <div className="copy-row">
        <code data-testid="webhook-secret">{revealed ?? "••••••••••••••••"}</code>
        {revealed ? (
          <>
            <CopyButton text={revealed} label="webhook secret" />
            <button type="button" className="btn btn-small" onClick={() => setRevealed(null)}>Hide</button>
          </>
        ) : (
          <button type="button" className="btn btn-small" disabled={act.busy} onClick={async () => setRevealed((await act.run(() => backend.revealWebhookSecret())) ?? null)}>Reveal</button>
        )}
        <button type="button" className="btn btn-small" disabled={act.busy} onClick={async () => { const s = await act.run(() => backend.regenerateWebhookSecret()); if (s) setRevealed(s); }}>Regenerate</button>
        <button type="button" className="btn btn-small" onClick={() => setEditing((e) => !e)} aria-expanded={editing}>Set…</button>
      </div>
      <span className="hint">Paste the same secret into the Bitbucket webhook; depwatch rejects deliveries whose HMAC-SHA256 signature does not match. Regenerating breaks existing webhooks until updated.</span>
      {editing && (
        <div className="field-row" style={{ marginTop: 6 }}>
          <input type="password" aria-label="New webhook secret" value={value} onChange={(e) => setValue(e.target.value)} autoComplete="off" />
          <button type="button" className="btn btn-small" disabled={act.busy || !value} onClick={async () => { await act.run(async () => { await backend.setWebhookSecret(value); setEditing(false); setValue(""); setRevealed(null); }); }}>
            Set secret
          </button>
        </div>
      )}
      {act.error && <p role="alert" className="error-text">{act.error.message}</p>}
    </div>
  );
}

function Shell({ children, actions }: { children: React.ReactNode; actions?: React.ReactNode }) {
  return (
    <div className="page">
      <div className="page-header">
        <div>
          <h1 tabIndex={-1}>Settings</h1>
        </div>
        <div className="toolbar">{actions}</div>
      </div>
      {children}
    </div>
  );
}
