// Scenarios for run.mjs: each navigates, asserts with Playwright's auto-waiting locators,
// and names the screenshot it leaves the page ready for.
/** @typedef {import("playwright-core").Page} Page */
/** @typedef {{ name: string, shot?: string, only?: "light" | "dark", run: (page: Page, ctx: { base: string, scheme: string }) => Promise<void> }} Scenario */

const T = { timeout: 10_000 };

/** @param {boolean} cond @param {string} msg */
function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

/** Full reload on a route: a fresh mock backend each time. @param {Page} page @param {string} base @param {string} route */
async function open(page, base, route, query = "mock") {
  await page.goto(`${base}?${query}#${route}`);
  await page.getByTestId("app-version").filter({ hasText: /\d/ }).waitFor(T);
}

/** @type {Scenario[]} */
export const scenarios = [
  {
    name: "dashboard shows counts, versions and the trend chart",
    shot: "dashboard",
    async run(page, { base }) {
      await open(page, base, "/dashboard");
      check((await page.getByTestId("app-version").textContent()) === "0.1.0", "app-version");
      check((await page.getByTestId("schema-version").textContent()) === "1", "schema-version");
      await page.getByTestId("count-critical").waitFor(T);
      await page.getByTestId("trend-chart").waitFor(T);
      const painted = await page.getByTestId("trend-chart").evaluate((c) => {
        const canvas = /** @type {HTMLCanvasElement} */ (c);
        const ctx = canvas.getContext("2d");
        if (!ctx) return 0;
        const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
        return n / (canvas.width * canvas.height);
      });
      check(painted > 0.2, `trend chart looks empty (${(painted * 100).toFixed(1)}% painted)`);
      await page.getByRole("heading", { name: "Recent pushes" }).waitFor(T);
    },
  },
  {
    name: "repositories list: search with / and filters",
    shot: "repositories",
    async run(page, { base }) {
      await open(page, base, "/repositories");
      const grid = page.getByRole("grid", { name: "Repositories" });
      await grid.getByRole("row").nth(1).waitFor(T);
      await page.keyboard.press("/");
      await page.keyboard.type("gateway");
      // The filter applies on a deferred render: wait until every visible row matches.
      await page.waitForFunction(() => {
        const rows = [...document.querySelectorAll('[aria-label="Repositories"] .vtable-row')];
        return rows.length > 0 && rows.every((r) => r.textContent?.includes("gateway"));
      }, undefined, T);
      await page.keyboard.press("Escape");
      await page.getByRole("button", { name: "Vulnerable", exact: true }).click();
      await grid.getByRole("row").nth(1).waitFor(T);
    },
  },
  {
    name: "repository: overview with manifests and diagnostics",
    shot: "repository",
    async run(page, { base }) {
      await open(page, base, "/repositories");
      await page.getByRole("searchbox", { name: "Search repositories" }).fill("PAY/settlement-3");
      await page.getByRole("grid", { name: "Repositories" }).getByRole("row").filter({ hasText: "PAY/settlement-3" }).first().click();
      await page.getByRole("tab", { name: /Overview/ }).waitFor(T);
      await page.getByRole("heading", { name: "Manifests and lockfiles" }).waitFor(T);
      await page.locator(".diag").first().waitFor(T);
    },
  },
  {
    name: "repository: virtualized dependency table with filters",
    shot: "dependencies",
    async run(page, { base }) {
      await open(page, base, "/repositories");
      await page.getByRole("searchbox", { name: "Search repositories" }).fill("WEB/storefront");
      await page.getByRole("grid", { name: "Repositories" }).getByRole("row").filter({ hasText: "WEB/storefront" }).first().click();
      await page.getByRole("tab", { name: /Dependencies/ }).click();
      const grid = page.getByRole("grid", { name: "Dependencies" });
      await grid.getByRole("rowgroup").getByRole("row").first().waitFor(T);
      const rendered = await grid.getByRole("rowgroup").getByRole("row").count();
      const total = Number(await grid.getAttribute("aria-rowcount")) - 1;
      check(total > 1000 && rendered < 200, `expected virtualization: ${rendered} rendered of ${total}`);
      await page.getByRole("button", { name: "direct", exact: true }).click();
      const after = Number(await grid.getAttribute("aria-rowcount")) - 1;
      check(after < total, `direct filter did not filter (${after} of ${total})`);
      await page.getByRole("button", { name: "direct", exact: true }).click();
    },
  },
  {
    name: "findings: open a finding and acknowledge it",
    shot: "findings",
    async run(page, { base }) {
      await open(page, base, "/findings");
      const grid = page.getByRole("grid", { name: "Findings" });
      const openRow = grid.locator(".vtable-row:has(.badge.fstate-open)").first();
      await openRow.click();
      const detail = page.getByRole("complementary", { name: "Finding details" });
      await detail.getByRole("button", { name: "Acknowledge" }).click();
      await detail.locator(".badge.fstate-acknowledged").waitFor(T);
      await detail.getByText("Acknowledged: no more notifications").waitFor(T);
      await detail.getByText(/CVSS 3\.1|informational advisory/i).first().waitFor(T);
    },
  },
  {
    name: "findings: close dialog opens, Esc closes it",
    async run(page, { base }) {
      await open(page, base, "/findings");
      await page.getByRole("grid", { name: "Findings" }).getByRole("rowgroup").getByRole("row").first().click();
      await page.getByRole("button", { name: "Close…" }).click();
      const dialog = page.getByRole("dialog", { name: "Close finding" });
      await dialog.waitFor(T);
      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "detached", timeout: 5000 });
    },
  },
  {
    name: "advisory: blast radius",
    shot: "advisory",
    async run(page, { base }) {
      await open(page, base, "/advisories/GHSA-c2qf-rxjj-qqgw");
      await page.getByRole("heading", { name: "Blast radius" }).waitFor(T);
      await page.getByText("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H").first().waitFor(T);
    },
  },
  {
    name: "connect: OAuth Application Link wizard waiting for the callback",
    shot: "connect",
    async run(page, { base }) {
      await open(page, base, "/connect");
      await page.getByRole("button", { name: "Generate link values" }).click();
      await page.getByTestId("consumer-key").waitFor(T);
      await page.getByRole("button", { name: "Open browser" }).click();
      await page.getByText("Waiting for Bitbucket to call back").waitFor(T);
      // The whole wizard in one picture: a taller window for this shot only.
      await page.setViewportSize({ width: 1280, height: 1180 });
      await page.locator("main").evaluate((m) => m.scrollTo(0, 0));
    },
  },
  {
    name: "connect: token test shows a readable 401",
    shot: "connect-token",
    async run(page, { base }) {
      await page.setViewportSize({ width: 1280, height: 800 });
      await open(page, base, "/connect");
      await page.getByRole("radio", { name: "Access token" }).click();
      await page.locator("#token").fill("bad-token");
      await page.getByRole("button", { name: "Test connection" }).click();
      await page.getByTestId("test-result").filter({ hasText: "401 Unauthorized" }).waitFor(T);
    },
  },
  {
    name: "perimeter: project tree with webhook status",
    shot: "perimeter",
    async run(page, { base }) {
      await open(page, base, "/perimeter");
      await page.getByRole("button", { name: "Expand PAY" }).click();
      await page.getByRole("treeitem").filter({ hasText: "billing" }).first().waitFor(T);
    },
  },
  {
    name: "historical scan: progress and per-repository status",
    shot: "scan",
    async run(page, { base }) {
      await open(page, base, "/scan");
      await page.getByRole("button", { name: "Rescan everything" }).click();
      await page.getByText(/^Scanning /).waitFor(T);
      await page.waitForTimeout(1200);
      const now = Number(await page.getByRole("progressbar").getAttribute("aria-valuenow"));
      check(now > 0, "scan did not progress");
    },
  },
  {
    name: "settings: webhook URL, secret and notifications",
    shot: "settings",
    async run(page, { base }) {
      await open(page, base, "/settings");
      await page.getByTestId("webhook-url").filter({ hasText: "/hooks/bitbucket" }).waitFor(T);
      await page.getByLabel("Listen address").fill("127.0.0.1");
      await page.getByRole("button", { name: "Save changes" }).click();
      await page.getByText("only accepts connections from this computer").waitFor(T);
    },
  },
  {
    name: "10,000 repositories stay responsive",
    only: "light",
    async run(page, { base }) {
      await open(page, base, "/repositories", "mock=large");
      const grid = page.getByRole("grid", { name: "Repositories" });
      await grid.getByRole("rowgroup").getByRole("row").first().waitFor({ timeout: 20_000 });
      check(Number(await grid.getAttribute("aria-rowcount")) - 1 >= 9000, "expected ~10,000 rows");
      const rendered = await grid.getByRole("rowgroup").getByRole("row").count();
      check(rendered < 100, `rendered ${rendered} rows`);
      const started = Date.now();
      await grid.getByRole("rowgroup").focus();
      await page.keyboard.press("End");
      await page.keyboard.press("Home");
      await page.getByRole("searchbox", { name: "Search repositories" }).fill("scanner");
      await grid.getByRole("row").filter({ hasText: "SEC/scanner" }).first().waitFor(T);
      console.log(`     10k: End/Home/search round trip ${Date.now() - started} ms, ${rendered} rows in the DOM`);
    },
  },
  {
    name: "fresh install: empty states instead of blank screens",
    only: "light",
    async run(page, { base }) {
      await open(page, base, "/dashboard", "mock=empty");
      await page.getByText("Nothing monitored yet").waitFor(T);
      await page.keyboard.press("2");
      await page.getByText("No repositories monitored").waitFor(T);
      await page.keyboard.press("6");
      await page.getByText("No scan yet").waitFor(T);
      await page.keyboard.press("4");
      await page.getByLabel("Instance URL").waitFor(T);
      check((await page.getByLabel("Instance URL").inputValue()) === "", "instance URL should start empty");
    },
  },
  {
    name: "keyboard: number keys switch screens",
    only: "light",
    async run(page, { base }) {
      await open(page, base, "/dashboard");
      await page.keyboard.press("3");
      await page.getByRole("heading", { level: 1, name: "Findings" }).waitFor(T);
      await page.keyboard.press("7");
      await page.getByRole("heading", { level: 1, name: "Settings" }).waitFor(T);
    },
  },
];
