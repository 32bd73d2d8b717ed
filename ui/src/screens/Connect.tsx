import { useEffect, useState } from "react";
import type { AuthMode, ConnectionTestResult, OAuthPending, OAuthSetup, OAuthStatus } from "../backend";
import { useAction, useBackend, useQuery } from "../app/context";
import { absoluteTime, relativeTime } from "../app/format";
import { href } from "../app/router";
import { CopyButton } from "../components/CopyButton";
import { ErrorBanner, Loading } from "../components/states";
import { ExternalLink } from "../components/ExternalLink";

export function ConnectScreen() {
  const q = useQuery((b) => b.getConnection(), [], ["connection"]);
  const [url, setUrl] = useState("");
  const [caFile, setCaFile] = useState("");
  const [mode, setMode] = useState<AuthMode>("oauth");
  const backend = useBackend();
  const disconnect = useAction();
  useEffect(() => {
    if (q.data) {
      setUrl((u) => u || q.data!.instanceUrl || "");
      setCaFile((c) => c || q.data!.caFile || "");
      if (q.data.authMode) setMode(q.data.authMode);
    }
  }, [q.data]);
  const c = q.data;
  return (
    <div className="page">
      <div className="page-header">
        <div>
          <h1 tabIndex={-1}>Connection</h1>
          <div className="subtitle">Your Bitbucket Server / Data Center instance and how depwatch signs in</div>
        </div>
      </div>
      {q.status === "error" && <ErrorBanner error={q.error} onRetry={q.reload} title="Could not read the connection" />}
      {q.status === "loading" && !c && <Loading />}
      {c && c.connected && (
        <div className="notice notice-ok toolbar" role="status">
          <span>
            <span className="dot dot-ok" aria-hidden="true" /> Connected to <strong>{c.instanceUrl}</strong> as <strong>{c.username}</strong> ({c.authMode === "oauth" ? "OAuth Application Link" : "access token"}), Bitbucket {c.serverVersion}. Checked {relativeTime(c.lastCheckedAt)}.
          </span>
          <button type="button" className="btn btn-small btn-danger" disabled={disconnect.busy} onClick={() => disconnect.run(() => backend.disconnect()).then(() => q.reload())}>
            Disconnect
          </button>
        </div>
      )}
      {c && !c.connected && c.lastError && (
        <div className="notice notice-error" role="alert">
          Last check failed {absoluteTime(c.lastCheckedAt)}: {c.lastError.message}
        </div>
      )}
      {disconnect.error && <ErrorBanner error={disconnect.error} />}
      <section className="panel" aria-labelledby="instance-h">
        <h2 id="instance-h">Instance</h2>
        <div className="field-row">
          <div className="field" style={{ flex: 2, minWidth: 320 }}>
            <label htmlFor="instance-url">Instance URL</label>
            <input id="instance-url" type="url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://git.example.com/bitbucket" spellCheck={false} />
            <span className="hint">The base URL including any context path (/bitbucket, /stash), as in your browser.</span>
          </div>
          <div className="field" style={{ flex: 1, minWidth: 240 }}>
            <label htmlFor="ca-file">Custom CA file (optional)</label>
            <input id="ca-file" type="text" value={caFile} onChange={(e) => setCaFile(e.target.value)} placeholder="/etc/ssl/certs/corp-root.pem" spellCheck={false} />
            <span className="hint">PEM bundle trusted in addition to the system roots.</span>
          </div>
        </div>
        <div className="field">
          <span className="field-label" id="auth-mode-label">Authentication</span>
          <div className="segmented" role="radiogroup" aria-labelledby="auth-mode-label">
            <button type="button" role="radio" aria-checked={mode === "oauth"} aria-pressed={mode === "oauth"} onClick={() => setMode("oauth")}>
              OAuth (Application Link)
            </button>
            <button type="button" role="radio" aria-checked={mode === "token"} aria-pressed={mode === "token"} onClick={() => setMode("token")}>
              Access token
            </button>
          </div>
        </div>
      </section>
      {mode === "token" ? <TokenForm url={url} caFile={caFile.trim() || null} onSaved={q.reload} /> : <OAuthWizard url={url} caFile={caFile.trim() || null} onDone={q.reload} />}
    </div>
  );
}

function TestResult({ result }: { result: ConnectionTestResult }) {
  return (
    <div className={`notice ${result.ok ? "notice-ok" : "notice-error"}`} role={result.ok ? "status" : "alert"} data-testid="test-result">
      {result.ok ? (
        <strong>
          Connection works: signed in as {result.username}, Bitbucket {result.serverVersion}.
        </strong>
      ) : (
        <>
          <strong>{result.error?.message}</strong> <code className="muted">{result.error?.code}</code>
        </>
      )}
      {result.steps.length > 0 && (
        <ol className="muted" style={{ margin: "6px 0 0", paddingLeft: 20, fontSize: 12 }}>
          {result.steps.map((s, i) => (
            <li key={i}>
              <code>{s}</code>
              {!result.ok && i === result.steps.length - 1 && " ✗"}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

function TokenForm({ url, caFile, onSaved }: { url: string; caFile: string | null; onSaved: () => void }) {
  const backend = useBackend();
  const [token, setToken] = useState("");
  const [result, setResult] = useState<ConnectionTestResult | null>(null);
  const test = useAction();
  const save = useAction();
  const req = { instanceUrl: url.trim(), token, caFile };
  return (
    <section className="panel" aria-labelledby="token-h">
      <h2 id="token-h">Access token</h2>
      <p className="muted">
        Create an HTTP access token in Bitbucket (Profile → Manage account → HTTP access tokens) with <strong>Repository read</strong> and, to install webhooks, <strong>Repository admin</strong>. depwatch stores it in the system keychain.
      </p>
      <div className="field" style={{ maxWidth: 520 }}>
        <label htmlFor="token">Token</label>
        <input id="token" type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} />
      </div>
      <div className="toolbar">
        <button type="button" className="btn" disabled={test.busy || !url.trim()} onClick={async () => setResult((await test.run(() => backend.testConnection(req))) ?? null)}>
          {test.busy ? "Testing…" : "Test connection"}
        </button>
        <button
          type="button"
          className="btn btn-primary"
          disabled={save.busy || !url.trim() || !token}
          onClick={async () => {
            if (await save.run(() => backend.saveTokenConnection(req))) {
              setToken("");
              onSaved();
            }
          }}
        >
          Save and connect
        </button>
      </div>
      <div style={{ marginTop: 12 }}>
        {result && <TestResult result={result} />}
        {test.error && <ErrorBanner error={test.error} title="Test failed" />}
        {save.error && <ErrorBanner error={save.error} title="Could not connect" />}
      </div>
    </section>
  );
}

function OAuthWizard({ url, caFile, onDone }: { url: string; caFile: string | null; onDone: () => void }) {
  const backend = useBackend();
  const [setup, setSetup] = useState<OAuthSetup | null>(null);
  const [pending, setPending] = useState<OAuthPending | null>(null);
  const [status, setStatus] = useState<OAuthStatus>({ state: "idle", error: null });
  const [verifier, setVerifier] = useState("");
  const begin = useAction();
  const start = useAction();
  const submit = useAction();

  useEffect(() => {
    let unsub: (() => void) | null = null;
    let live = true;
    backend
      .onOAuthStatus((s) => {
        setStatus(s);
        if (s.state === "authorized") onDone();
      })
      .then((u) => (live ? (unsub = u) : u()));
    return () => {
      live = false;
      unsub?.();
    };
  }, [backend, onDone]);

  async function open(outOfBand: boolean) {
    const p = await start.run(() => backend.oauthStart({ openBrowser: true, outOfBand }));
    if (p) {
      setPending(p);
      setStatus({ state: "waiting", error: null });
    }
  }
  const base = (setup?.instanceUrl ?? url).replace(/\/+$/, "");
  return (
    <section className="panel" aria-labelledby="oauth-h">
      <h2 id="oauth-h">OAuth Application Link</h2>
      <p className="muted">Needs a Bitbucket administrator once. depwatch then acts as the user who approves the link.</p>
      <ol className="steps">
        <li className={setup ? "done" : undefined}>
          <div>
            <h3>Generate this workstation’s key</h3>
            <p className="muted">depwatch creates an RSA key pair; the private key stays in the system keychain.</p>
            <button type="button" className="btn" disabled={begin.busy || !url.trim()} onClick={async () => setSetup((await begin.run(() => backend.oauthBegin(url.trim(), caFile))) ?? null)}>
              {setup ? "Regenerate values" : "Generate link values"}
            </button>
            {!url.trim() && <span className="muted"> Enter the instance URL first.</span>}
            {begin.error && <ErrorBanner error={begin.error} title="Could not reach the instance" />}
          </div>
        </li>
        <li className={setup ? undefined : "muted"}>
          <div>
            <h3>Create the Application Link in Bitbucket</h3>
            <p>
              In Bitbucket: <strong>Administration → Application Links → Create link</strong>
              {base && (
                <>
                  {" "}
                  (<ExternalLink href={`${base}/plugins/servlet/applinks/listApplicationLinks`}>open</ExternalLink>)
                </>
              )}
              . Choose a generic application, then under <strong>Incoming Authentication</strong> enter:
            </p>
            {setup && (
              <dl className="kv" aria-label="Values for Incoming Authentication">
                <dt>Consumer Key</dt>
                <dd className="copy-row">
                  <code data-testid="consumer-key">{setup.consumerKey}</code>
                  <CopyButton text={setup.consumerKey} label="consumer key" />
                </dd>
                <dt>Consumer Name</dt>
                <dd className="copy-row">
                  <code>{setup.consumerName}</code>
                  <CopyButton text={setup.consumerName} label="consumer name" />
                </dd>
                <dt>Public Key</dt>
                <dd>
                  <pre className="pem" aria-label="Public key PEM">{setup.publicKeyPem}</pre>
                  <div style={{ marginTop: 4 }}>
                    <CopyButton text={setup.publicKeyPem} label="public key" />
                  </div>
                </dd>
                <dt>Consumer Callback URL</dt>
                <dd>
                  <strong>leave empty</strong> <span className="muted">(a value there breaks the code fallback below)</span>
                </dd>
              </dl>
            )}
          </div>
        </li>
        <li className={status.state === "authorized" ? "done" : setup ? undefined : "muted"}>
          <div>
            <h3>Approve access</h3>
            <p className="muted">Sign in as the account depwatch should use (read access to the repositories to watch) and click Allow.</p>
            <div className="toolbar">
              <button type="button" className="btn btn-primary" disabled={!setup || start.busy} onClick={() => open(false)}>
                Open browser
              </button>
              {status.state === "waiting" && (
                <button type="button" className="btn" onClick={() => backend.oauthCancel().then(() => setStatus({ state: "idle", error: null }))}>
                  Cancel
                </button>
              )}
            </div>
            {start.error && <ErrorBanner error={start.error} title="Could not start authorization" />}
            {status.state === "waiting" && pending && (
              <div className="notice" role="status" style={{ marginTop: 8 }}>
                <div className="toolbar">
                  <span className="spinner" aria-hidden="true" />
                  <strong>{pending.outOfBand ? "Waiting for the code from Bitbucket…" : "Waiting for Bitbucket to call back…"}</strong>
                  <span className="muted">The request expires {relativeTime(pending.expiresAt)}.</span>
                </div>
                <p className="muted" style={{ margin: "6px 0" }}>
                  Browser did not open? Visit{" "}
                  <ExternalLink href={pending.authorizeUrl}>
                    the authorization page
                  </ExternalLink>{" "}
                  <CopyButton text={pending.authorizeUrl} label="authorization URL" />
                </p>
                {!pending.outOfBand ? (
                  <button type="button" className="btn btn-small" onClick={() => open(true)}>
                    Browser on another machine? Use a code instead
                  </button>
                ) : (
                  <form
                    className="field-row"
                    onSubmit={async (e) => {
                      e.preventDefault();
                      if (await submit.run(() => backend.oauthSubmitVerifier(verifier.trim()))) onDone();
                    }}
                  >
                    <div className="field" style={{ marginBottom: 0 }}>
                      <label htmlFor="verifier">Verification code shown by Bitbucket</label>
                      <input id="verifier" type="text" value={verifier} onChange={(e) => setVerifier(e.target.value)} autoComplete="off" spellCheck={false} />
                    </div>
                    <button type="submit" className="btn" disabled={submit.busy || verifier.trim() === ""}>
                      Submit code
                    </button>
                  </form>
                )}
                {submit.error && <p role="alert" className="error-text">{submit.error.message}</p>}
              </div>
            )}
            {status.state === "authorized" && (
              <div className="notice notice-ok" role="status" style={{ marginTop: 8 }}>
                Authorized. Next: choose the <a href={href({ name: "perimeter" })}>perimeter</a>.
              </div>
            )}
            {(status.state === "failed" || status.state === "expired") && (
              <div className="notice notice-error" role="alert" style={{ marginTop: 8 }}>
                {status.state === "expired" ? "The request expired before it was approved. Click Open browser to try again." : status.error?.message}
              </div>
            )}
          </div>
        </li>
      </ol>
    </section>
  );
}
