import { screen, waitFor, within } from "@testing-library/react";
import userEventLib from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { BackendError } from "../backend";
import { renderWith, testBackend } from "../test/render";
import { FindingsScreen } from "./Findings";

// No artificial delay between simulated keystrokes: keeps the suite fast.
const userEvent = userEventLib.setup({ delay: null });

/** Data rows of the virtualized grid (they render one frame after the data arrives). */
async function rows() {
  return waitFor(() => {
    const grid = screen.getByRole("grid", { name: "Findings" });
    const found = within(grid).getAllByRole("row").slice(1);
    if (found.length === 0) throw new Error("no rows yet");
    return found;
  });
}

describe("Findings", () => {
  it("severity chips filter the list through list_findings", async () => {
    const backend = testBackend();
    const spy = vi.spyOn(backend, "listFindings");
    renderWith(<FindingsScreen />, backend);
    await rows();
    await userEvent.click(within(screen.getByRole("group", { name: "Severity" })).getByRole("button", { name: "Critical" }));
    await waitFor(() => expect(spy).toHaveBeenLastCalledWith(expect.objectContaining({ severities: ["critical"], states: ["open", "acknowledged"] })));
    await waitFor(async () => {
      const shown = await rows();
      expect(shown.length).toBeGreaterThan(0);
      for (const r of shown) expect(r).toHaveTextContent("Critical");
    });
    const expected = (await backend.listFindings({ severities: ["critical"], states: ["open", "acknowledged"] })).length;
    expect(screen.getByText(new RegExp(`^${expected} findings?$`))).toBeInTheDocument();
  });

  it("opens pre-filtered from a dashboard link", async () => {
    renderWith(<FindingsScreen preset="high" />);
    await waitFor(async () => {
      const shown = await rows();
      for (const r of shown) expect(r).toHaveTextContent("High");
    });
    expect(within(screen.getByRole("group", { name: "Severity" })).getByRole("button", { name: "High" })).toHaveAttribute("aria-pressed", "true");
  });

  it("the Informational kind filter shows only unmaintained/unsound/notice", async () => {
    renderWith(<FindingsScreen />);
    await rows();
    await userEvent.click(screen.getByRole("button", { name: "Informational" }));
    await waitFor(async () => {
      const shown = await rows();
      expect(shown.length).toBeGreaterThan(0);
      for (const r of shown) expect(r.textContent).toMatch(/Unmaintained|Unsound|Notice/);
    });
  });

  it("acknowledge calls acknowledge_finding with the finding id and shows the new state", async () => {
    const backend = testBackend();
    const ack = vi.spyOn(backend, "acknowledgeFinding");
    renderWith(<FindingsScreen />, backend);
    const first = (await backend.listFindings({ states: ["open"] }))[0]!;
    const row = (await rows()).find((r) => r.textContent?.includes(first.advisoryId) && r.textContent.includes("Open"))!;
    await userEvent.click(row);
    const detail = screen.getByRole("complementary", { name: "Finding details" });
    await userEvent.click(within(detail).getByRole("button", { name: "Acknowledge" }));
    expect(ack).toHaveBeenCalledWith(first.id);
    expect(await within(detail).findByText(/Acknowledged: no more notifications/)).toBeInTheDocument();
  });

  it("close sends the chosen reason and comment", async () => {
    const backend = testBackend();
    const close = vi.spyOn(backend, "closeFinding");
    renderWith(<FindingsScreen />, backend);
    await userEvent.click((await rows())[0]!);
    await userEvent.click(screen.getByRole("button", { name: "Close…" }));
    const dialog = screen.getByRole("dialog", { name: "Close finding" });
    await userEvent.click(within(dialog).getByLabelText(/Mitigated/));
    await userEvent.click(within(dialog).getByLabelText(/Comment/));
    await userEvent.paste("WAF blocks the payload");
    await userEvent.click(within(dialog).getByRole("button", { name: "Close finding" }));
    const id = Number(close.mock.calls[0]?.[0]);
    expect(close).toHaveBeenCalledWith(id, "mitigated", "WAF blocks the payload");
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
  });

  it("ignore needs a reason and sends the expiry date", async () => {
    const backend = testBackend();
    const ignore = vi.spyOn(backend, "ignoreFinding");
    renderWith(<FindingsScreen />, backend);
    await userEvent.click((await rows())[0]!);
    await userEvent.click(screen.getByRole("button", { name: "Ignore…" }));
    const dialog = screen.getByRole("dialog", { name: "Ignore finding" });
    const submit = within(dialog).getByRole("button", { name: /Ignore until/ });
    expect(submit).toBeDisabled();
    await userEvent.click(within(dialog).getByLabelText("Reason"));
    await userEvent.paste("Test fixture only");
    const date = within(dialog).getByLabelText("Reopens on");
    await userEvent.clear(date);
    await userEvent.click(date);
    await userEvent.paste("2099-03-31");
    await userEvent.click(within(dialog).getByRole("button", { name: "Ignore until 2099-03-31" }));
    expect(ignore).toHaveBeenCalledWith(expect.any(Number), "Test fixture only", "2099-03-31");
  });

  it("Esc closes the lifecycle dialog without calling the backend", async () => {
    const backend = testBackend();
    const close = vi.spyOn(backend, "closeFinding");
    renderWith(<FindingsScreen />, backend);
    await userEvent.click((await rows())[0]!);
    await userEvent.click(screen.getByRole("button", { name: "Close…" }));
    expect(screen.getByRole("dialog")).toBeInTheDocument();
    await userEvent.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(close).not.toHaveBeenCalled();
  });

  it("shows the backend's message when an action fails", async () => {
    const backend = testBackend({ acknowledgeFinding: () => Promise.reject(new BackendError("database", "database is locked")) });
    renderWith(<FindingsScreen />, backend);
    const row = (await rows()).find((r) => r.textContent?.includes("Open"))!;
    await userEvent.click(row);
    await userEvent.click(screen.getByRole("button", { name: "Acknowledge" }));
    expect(await screen.findByText("database is locked")).toBeInTheDocument();
  });

  it("arrow keys and Enter open a finding from the keyboard", async () => {
    renderWith(<FindingsScreen />);
    await rows();
    const body = screen.getByRole("grid", { name: "Findings" }).querySelector(".vtable-body") as HTMLElement;
    body.focus();
    await userEvent.keyboard("{ArrowDown}{Enter}");
    const second = (await rows())[1]!;
    expect(second).toHaveAttribute("aria-selected", "true");
    const detail = screen.getByRole("complementary", { name: "Finding details" });
    expect(await within(detail).findByRole("group", { name: "Finding actions" })).toBeInTheDocument();
  });

  it("renders the error state with retry", async () => {
    let fail = true;
    const backend = testBackend();
    const real = backend.listFindings;
    backend.listFindings = (f) => (fail ? Promise.reject(new BackendError("database", "disk I/O error")) : real(f));
    renderWith(<FindingsScreen />, backend);
    expect(await screen.findByRole("alert")).toHaveTextContent("disk I/O error");
    fail = false;
    await userEvent.click(screen.getByRole("button", { name: "Retry" }));
    expect((await rows()).length).toBeGreaterThan(0);
  });
});
