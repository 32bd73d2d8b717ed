import { describe, expect, it } from "vitest";
import { href, parseRoute } from "./router";

describe("router", () => {
  it("round-trips every route through the hash", () => {
    const routes = [
      { name: "dashboard" },
      { name: "repositories" },
      { name: "repository", id: 1042, tab: "dependencies" },
      { name: "advisory", id: "GHSA-jfh8-c2jp-5v3q" },
      { name: "settings" },
      { name: "findings", filter: "critical" },
      { name: "findings", filter: "informational" },
      { name: "findings", focus: 31 },
    ] as const;
    for (const r of routes) expect(parseRoute(href(r))).toEqual(r);
  });
  it("falls back to the dashboard on unknown hashes", () => {
    expect(parseRoute("#/nope")).toEqual({ name: "dashboard" });
    expect(parseRoute("")).toEqual({ name: "dashboard" });
    expect(parseRoute("#/repositories/abc")).toEqual({ name: "repositories" });
  });
});
