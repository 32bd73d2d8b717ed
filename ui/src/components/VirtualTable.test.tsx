import { render, screen, within } from "@testing-library/react";
import userEventLib from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { VirtualTable } from "./VirtualTable";

// No artificial delay between simulated keystrokes: keeps the suite fast.
const userEvent = userEventLib.setup({ delay: null });

const rows = Array.from({ length: 10_000 }, (_, i) => ({ id: i, name: `repo-${i}` }));
const columns = [{ key: "name", header: "Name", width: "1fr", render: (r: { name: string }) => r.name }];

describe("VirtualTable", () => {
  it("renders only the visible window of 10,000 rows", async () => {
    render(<VirtualTable label="Big" rows={rows} columns={columns} rowKey={(r) => r.id} />);
    const grid = screen.getByRole("grid", { name: "Big" });
    const rendered = await within(grid).findAllByRole("gridcell");
    expect(rendered.length).toBeGreaterThan(5);
    expect(rendered.length).toBeLessThan(100);
    expect(grid).toHaveAttribute("aria-rowcount", "10001");
  });

  it("moves with arrows and End, and opens with Enter", async () => {
    const onOpen = vi.fn();
    render(<VirtualTable label="Big" rows={rows} columns={columns} rowKey={(r) => r.id} onOpen={onOpen} />);
    const body = screen.getByRole("grid").querySelector(".vtable-body") as HTMLElement;
    body.focus();
    await userEvent.keyboard("{ArrowDown}{ArrowDown}{Enter}");
    expect(onOpen).toHaveBeenLastCalledWith(rows[2]);
    await userEvent.keyboard("{End}{Enter}");
    expect(onOpen).toHaveBeenLastCalledWith(rows[9999]);
    await userEvent.keyboard("{Home}{ArrowUp}{Enter}");
    expect(onOpen).toHaveBeenLastCalledWith(rows[0]);
  });
});
