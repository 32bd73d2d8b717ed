import { screen, waitFor, within } from "@testing-library/react";
import userEventLib from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { renderWith, testBackend } from "../test/render";
import { RepositoriesScreen, filterRepositories } from "./Repositories";

// No artificial delay between simulated keystrokes: keeps the suite fast.
const userEvent = userEventLib.setup({ delay: null });
import { RepositoryScreen, filterDependencies } from "./Repository";

const none = { query: "", health: [], hooks: [], project: "", archived: true };

describe("filterRepositories", () => {
  it("filters by text, project, health and webhook state, worst first", async () => {
    const all = await testBackend().listRepositories();
    const plat = filterRepositories(all, { ...none, project: "PLAT" });
    expect(plat.length).toBeGreaterThan(0);
    expect(plat.every((r) => r.projectKey === "PLAT")).toBe(true);
    const vulnerable = filterRepositories(all, { ...none, health: ["vulnerable"] });
    expect(vulnerable.every((r) => Object.values(r.counts).some((c) => c > 0))).toBe(true);
    const first = vulnerable[0]!;
    const last = vulnerable[vulnerable.length - 1]!;
    expect(first.counts.critical * 1e6 + first.counts.high * 1e4).toBeGreaterThanOrEqual(last.counts.critical * 1e6 + last.counts.high * 1e4);
    const failing = filterRepositories(all, { ...none, hooks: ["failing"] });
    expect(failing.every((r) => r.webhook.state === "failing")).toBe(true);
    expect(filterRepositories(all, { ...none, query: "WEB/docs" }).every((r) => `${r.projectKey}/${r.slug}`.includes("WEB/docs"))).toBe(true);
    expect(filterRepositories(all, { ...none, archived: false }).some((r) => r.archived)).toBe(false);
  });
});

describe("Repositories screen", () => {
  it("searching narrows the table", async () => {
    renderWith(<RepositoriesScreen />);
    const grid = await screen.findByRole("grid", { name: "Repositories" });
    await waitFor(() => expect(within(grid).getAllByRole("row").length).toBeGreaterThan(5));
    await userEvent.click(screen.getByRole("searchbox", { name: "Search repositories" }));
    await userEvent.paste("scheduler");
    await waitFor(() => {
      const rows = within(grid).getAllByRole("row").slice(1);
      expect(rows.length).toBeGreaterThan(0);
      for (const r of rows) expect(r).toHaveTextContent("scheduler");
    });
  });

  it("shows the empty state when nothing is monitored", async () => {
    renderWith(<RepositoriesScreen />, testBackend({}, 0));
    expect(await screen.findByText("No repositories monitored")).toBeInTheDocument();
  });
});

describe("Repository screen", () => {
  it("shows manifests with their parse diagnostics", async () => {
    const backend = testBackend();
    const repos = await backend.listRepositories();
    const withMaven = repos.find((r) => r.projectKey === "PAY")!;
    const detail = await backend.getRepository(withMaven.id);
    const diag = detail.manifests.flatMap((m) => m.diagnostics)[0]!;
    renderWith(<RepositoryScreen id={withMaven.id} tab="overview" />, backend);
    expect(await screen.findByRole("heading", { name: "Manifests and lockfiles" })).toBeInTheDocument();
    expect(screen.getAllByText(diag.message).length).toBeGreaterThan(0);
  });

  it("shows a not-found error for an unknown repository", async () => {
    renderWith(<RepositoryScreen id={1} tab="overview" />);
    expect(await screen.findByRole("alert")).toHaveTextContent("Repository 1 is not monitored.");
  });

  it("dependency filters keep only matching rows", async () => {
    const backend = testBackend();
    const repo = (await backend.listRepositories()).find((r) => r.slug === "gateway")!;
    const deps = await backend.listDependencies(repo.id, "main");
    const direct = filterDependencies(deps, { query: "", direct: ["direct"], scope: [], ecosystems: [], vulnerableOnly: false });
    expect(direct.length).toBeGreaterThan(0);
    expect(direct.every((d) => d.direct === true)).toBe(true);
    const dev = filterDependencies(deps, { query: "", direct: [], scope: ["dev"], ecosystems: [], vulnerableOnly: false });
    expect(dev.every((d) => d.scope === "dev")).toBe(true);
    const vuln = filterDependencies(deps, { query: "", direct: [], scope: [], ecosystems: [], vulnerableOnly: true });
    expect(vuln.every((d) => d.findingCount > 0)).toBe(true);
    const eco = deps[0]!.ecosystem;
    expect(filterDependencies(deps, { query: "", direct: [], scope: [], ecosystems: [eco], vulnerableOnly: false }).every((d) => d.ecosystem === eco)).toBe(true);
    expect(filterDependencies(deps, { query: "serde_json", direct: [], scope: [], ecosystems: [], vulnerableOnly: false }).every((d) => d.name.includes("serde_json"))).toBe(true);
  });

  it("the dependency tab filters a 2,400-row lockfile via the Type chips", async () => {
    const backend = testBackend();
    const repo = (await backend.listRepositories()).find((r) => r.slug === "gateway")!;
    renderWith(<RepositoryScreen id={repo.id} tab="dependencies" />, backend);
    const grid = await screen.findByRole("grid", { name: "Dependencies" });
    const total = Number(grid.getAttribute("aria-rowcount")) - 1;
    expect(total).toBeGreaterThan(2000);
    await userEvent.click(within(screen.getByRole("group", { name: "Type" })).getByRole("button", { name: "direct" }));
    await waitFor(() => expect(Number(screen.getByRole("grid", { name: "Dependencies" }).getAttribute("aria-rowcount")) - 1).toBeLessThan(total));
  });
});
