// Scenarios for run.mjs: each navigates, asserts with Playwright's auto-waiting locators,
// and names the screenshot it leaves the page ready for.
/** @typedef {{ name: string, shot?: string, only?: "light" | "dark", run: (page: import("playwright-core").Page, ctx: { base: string, scheme: string }) => Promise<void> }} Scenario */

const T = { timeout: 10_000 };

/** @param {import("playwright-core").Locator} loc @param {string} text */
async function expectText(loc, text) {
  await loc.filter({ hasText: text }).first().waitFor(T);
}

/** @type {Scenario[]} */
export const scenarios = [
  {
    name: "dashboard shows counts, versions and the trend chart",
    shot: "dashboard",
    async run(page, { base }) {
      await page.goto(`${base}?mock#/dashboard`);
      await page.getByTestId("app-version").filter({ hasText: "0.1.0" }).waitFor(T);
      const schema = await page.getByTestId("schema-version").textContent();
      if (schema !== "1") throw new Error(`schema-version is ${JSON.stringify(schema)}`);
      await page.getByTestId("count-critical").waitFor(T);
      await page.locator(".recharts-area").first().waitFor(T);
      await expectText(page.locator("h2"), "Recent pushes");
    },
  },
];
