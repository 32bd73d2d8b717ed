import { screen, within } from "@testing-library/react";
import userEventLib from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { renderWith, testBackend } from "../test/render";
import { AdvisoryScreen } from "./Advisory";

const userEvent = userEventLib.setup({ delay: null });

describe("Advisory", () => {
  it("lists every affected repository (blast radius) with CVSS details", async () => {
    const backend = testBackend();
    const advisory = await backend.getAdvisory("GHSA-c2qf-rxjj-qqgw");
    renderWith(<AdvisoryScreen id="GHSA-c2qf-rxjj-qqgw" />, backend);
    const blast = (await screen.findByRole("heading", { name: "Blast radius" })).closest("section")!;
    const rows = within(blast).getAllByRole("row").slice(1);
    expect(rows).toHaveLength(advisory.affectedRepositories.length);
    expect(advisory.affectedRepositories.length).toBeGreaterThan(0);
    const first = advisory.affectedRepositories[0]!;
    expect(rows[0]).toHaveTextContent(`${first.projectKey}/${first.slug}`);
    expect(screen.getByText("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H")).toBeInTheDocument();
    expect(screen.getByText("7.5.2, 6.3.1, 5.7.2")).toBeInTheDocument();
  });

  it("resolves an alias and opens references through open_external", async () => {
    const backend = testBackend();
    const open = vi.spyOn(backend, "openExternal").mockResolvedValue();
    renderWith(<AdvisoryScreen id="CVE-2021-44228" />, backend);
    const link = await screen.findByRole("link", { name: "https://logging.apache.org/log4j/2.x/security.html" });
    await userEvent.click(link);
    expect(open).toHaveBeenCalledWith("https://logging.apache.org/log4j/2.x/security.html");
  });

  it("marks informational advisories as such", async () => {
    renderWith(<AdvisoryScreen id="RUSTSEC-2024-0384" />);
    expect(await screen.findByText(/Informational advisory: reported apart from vulnerabilities/)).toBeInTheDocument();
    expect(screen.getAllByText("Unmaintained").length).toBeGreaterThan(0);
  });

  it("shows not-found for an unknown advisory", async () => {
    renderWith(<AdvisoryScreen id="GHSA-xxxx-xxxx-xxxx" />);
    expect(await screen.findByRole("alert")).toHaveTextContent("GHSA-xxxx-xxxx-xxxx is not in the local database");
  });
});
