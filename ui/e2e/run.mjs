// End-to-end walk of the UI in Debian's Chromium against the mock backend.
// Serves ui/dist with `vite preview` on a free port, visits every main screen, performs an
// acknowledge, and saves light and dark screenshots to docs/screenshots/ at the repo top level.
// Usage: npm run test:e2e   (builds first). Env: CHROMIUM=/path/to/chromium, E2E_SHOTS=0 to skip shots,
// E2E_SHOTS_DIR=dir to write them elsewhere (the test command does, so a test run leaves docs/ alone).
import { createServer } from "node:net";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { preview } from "vite";
import { chromium } from "playwright-core";
import { scenarios } from "./scenarios.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const uiDir = resolve(here, "..");
const shotsDir = process.env.E2E_SHOTS_DIR
  ? resolve(process.env.E2E_SHOTS_DIR)
  : resolve(uiDir, "..", "docs", "screenshots");
const takeShots = process.env.E2E_SHOTS !== "0";

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

/** The window's CSP from tauri.conf.json, so the browser run enforces what the Tauri window will. */
function tauriCsp() {
  const conf = resolve(uiDir, "..", "tauri.conf.json");
  if (!existsSync(conf)) return null;
  const csp = JSON.parse(readFileSync(conf, "utf8"))?.app?.security?.csp;
  if (!csp) return null;
  if (typeof csp === "string") return csp;
  return Object.entries(csp).map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(" ") : v}`).join("; ");
}

const csp = tauriCsp();
const port = await freePort();
const server = await preview({
  root: uiDir,
  logLevel: "warn",
  preview: { host: "127.0.0.1", port, strictPort: true, open: false, headers: csp ? { "Content-Security-Policy": csp } : {} },
});
console.log(csp ? "CSP from tauri.conf.json enforced" : "no tauri.conf.json CSP found; running without one");
const base = `http://127.0.0.1:${port}/`;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});

let failures = 0;
const started = Date.now();
try {
  if (takeShots) mkdirSync(shotsDir, { recursive: true });
  for (const scheme of /** @type {const} */ (["light", "dark"])) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: scheme, deviceScaleFactor: 1 });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    // tauri.conf.json sets freezePrototype: the UI must work with a frozen Object.prototype.
    await page.addInitScript(() => Object.freeze(Object.prototype));
    /** @type {string[]} */
    const consoleErrors = [];
    page.on("console", (m) => (m.type() === "error" || /Content.Security.Policy/i.test(m.text())) && consoleErrors.push(m.text()));
    page.on("pageerror", (e) => consoleErrors.push(String(e)));
    for (const sc of scenarios) {
      if (sc.only && sc.only !== scheme) continue;
      const label = `${sc.name} [${scheme}]`;
      try {
        await sc.run(page, { base, scheme });
        if (takeShots && sc.shot) {
          await page.waitForTimeout(150);
          await page.screenshot({ path: resolve(shotsDir, `${sc.shot}-${scheme}.png`) });
        }
        console.log(`ok   ${label}`);
      } catch (err) {
        failures++;
        console.error(`FAIL ${label}: ${err instanceof Error ? err.message : err}`);
        if (takeShots) await page.screenshot({ path: resolve(uiDir, `e2e-failure-${sc.shot ?? sc.name.replace(/\W+/g, "-")}-${scheme}.png`) }).catch(() => {});
      }
    }
    if (consoleErrors.length > 0) {
      failures++;
      console.error(`FAIL console errors [${scheme}]:\n  ${consoleErrors.join("\n  ")}`);
    }
    await context.close();
  }
} finally {
  await browser.close();
  await new Promise((res) => server.httpServer.close(res));
}
console.log(`${failures === 0 ? "passed" : `${failures} failed`} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(failures === 0 ? 0 : 1);
