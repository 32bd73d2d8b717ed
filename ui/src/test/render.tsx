import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { BackendProvider } from "../app/context";
import { createMockBackend, type Backend } from "../backend";

/** A deterministic mock backend without latency, with every method spy-able. */
export function testBackend(overrides: Partial<Backend> = {}, repositories = 60): Backend {
  const base = createMockBackend({ repositories, latencyMs: 0, now: Date.parse("2026-11-21T12:00:00Z"), oauthCallbackMs: 0, scanTickMs: 5 });
  return { ...base, ...overrides };
}

export function renderWith(ui: ReactElement, backend: Backend = testBackend()) {
  return { backend, ...render(<BackendProvider backend={backend}>{ui}</BackendProvider>) };
}
