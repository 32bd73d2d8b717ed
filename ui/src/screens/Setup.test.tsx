import { screen, waitFor, within } from "@testing-library/react";
import userEventLib from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { renderWith, testBackend } from "../test/render";
import { ConnectScreen } from "./Connect";

// No artificial delay between simulated keystrokes: keeps the suite fast.
const userEvent = userEventLib.setup({ delay: null });
import { PerimeterScreen, isIncluded } from "./Perimeter";
import { ScanScreen } from "./Scan";
import { SettingsScreen } from "./Settings";

describe("Connect", () => {
  it("test connection shows a readable wrong-context-path error", async () => {
    const backend = testBackend();
    const test = vi.spyOn(backend, "testConnection");
    renderWith(<ConnectScreen />, backend);
    const url = await screen.findByLabelText("Instance URL");
    await waitFor(() => expect(url).toHaveValue("https://bitbucket.example.com"));
    await userEvent.clear(url);
    await userEvent.click(url);
    await userEvent.paste("https://git.example.com");
    await userEvent.click(screen.getByRole("radio", { name: "Access token" }));
    await userEvent.click(screen.getByLabelText("Token"));
    await userEvent.paste("a-long-enough-token");
    await userEvent.click(screen.getByRole("button", { name: "Test connection" }));
    expect(test).toHaveBeenCalledWith({ instanceUrl: "https://git.example.com", token: "a-long-enough-token", caFile: null });
    const result = await screen.findByTestId("test-result");
    expect(result).toHaveTextContent("Is the context path missing");
    expect(result).toHaveTextContent("not-bitbucket");
  });

  it("OAuth wizard shows the link values, waits, and accepts a pasted code", async () => {
    const backend = testBackend();
    const submit = vi.spyOn(backend, "oauthSubmitVerifier");
    const start = vi.spyOn(backend, "oauthStart");
    renderWith(<ConnectScreen />, backend);
    await waitFor(() => expect(screen.getByLabelText("Instance URL")).toHaveValue("https://bitbucket.example.com"));
    await userEvent.click(screen.getByRole("button", { name: "Generate link values" }));
    expect(await screen.findByTestId("consumer-key")).toHaveTextContent("depwatch-7f3a91c2");
    expect(screen.getByLabelText("Public key PEM")).toHaveTextContent("BEGIN PUBLIC KEY");
    expect(screen.getByRole("button", { name: "Copy public key" })).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Open browser" }));
    expect(start).toHaveBeenLastCalledWith({ openBrowser: true, outOfBand: false });
    expect(await screen.findByText("Waiting for Bitbucket to call back…")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: /Use a code instead/ }));
    expect(start).toHaveBeenLastCalledWith({ openBrowser: true, outOfBand: true });
    await userEvent.type(await screen.findByLabelText(/Verification code/), "x");
    await userEvent.click(screen.getByRole("button", { name: "Submit code" }));
    expect(await screen.findByText(/token_rejected/)).toBeInTheDocument();
    await userEvent.clear(screen.getByLabelText(/Verification code/));
    await userEvent.type(screen.getByLabelText(/Verification code/), "Q7hT2k");
    await userEvent.click(screen.getByRole("button", { name: "Submit code" }));
    expect(submit).toHaveBeenLastCalledWith("Q7hT2k");
    expect(await screen.findByText(/Authorized\./)).toBeInTheDocument();
  });
});

describe("Perimeter", () => {
  it("isIncluded applies archived, personal and selection rules", () => {
    const project = { key: "PAY", name: "Payments", personal: false, webhook: { state: "installed" as const, lastDeliveryAt: null, detail: null }, repositories: [] };
    const repo = { id: 1, projectKey: "PAY", slug: "billing", name: "billing", archived: false, personal: false, webhook: project.webhook };
    const p = { mode: "selection" as const, projectKeys: [], repositoryIds: [], excludePersonal: true, includeArchived: false };
    expect(isIncluded(p, project, repo)).toBe(false);
    expect(isIncluded({ ...p, projectKeys: ["PAY"] }, project, repo)).toBe(true);
    expect(isIncluded({ ...p, repositoryIds: [1] }, project, { ...repo, archived: true })).toBe(false);
    expect(isIncluded({ ...p, mode: "instance" }, project, { ...repo, personal: true })).toBe(false);
    expect(isIncluded({ ...p, mode: "instance", excludePersonal: false }, project, { ...repo, personal: true })).toBe(true);
  });

  it("saves the edited perimeter", async () => {
    const backend = testBackend();
    const save = vi.spyOn(backend, "savePerimeter");
    const before = await backend.getPerimeter();
    renderWith(<PerimeterScreen />, backend);
    const sec = await screen.findByRole("checkbox", { name: "Project SEC" });
    expect(sec).not.toBeChecked();
    await userEvent.click(sec);
    await userEvent.click(screen.getByRole("checkbox", { name: "Include archived" }));
    await userEvent.click(screen.getByRole("button", { name: "Save perimeter" }));
    expect(save).toHaveBeenCalledWith({ ...before, projectKeys: [...before.projectKeys, "SEC"], includeArchived: true });
    expect(await screen.findByText("Saved")).toBeInTheDocument();
  });

  it("shows the backend's refusal of an empty selection", async () => {
    const backend = testBackend();
    await backend.savePerimeter({ mode: "selection", projectKeys: ["PLAT"], repositoryIds: [], excludePersonal: true, includeArchived: false });
    renderWith(<PerimeterScreen />, backend);
    await userEvent.click(await screen.findByRole("checkbox", { name: "Project PLAT" }));
    await userEvent.click(screen.getByRole("button", { name: "Save perimeter" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Select at least one project or repository");
  });

  it("arrow keys move through the tree and Right expands a project", async () => {
    renderWith(<PerimeterScreen />);
    const first = await screen.findByRole("checkbox", { name: "Project DATA" });
    expect(first).toHaveAttribute("tabindex", "0");
    first.focus();
    await userEvent.keyboard("{ArrowDown}");
    await waitFor(() => expect(screen.getByRole("checkbox", { name: "Project INFRA" })).toHaveFocus());
    await userEvent.keyboard("{ArrowRight}");
    await waitFor(() => expect(screen.getAllByRole("checkbox", { name: /^Repository INFRA\// }).length).toBeGreaterThan(0));
    await userEvent.keyboard("{ArrowDown}");
    await waitFor(() => expect(document.activeElement?.getAttribute("aria-label")).toMatch(/^Repository INFRA\//));
    await userEvent.keyboard("{ArrowLeft}");
    await waitFor(() => expect(screen.getByRole("checkbox", { name: "Project INFRA" })).toHaveFocus());
  });

  it("search finds repositories inside collapsed projects", async () => {
    renderWith(<PerimeterScreen />);
    await screen.findByRole("checkbox", { name: "Project PLAT" });
    await userEvent.click(screen.getByRole("searchbox"));
    await userEvent.paste("scheduler");
    const tree = screen.getByRole("tree");
    await waitFor(() => expect(within(tree).getAllByRole("checkbox", { name: /Repository PLAT\/scheduler/ }).length).toBeGreaterThan(0));
  });
});

describe("Historical scan", () => {
  it("lists failures with their errors and retries one repository", async () => {
    const backend = testBackend();
    const retry = vi.spyOn(backend, "retryScan");
    const status = await backend.getScanStatus();
    const failed = status.items.filter((i) => i.status === "failed");
    expect(failed.length).toBeGreaterThan(0);
    renderWith(<ScanScreen />, backend);
    expect(await screen.findByTestId("scan-progress-text")).toHaveTextContent(`${status.done} / ${status.total} repositories`);
    expect(screen.getByRole("progressbar")).toHaveAttribute("aria-valuenow", String(status.done));
    await waitFor(() => expect(screen.getAllByText(failed[0]!.error!.message).length).toBeGreaterThan(0));
    const row = screen.getAllByRole("row").find((r) => r.textContent?.includes(`${failed[0]!.projectKey}/${failed[0]!.slug}`) && r.textContent.includes("Retry"))!;
    await userEvent.click(within(row).getByRole("button", { name: "Retry" }));
    expect(retry).toHaveBeenCalledWith([failed[0]!.repositoryId]);
  });

  it("follows scan-progress events until the scan finishes", async () => {
    const backend = testBackend({}, 12);
    renderWith(<ScanScreen />, backend);
    await userEvent.click(await screen.findByRole("button", { name: "Rescan everything" }));
    expect(await screen.findByRole("button", { name: "Cancel" })).toBeInTheDocument();
    await waitFor(() => expect(screen.getByText(/^Finished/)).toBeInTheDocument(), { timeout: 15_000 });
    const final = await backend.getScanStatus();
    expect(screen.getByTestId("scan-progress-text")).toHaveTextContent(`${final.done} / ${final.total}`);
  }, 20_000);
});

describe("Settings", () => {
  it("saves ref patterns one per line and warns about a loopback listener", async () => {
    const backend = testBackend();
    const save = vi.spyOn(backend, "saveSettings");
    renderWith(<SettingsScreen />, backend);
    const refs = await screen.findByLabelText(/Ref patterns/);
    await userEvent.clear(refs);
    await userEvent.type(refs, "release/*{Enter}hotfix/*{Enter}");
    const address = screen.getByLabelText("Listen address");
    await userEvent.clear(address);
    await userEvent.click(address);
    await userEvent.paste("127.0.0.1");
    await userEvent.selectOptions(screen.getByLabelText("Minimum severity"), "medium");
    await userEvent.click(screen.getByRole("button", { name: "Save changes" }));
    expect(save).toHaveBeenCalledWith(expect.objectContaining({ refPatterns: ["release/*", "hotfix/*"], listenAddress: "127.0.0.1", notifications: expect.objectContaining({ minimumSeverity: "medium" }) }));
    expect(await screen.findByText(/only accepts connections from this computer/)).toBeInTheDocument();
    expect(screen.getByTestId("webhook-url")).toHaveTextContent("http://127.0.0.1:8787/hooks/bitbucket");
  });

  it("shows validation errors from the backend", async () => {
    renderWith(<SettingsScreen />);
    const refs = await screen.findByLabelText(/Ref patterns/);
    await userEvent.clear(refs);
    await userEvent.click(refs);
    await userEvent.paste("refs/heads/main");
    await userEvent.click(screen.getByRole("button", { name: "Save changes" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("without refs/heads/");
  });

  it("reveals and regenerates the webhook secret", async () => {
    const backend = testBackend();
    renderWith(<SettingsScreen />, backend);
    const secret = await screen.findByTestId("webhook-secret");
    expect(secret).not.toHaveTextContent("whsec_");
    await userEvent.click(screen.getByRole("button", { name: "Reveal" }));
    await waitFor(() => expect(secret).toHaveTextContent("whsec_3b9f0c1e7a2d4f68b15e9c0d2a7f4e61"));
    await userEvent.click(screen.getByRole("button", { name: "Regenerate" }));
    await waitFor(() => expect(screen.getByTestId("webhook-secret").textContent).not.toBe("whsec_3b9f0c1e7a2d4f68b15e9c0d2a7f4e61"));
    expect(screen.getByTestId("webhook-secret")).toHaveTextContent(/^whsec_[0-9a-f]{32}$/);
  });
});
