import type { ReactNode } from "react";
import type { BackendError } from "../backend";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function ErrorBanner({ error, onRetry, title = "Something went wrong" }: { error: BackendError; onRetry?: () => void; title?: string }) {
  return (
    <div className="state state-error" role="alert">
      <div>
        <strong>{title}</strong>
        <p className="error-message">{error.message}</p>
        <code className="error-code">{error.code}</code>
      </div>
      {onRetry && (
        <button type="button" className="btn" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty">
      <strong>{title}</strong>
      {children && <div className="muted">{children}</div>}
    </div>
  );
}
