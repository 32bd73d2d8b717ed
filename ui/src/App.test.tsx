import { screen, waitFor } from "@testing-library/react";
import userEventLib from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { render } from "@testing-library/react";
import { App } from "./App";

// No artificial delay between simulated keystrokes: keeps the suite fast.
const userEvent = userEventLib.setup({ delay: null });
import { BackendError } from "./backend";
import { testBackend } from "./test/render";

describe("App shell", () => {
  it("shows app and schema version from app_info in the status area", async () => {
    render(<App backend={testBackend()} />);
    expect(await screen.findByTestId("app-version")).toHaveTextContent(/^0\.1\.0$/);
    expect(screen.getByTestId("schema-version")).toHaveTextContent(/^1$/);
  });

  it("toggles monitoring through set_monitoring and follows monitoring-changed events", async () => {
    const backend = testBackend();
    const setMonitoring = vi.spyOn(backend, "setMonitoring");
    render(<App backend={backend} />);
    const toggle = await screen.findByRole("button", { name: /monitoring active/i });
    await userEvent.click(toggle);
    expect(setMonitoring).toHaveBeenCalledWith(true);
    expect(await screen.findByRole("button", { name: /monitoring paused/i })).toBeInTheDocument();
  });

  it("opens the finding a clicked notification names (event open-finding)", async () => {
    window.location.hash = "#/";
    let clicked: ((p: { findingId: number }) => void) | null = null;
    const backend = testBackend({
      onOpenFinding: (h) => {
        clicked = h;
        return Promise.resolve(() => {});
      },
    });
    const [target] = await backend.listFindings({ states: ["closed"] });
    render(<App backend={backend} />);
    await waitFor(() => expect(clicked).not.toBeNull());
    clicked!({ findingId: target!.id });
    const detail = await screen.findByRole("complementary", { name: "Finding details" });
    await waitFor(() => expect(detail).toHaveTextContent(target!.advisoryId));
    expect(window.location.hash).toBe(`#/findings/open/${target!.id}`);
  });

  it("renders the backend error message when app_info fails", async () => {
    const backend = testBackend({ appInfo: () => Promise.reject(new BackendError("database", "Database is locked by another depwatch process.")) });
    render(<App backend={backend} />);
    await waitFor(() => expect(screen.getAllByRole("alert").some((a) => a.textContent?.includes("Database is locked"))).toBe(true));
  });
});
