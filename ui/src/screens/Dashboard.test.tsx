import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { BackendError } from "../backend";
import { renderWith, testBackend } from "../test/render";
import { DashboardScreen } from "./Dashboard";

describe("Dashboard", () => {
  it("shows severity counts that match the backend", async () => {
    const backend = testBackend();
    const dash = await backend.getDashboard();
    renderWith(<DashboardScreen />, backend);
    expect(await screen.findByTestId("count-critical")).toHaveTextContent(String(dash.counts.critical));
    expect(screen.getByTestId("count-high")).toHaveTextContent(String(dash.counts.high));
    const info = dash.informational.unmaintained + dash.informational.unsound + dash.informational.notice;
    expect(screen.getByTestId("count-informational")).toHaveTextContent(String(info));
    const top = screen.getByRole("region", { name: "Most vulnerable repositories" });
    expect(within(top).getAllByRole("row")[0]).toHaveTextContent(`${dash.topRepositories[0]!.projectKey}/${dash.topRepositories[0]!.slug}`);
    const pushes = screen.getByRole("region", { name: "Recent pushes" });
    expect(within(pushes).getAllByRole("listitem")).toHaveLength(dash.recentPushes.length);
  });

  it("severity cards open the findings list filtered to that severity", async () => {
    renderWith(<DashboardScreen />);
    expect(await screen.findByTestId("count-critical")).toHaveAttribute("href", "#/findings/critical");
    expect(screen.getByTestId("count-informational")).toHaveAttribute("href", "#/findings/informational");
  });

  it("shows the empty state on a fresh install", async () => {
    renderWith(<DashboardScreen />, testBackend({}, 0));
    expect(await screen.findByText("Nothing monitored yet")).toBeInTheDocument();
  });

  it("shows the error message and code when loading fails", async () => {
    renderWith(<DashboardScreen />, testBackend({ getDashboard: () => Promise.reject(new BackendError("database", "no such table: findings")) }));
    expect(await screen.findByRole("alert")).toHaveTextContent("no such table: findings");
    expect(screen.getByRole("alert")).toHaveTextContent("database");
  });
});
