import { useState, type ReactNode } from "react";
import { BackendError } from "../backend";
import { useBackend } from "../app/context";

/** A link that opens in the system browser through the backend (`open_external`), so the app
 * window never navigates away; middle-click and "copy link" still see the real href. */
export function ExternalLink({ href, children, className }: { href: string; children: ReactNode; className?: string }) {
  const backend = useBackend();
  const [error, setError] = useState<string | null>(null);
  return (
    <>
      <a
        href={href}
        className={className}
        target="_blank"
        rel="noreferrer"
        onClick={(e) => {
          e.preventDefault();
          setError(null);
          backend.openExternal(href).catch((err) => setError(BackendError.from(err).message));
        }}
      >
        {children}
      </a>
      {error && (
        <span role="alert" className="error-text" style={{ marginLeft: 6, fontSize: 12 }}>
          {error}
        </span>
      )}
    </>
  );
}
