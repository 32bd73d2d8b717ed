import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import { BackendError, createMockBackend, insideTauri, selectBackend } from ".";
import { createTauriBackend } from "./tauri";

describe("BackendError.from", () => {
  it("keeps code and message of the Rust error object", () => {
    const e = BackendError.from({ code: "unauthorized", message: "401 from Bitbucket" });
    expect(e).toBeInstanceOf(BackendError);
    expect(e.code).toBe("unauthorized");
    expect(e.message).toBe("401 from Bitbucket");
  });
  it("wraps bare strings and exceptions as internal errors", () => {
    expect(BackendError.from("panic: boom")).toMatchObject({ code: "internal", message: "panic: boom" });
    expect(BackendError.from(new TypeError("x is undefined"))).toMatchObject({ code: "internal", message: "x is undefined" });
    expect(BackendError.from(42).code).toBe("internal");
  });
});

describe("selectBackend", () => {
  const fakeWindow = (search: string, tauri: boolean) => ({ location: { search }, ...(tauri ? { __TAURI_INTERNALS__: {} } : {}) }) as unknown as Window;
  it("detects the Tauri webview by its IPC bridge", () => {
    expect(insideTauri(fakeWindow("", true))).toBe(true);
    expect(insideTauri(fakeWindow("", false))).toBe(false);
  });
  it("uses the mock in a plain browser, and when ?mock is given inside Tauri", async () => {
    const plain = selectBackend(fakeWindow("", false));
    expect((await plain.appInfo()).dataDir).toContain("/home/demo");
    const forced = selectBackend(fakeWindow("?mock=empty", true));
    expect((await forced.listRepositories()).length).toBe(0);
  });
});

describe("Tauri backend", () => {
  afterEach(() => clearMocks());

  it("calls the commands of the contract with camelCase arguments", async () => {
    const calls: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      if (cmd === "app_info" || cmd === "set_monitoring") return { version: "0.1.0", dataDir: "/d", databasePath: "/d/db", schemaVersion: 1, monitoring: "paused" };
      return null;
    });
    const b = createTauriBackend();
    expect(await b.appInfo()).toMatchObject({ version: "0.1.0", schemaVersion: 1 });
    await b.setMonitoring(true);
    await b.closeFinding(7, "mitigated", "WAF rule 12");
    await b.ignoreFinding(8, "dev only", "2027-01-31");
    await b.listDependencies(1042, "release/1.2");
    await b.oauthStart({ openBrowser: true, outOfBand: false });
    await b.openExternal("https://rustsec.org/advisories/RUSTSEC-2024-0003.html");
    expect(calls).toEqual([
      ["app_info", {}],
      ["set_monitoring", { paused: true }],
      ["close_finding", { findingId: 7, reason: "mitigated", comment: "WAF rule 12" }],
      ["ignore_finding", { findingId: 8, reason: "dev only", until: "2027-01-31" }],
      ["list_dependencies", { repositoryId: 1042, branch: "release/1.2" }],
      ["oauth_start", { openBrowser: true, outOfBand: false }],
      ["open_external", { url: "https://rustsec.org/advisories/RUSTSEC-2024-0003.html" }],
    ]);
  });

  it("turns a rejected command into a BackendError", async () => {
    mockIPC(() => {
      throw { code: "not-found", message: "Repository 9 is not monitored." };
    });
    await expect(createTauriBackend().getRepository(9)).rejects.toMatchObject({ name: "BackendError", code: "not-found", message: "Repository 9 is not monitored." });
  });

  it("delivers monitoring-changed events", async () => {
    mockIPC(() => null, { shouldMockEvents: true });
    const { emit } = await import("@tauri-apps/api/event");
    const got: string[] = [];
    const unsub = await createTauriBackend().onMonitoringChanged((p) => got.push(p.monitoring));
    await emit("monitoring-changed", { monitoring: "paused" });
    unsub();
    expect(got).toEqual(["paused"]);
  });
});

describe("mock backend", () => {
  const now = Date.parse("2026-11-21T12:00:00Z");
  it("is deterministic and has findings of every severity and informational kind", async () => {
    const a = createMockBackend({ now });
    const b = createMockBackend({ now });
    const fa = await a.listFindings({});
    expect(fa.map((f) => f.id)).toEqual((await b.listFindings({})).map((f) => f.id));
    for (const s of ["critical", "high", "medium", "low", "unknown"]) expect(fa.some((f) => f.severity === s && f.kind === "vulnerability")).toBe(true);
    for (const k of ["unmaintained", "unsound", "notice"]) expect(fa.some((f) => f.kind === k)).toBe(true);
  });

  it("generates 10,000 repositories on request", async () => {
    const big = createMockBackend({ now, repositories: 10_000 });
    expect((await big.listRepositories()).length).toBe(10_000);
  });

  it("runs the alert lifecycle and recounts", async () => {
    const m = createMockBackend({ now });
    const open = (await m.listFindings({ states: ["open"], kinds: ["vulnerability"] }))[0]!;
    const acked = await m.acknowledgeFinding(open.id);
    expect(acked.state).toBe("acknowledged");
    await expect(m.acknowledgeFinding(open.id)).rejects.toMatchObject({ code: "invalid-state" });
    const closed = await m.closeFinding(open.id, "does-not-apply", null);
    expect(closed).toMatchObject({ state: "closed", stateReason: "does-not-apply" });
    await expect(m.ignoreFinding(open.id, "later", "2000-01-01")).rejects.toMatchObject({ code: "invalid-input" });
    expect((await m.reopenFinding(open.id)).state).toBe("open");
    await expect(m.acknowledgeFinding(999_999)).rejects.toMatchObject({ code: "not-found" });
  });

  it("reports readable connection failures", async () => {
    const m = createMockBackend({ now });
    const dns = await m.testConnection({ instanceUrl: "https://bitbucket.corp.invalid", token: "x".repeat(20), caFile: null });
    expect(dns.error?.code).toBe("dns");
    const path = await m.testConnection({ instanceUrl: "https://git.example.com", token: "x".repeat(20), caFile: null });
    expect(path.error?.code).toBe("not-bitbucket");
    expect(path.error?.message).toContain("context path");
    const ok = await m.testConnection({ instanceUrl: "https://git.example.com/bitbucket", token: "x".repeat(20), caFile: null });
    expect(ok).toMatchObject({ ok: true, username: "depwatch-bot" });
  });
});
