/**
 * In-memory backend with realistic demo data, used in a plain browser, in tests and in
 * screenshots. Deterministic: the same options give the same data. Lifecycle actions, settings
 * and the scan mutate the in-memory state and emit the same events the Rust shell emits.
 */
import { BackendError, type Backend, type Unsubscribe } from "./backend";
import {
  ADVISORIES,
  DEMO_PUBLIC_KEY_PEM,
  FILLER,
  MANIFEST_BY_ECOSYSTEM,
  PEOPLE,
  PROJECTS,
  type CatalogAdvisory,
} from "./mock-data";
import type {
  AdvisoryDetail,
  AdvisorySourceStatus,
  AppInfo,
  BranchInfo,
  ConnectionStatus,
  ConnectionTestResult,
  Dashboard,
  DataChanged,
  DependencyRow,
  Diagnostic,
  Ecosystem,
  Finding,
  FindingFilter,
  FindingRef,
  ManifestInfo,
  MonitoringChanged,
  OAuthSetup,
  OAuthStatus,
  Perimeter,
  PerimeterProject,
  PushEvent,
  RepositorySummary,
  ScanItem,
  ScanStatus,
  Settings,
  SettingsUpdate,
  Severity,
  TokenConnectionRequest,
  TrendPoint,
  WebhookStatus,
} from "./types";

export interface MockOptions {
  /** Number of repositories to generate (0 = fresh install, nothing connected). */
  repositories?: number;
  /** Artificial latency of every call, in milliseconds. */
  latencyMs?: number;
  /** Reference time for all generated dates (default: now). */
  now?: number;
  /** Milliseconds after `oauthStart` before the mock "receives" the callback (0 = never). */
  oauthCallbackMs?: number;
  /** Milliseconds between scan progress steps. */
  scanTickMs?: number;
}

const DAY = 86_400_000;

/** Small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const hex = (r: () => number, n: number) =>
  Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join("");

const SEVERITY_RANK: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1, unknown: 0 };

interface MockRepo {
  summary: RepositorySummary;
  ecosystems: Ecosystem[];
  /** Vulnerable packages placed in this repository. */
  hits: { advisory: CatalogAdvisory; version: string; branch: string; direct: boolean }[];
  releaseBranches: string[];
  seed: number;
}

interface FindingMeta {
  finding: Finding;
  /** When the finding was resolved (fixed by a push), for the trend; null = still there. */
  resolvedAt: number | null;
}

function emptyCounts() {
  return { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 };
}

export function createMockBackend(options: MockOptions = {}): Backend {
  const repoCount = options.repositories ?? 240;
  const latency = options.latencyMs ?? 0;
  const now = options.now ?? Date.now();
  const oauthCallbackMs = options.oauthCallbackMs ?? 6000;
  const scanTickMs = options.scanTickMs ?? 80;
  const r = rng(20261121);

  // ---- listeners
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  function emit(event: string, payload: unknown) {
    for (const h of listeners.get(event) ?? []) h(payload);
  }
  function subscribe<T>(event: string, h: (p: T) => void): Promise<Unsubscribe> {
    const set = listeners.get(event) ?? new Set();
    listeners.set(event, set);
    const fn = h as (p: unknown) => void;
    set.add(fn);
    return Promise.resolve(() => set.delete(fn));
  }
  const changed = (scope: DataChanged["scope"]) => emit("data-changed", { scope } satisfies DataChanged);

  async function respond<T>(f: () => T): Promise<T> {
    if (latency > 0) await new Promise((res) => setTimeout(res, latency));
    // Structured clone so callers can never mutate the mock's state by accident.
    return structuredClone(f());
  }

  // ---- app
  const app: AppInfo = {
    version: "0.1.0",
    dataDir: "/home/demo/.local/share/depwatch",
    databasePath: "/home/demo/.local/share/depwatch/depwatch.db",
    schemaVersion: 1,
    monitoring: "active",
  };

  // ---- connection
  let connection: ConnectionStatus =
    repoCount > 0
      ? {
          instanceUrl: "https://bitbucket.example.com",
          authMode: "oauth",
          connected: true,
          username: "depwatch-bot",
          serverVersion: "9.2.4",
          caFile: null,
          lastCheckedAt: iso(now - 5 * 60_000),
          lastError: null,
        }
      : {
          instanceUrl: null,
          authMode: null,
          connected: false,
          username: null,
          serverVersion: null,
          caFile: null,
          lastCheckedAt: null,
          lastError: null,
        };
  let oauth: OAuthStatus = { state: "idle", error: null };
  let oauthSetup: OAuthSetup | null = null;
  let oauthTimer: ReturnType<typeof setTimeout> | null = null;

  // ---- repositories
  const repos: MockRepo[] = [];
  const projectRepoCount = new Map<string, number>();
  for (let i = 0; i < repoCount; i++) {
    const personal = i % 37 === 36;
    const project = personal
      ? { key: `~${pick(r, ["amartin", "bhaddad", "cwei", "hsato"])}`, name: "Personal", ecosystems: ["npm", "PyPI"] as Ecosystem[], words: ["sandbox", "experiments", "dotfiles", "scratch"] }
      : PROJECTS[i % PROJECTS.length]!;
    const n = (projectRepoCount.get(project.key) ?? 0) + 1;
    projectRepoCount.set(project.key, n);
    const word = project.words[(n - 1) % project.words.length]!;
    const round = Math.floor((n - 1) / project.words.length);
    const slug = round === 0 ? word : `${word}-${round + 1}`;
    const ecosystems = r() < 0.3 && project.ecosystems.length > 1 ? [...project.ecosystems] : [pick(r, project.ecosystems)];
    const archived = r() < 0.05;
    const hits: MockRepo["hits"] = [];
    const candidates = ADVISORIES.filter((a) => ecosystems.includes(a.ecosystem));
    const healthy = r() < 0.35;
    if (!healthy) {
      for (const a of candidates) {
        const p = a.kind === "vulnerability" ? (a.severity === "critical" ? 0.12 : 0.3) : 0.35;
        if (r() < p) {
          hits.push({ advisory: a, version: pick(r, a.vulnerableVersions), branch: "main", direct: r() < 0.4 });
        }
      }
    }
    const releaseBranches = r() < 0.4 ? [`release/${1 + Math.floor(r() * 3)}.${Math.floor(r() * 10)}`] : [];
    if (releaseBranches.length > 0 && hits.length > 0 && r() < 0.5) {
      const h = hits[0]!;
      hits.push({ ...h, branch: releaseBranches[0]! });
    }
    const webhookRoll = r();
    const webhook: WebhookStatus =
      webhookRoll < 0.78
        ? { state: "installed", lastDeliveryAt: iso(now - Math.floor(r() * 3 * DAY)), detail: null }
        : webhookRoll < 0.88
          ? { state: "missing", lastDeliveryAt: null, detail: "No depwatch webhook on this repository." }
          : webhookRoll < 0.94
            ? { state: "failing", lastDeliveryAt: iso(now - 4 * DAY), detail: "Last 12 deliveries failed: connection refused (is the listener reachable from Bitbucket?)" }
            : { state: "polling", lastDeliveryAt: null, detail: "No REPO_ADMIN permission: polling every 15 minutes." };
    const id = 1000 + i;
    const counts = emptyCounts();
    const informational = { unmaintained: 0, unsound: 0, notice: 0 };
    repos.push({
      seed: id * 7919,
      ecosystems,
      hits,
      releaseBranches,
      summary: {
        id,
        projectKey: project.key,
        projectName: personal ? `${project.key.slice(1)} (personal)` : project.name,
        slug,
        name: slug,
        defaultBranch: "main",
        archived,
        personal,
        counts,
        informational,
        dependencyCount: 0,
        scanState: i % 97 === 13 ? "failed" : "ok",
        lastScannedAt: iso(now - Math.floor(r() * 2 * DAY)),
        lastPushAt: r() < 0.8 ? iso(now - Math.floor(r() * 20 * DAY)) : null,
        webhook,
        webUrl: `https://bitbucket.example.com/projects/${project.key}/repos/${slug}/browse`,
      },
    });
  }
  const repoById = new Map(repos.map((x) => [x.summary.id, x]));

  // ---- findings
  const depCache = new Map<string, DependencyRow[]>();
  const findings: FindingMeta[] = [];
  let nextFindingId = 1;
  for (const repo of repos) {
    for (const hit of repo.hits) {
      const a = hit.advisory;
      const manifest = manifestPath(a.ecosystem, repo);
      // Most findings predate the trend window, so the chart starts from a realistic baseline.
      const introducedAt = r() < 0.6 ? now - Math.floor(100 * DAY + r() * 300 * DAY) : now - Math.floor(r() * 85 * DAY) - DAY;
      const stateRoll = r();
      const resolved = stateRoll > 0.9;
      const finding: Finding = {
        id: nextFindingId++,
        repositoryId: repo.summary.id,
        projectKey: repo.summary.projectKey,
        slug: repo.summary.slug,
        branch: hit.branch,
        advisoryId: a.id,
        aliases: a.aliases,
        kind: a.kind,
        severity: a.severity,
        cvssScore: a.cvss?.score ?? null,
        summary: a.summary,
        package: { ecosystem: a.ecosystem, name: a.package, version: hit.version },
        manifest,
        dependencyPath: dependencyPath(repo, a, hit.version, hit.direct),
        direct: hit.direct,
        fixedVersions: a.fixedVersions,
        state: "open",
        stateReason: null,
        ignoredUntil: null,
        stateChangedAt: null,
        introducedAt: iso(introducedAt),
        introducedByPushId: null,
      };
      if (stateRoll > 0.97) {
        finding.state = "ignored";
        finding.stateReason = "Only used in build tooling; upgrade planned with the Q1 toolchain bump.";
        finding.ignoredUntil = day(now + 30 * DAY);
        finding.stateChangedAt = iso(now - 3 * DAY);
      } else if (resolved) {
        finding.state = "closed";
        finding.stateReason = stateRoll > 0.95 ? "mitigated" : "does-not-apply";
        finding.stateChangedAt = iso(introducedAt + Math.floor(r() * 20 * DAY));
      } else if (stateRoll > 0.8) {
        finding.state = "acknowledged";
        finding.stateChangedAt = iso(now - Math.floor(r() * 10 * DAY));
      }
      findings.push({ finding, resolvedAt: finding.state === "closed" ? Date.parse(finding.stateChangedAt!) : null });
    }
  }
  const findingById = new Map(findings.map((m) => [m.finding.id, m]));

  function manifestPath(eco: Ecosystem, repo: MockRepo): string {
    const m = MANIFEST_BY_ECOSYSTEM[eco]?.path ?? "manifest";
    return repo.ecosystems.length > 1 && eco !== repo.ecosystems[0] ? `${eco === "npm" ? "web" : "tools"}/${m}` : m;
  }

  function dependencyPath(repo: MockRepo, a: CatalogAdvisory, version: string, direct: boolean): string[] {
    const root = `${repo.summary.slug}@0.0.0`;
    const leaf = `${a.package}@${version}`;
    if (direct) return [root, leaf];
    const fillers = FILLER[a.ecosystem] ?? [];
    const mid = fillers[(repo.seed + a.id.length) % Math.max(1, fillers.length)];
    return mid ? [root, `${mid[0]}@${mid[1]}`, leaf] : [root, leaf];
  }

  function recount() {
    for (const repo of repos) {
      repo.summary.counts = emptyCounts();
      repo.summary.informational = { unmaintained: 0, unsound: 0, notice: 0 };
    }
    for (const { finding } of findings) {
      if (finding.state !== "open" && finding.state !== "acknowledged") continue;
      const s = repoById.get(finding.repositoryId)?.summary;
      if (!s) continue;
      if (finding.kind === "vulnerability") s.counts[finding.severity]++;
      else s.informational[finding.kind]++;
    }
  }
  const findingsByRepo = new Map<number, FindingMeta[]>();
  for (const m of findings) {
    const list = findingsByRepo.get(m.finding.repositoryId) ?? [];
    list.push(m);
    findingsByRepo.set(m.finding.repositoryId, list);
  }
  for (const repo of repos) {
    // Counted without generating rows, so 10,000 repositories start quickly.
    const extra = new Set(repo.hits.filter((h) => h.branch === "main").map((h) => `${h.advisory.package}@${h.version}`)).size;
    repo.summary.dependencyCount = repo.ecosystems.reduce((n, eco) => n + fillerCount(repo, eco), 0) + extra;
  }
  recount();

  // ---- pushes
  const pushes: PushEvent[] = [];
  const pushRng = rng(42);
  // Each repository's pushes end at its `lastPushAt`, so the list and the summary agree.
  let nextPushId = 1;
  for (const repo of repos) {
    if (repo.summary.archived || repo.summary.lastPushAt === null) continue;
    const count = 1 + Math.floor(pushRng() * 3);
    let at = Date.parse(repo.summary.lastPushAt);
    const repoFindings = findingsByRepo.get(repo.summary.id) ?? [];
    for (let k = 0; k < count; k++) {
      const id = nextPushId++;
      const ref = pushRng() < 0.8 || repo.releaseBranches.length === 0 ? "refs/heads/main" : `refs/heads/${repo.releaseBranches[0]}`;
      const introduced: FindingRef[] = [];
      const fixed: FindingRef[] = [];
      const roll = pushRng();
      if (roll < 0.4 && repoFindings.length > 0) {
        const m = pick(pushRng, repoFindings);
        if (m.finding.introducedByPushId === null && m.finding.state !== "closed") {
          introduced.push(ref_(m.finding));
          m.finding.introducedByPushId = id;
          m.finding.introducedAt = iso(at);
        }
      } else if (roll < 0.65) {
        const candidates = ADVISORIES.filter((x) => repo.ecosystems.includes(x.ecosystem));
        if (candidates.length > 0) {
          const a = pick(pushRng, candidates);
          fixed.push({ findingId: 0, advisoryId: a.id, severity: a.severity, kind: a.kind, package: a.package, version: a.vulnerableVersions[0]! });
        }
      }
      pushes.push({
        id,
        repositoryId: repo.summary.id,
        projectKey: repo.summary.projectKey,
        slug: repo.summary.slug,
        ref,
        fromCommit: hex(pushRng, 40),
        toCommit: hex(pushRng, 40),
        author: pick(pushRng, PEOPLE),
        at: iso(at),
        via: repo.summary.webhook.state === "installed" ? "webhook" : "poll",
        introduced,
        fixed,
      });
      at -= Math.floor((0.2 + pushRng() * 4) * DAY);
    }
  }
  pushes.sort((a, b) => Date.parse(b.at) - Date.parse(a.at));

  function ref_(f: Finding): FindingRef {
    return { findingId: f.id, advisoryId: f.advisoryId, severity: f.severity, kind: f.kind, package: f.package.name, version: f.package.version };
  }

  // ---- dependencies (generated lazily, deterministic per repository)
  function fillerCount(repo: MockRepo, eco: Ecosystem): number {
    // One "monorepo" per project gets a very large lockfile, to exercise virtualization.
    if (repo.summary.slug === "storefront" || repo.summary.slug === "gateway") return 2400;
    const fillers = FILLER[eco] ?? [];
    if (fillers.length === 0) return 0;
    return 25 + Math.floor(rng(repo.seed + eco.length * 31)() * 90);
  }
  function dependencies(repo: MockRepo, branch: string): DependencyRow[] {
    const key = `${repo.summary.id}:${branch}`;
    const cached = depCache.get(key);
    if (cached) return cached;
    const dr = rng(repo.seed);
    const rows: DependencyRow[] = [];
    for (const eco of repo.ecosystems) {
      const manifest = manifestPath(eco, repo);
      const fillers = FILLER[eco] ?? [];
      const total = fillerCount(repo, eco);
      for (let k = 0; k < total; k++) {
        const base = fillers[k % fillers.length];
        if (!base) break;
        const generation = Math.floor(k / fillers.length);
        const name = generation === 0 ? base[0] : `${base[0]}-${["core", "utils", "types", "plugin", "cli", "shim"][generation % 6]}${generation > 5 ? `-${generation}` : ""}`;
        const direct = generation === 0 && dr() < 0.6;
        const scope = dr() < 0.25 ? "dev" : dr() < 0.03 ? "optional" : "prod";
        rows.push({
          ecosystem: eco,
          name,
          version: base[1],
          pinned: eco !== "Maven" || dr() < 0.9,
          direct: eco === "Go" && !direct ? null : direct,
          scope,
          source: dr() < 0.02 ? "git" : "registry",
          manifest,
          paths: eco === "npm" ? [`node_modules/${name}`] : [],
          findingCount: 0,
          maxSeverity: null,
        });
      }
    }
    for (const hit of repo.hits) {
      if (hit.branch !== branch && !(branch === "main" && hit.branch === "main")) continue;
      const open = (findingsByRepo.get(repo.summary.id) ?? []).filter(
        (m) => m.finding.branch === branch && m.finding.advisoryId === hit.advisory.id && (m.finding.state === "open" || m.finding.state === "acknowledged"),
      );
      const existing = rows.find((x) => x.name === hit.advisory.package && x.version === hit.version);
      const row: DependencyRow = existing ?? {
        ecosystem: hit.advisory.ecosystem,
        name: hit.advisory.package,
        version: hit.version,
        pinned: true,
        direct: hit.direct,
        scope: "prod",
        source: "registry",
        manifest: manifestPath(hit.advisory.ecosystem, repo),
        paths: hit.advisory.ecosystem === "npm" ? [hit.direct ? `node_modules/${hit.advisory.package}` : `node_modules/express/node_modules/${hit.advisory.package}`] : [],
        findingCount: 0,
        maxSeverity: null,
      };
      if (!existing) rows.push(row);
      row.findingCount += open.length;
      if (open.length > 0 && (row.maxSeverity === null || SEVERITY_RANK[hit.advisory.severity] > SEVERITY_RANK[row.maxSeverity])) {
        row.maxSeverity = hit.advisory.severity;
      }
    }
    rows.sort((a, b) => a.name.localeCompare(b.name));
    depCache.set(key, rows);
    return rows;
  }

  function manifests(repo: MockRepo): ManifestInfo[] {
    const out: ManifestInfo[] = [];
    for (const branch of ["main", ...repo.releaseBranches]) {
      const rows = dependencies(repo, branch);
      for (const eco of repo.ecosystems) {
        const path = manifestPath(eco, repo);
        const diagnostics: Diagnostic[] = [];
        if (eco === "Maven") {
          diagnostics.push({ source: path, line: 87, level: "warning", message: "Version of org.example:internal-bom is the unresolved property ${internal.version}; the package is listed but not matched." });
        }
        if (eco === "crates.io") {
          diagnostics.push({ source: path, line: null, level: "info", message: "2 workspace members (path sources) listed but not matched against advisories." });
        }
        if (eco === "Go") {
          diagnostics.push({ source: path, line: 12, level: "info", message: "replace directive to ../shared skipped (local path)." });
        }
        if (repo.summary.scanState === "failed" || (eco === "PyPI" && repo.seed % 5 === 0)) {
          diagnostics.push({ source: path, line: 214, level: "error", message: "Expected ']' at end of [[package]] table header (TOML parse error); packages after line 214 are missing." });
        }
        out.push({
          path,
          branch,
          format: MANIFEST_BY_ECOSYSTEM[eco]?.format ?? path,
          ecosystem: eco,
          packageCount: rows.filter((x) => x.manifest === path).length,
          diagnostics,
        });
      }
      if (repo.ecosystems.includes("npm")) {
        out.push({ path: "package.json", branch, format: "package.json", ecosystem: "npm", packageCount: rows.filter((x) => x.direct).length, diagnostics: [{ source: "package.json", line: null, level: "info", message: "Covered by package-lock.json; manifest ranges are listed but not matched." }] });
      }
    }
    return out;
  }

  // ---- advisory sources, settings
  const sources: AdvisorySourceStatus[] = [
    { id: "osv-crates.io", name: "RustSec (OSV export)", ecosystems: ["crates.io"], enabled: true, lastSyncAt: iso(now - 2 * 3600_000), advisoryCount: 873, stale: false, lastError: null },
    { id: "osv-npm", name: "GitHub Advisories: npm (OSV)", ecosystems: ["npm"], enabled: true, lastSyncAt: iso(now - 2 * 3600_000), advisoryCount: 4127, stale: false, lastError: null },
    { id: "osv-pypi", name: "PyPA + GitHub: PyPI (OSV)", ecosystems: ["PyPI"], enabled: true, lastSyncAt: iso(now - 2 * 3600_000), advisoryCount: 3458, stale: false, lastError: null },
    { id: "osv-go", name: "Go vulnerability database (OSV)", ecosystems: ["Go"], enabled: true, lastSyncAt: iso(now - 2 * 3600_000), advisoryCount: 3651, stale: false, lastError: null },
    { id: "osv-maven", name: "GitHub Advisories: Maven (OSV)", ecosystems: ["Maven"], enabled: true, lastSyncAt: iso(now - 3 * DAY), advisoryCount: 5206, stale: true, lastError: { code: "timeout", message: "Download of https://osv-vulnerabilities.storage.googleapis.com/Maven/all.zip timed out after 60 s." } },
    { id: "osv-nuget", name: "GitHub Advisories: NuGet (OSV)", ecosystems: ["NuGet"], enabled: false, lastSyncAt: null, advisoryCount: 0, stale: false, lastError: null },
  ];
  let secret = "whsec_3b9f0c1e7a2d4f68b15e9c0d2a7f4e61";
  let settings: Settings = {
    listenAddress: "0.0.0.0",
    listenPort: 8787,
    webhookUrl: "",
    loopbackOnly: false,
    webhookSecretSet: true,
    advisorySources: sources,
    syncIntervalHours: 6,
    refPatterns: ["release/*"],
    notifications: { minimumSeverity: "high", digestThreshold: 5, quietHours: { enabled: true, start: "22:00", end: "07:30" }, includeInformational: false },
    startAtLogin: true,
    monitoring: "active",
  };
  function computeSettings(): Settings {
    const loopback = /^(127\.|localhost$|::1$)/.test(settings.listenAddress);
    const host = settings.listenAddress === "0.0.0.0" || settings.listenAddress === "::" ? "depwatch-host.example.com" : settings.listenAddress.includes(":") ? `[${settings.listenAddress}]` : settings.listenAddress;
    settings = { ...settings, loopbackOnly: loopback, webhookUrl: `http://${host}:${settings.listenPort}/hooks/bitbucket`, monitoring: app.monitoring, advisorySources: sources };
    return settings;
  }

  // ---- perimeter
  let perimeter: Perimeter = { mode: "selection", projectKeys: ["PLAT", "PAY", "WEB", "DATA", "INFRA"], repositoryIds: repos.filter((x) => x.summary.projectKey === "MOB").slice(0, 2).map((x) => x.summary.id), excludePersonal: true, includeArchived: false };
  function projects(): PerimeterProject[] {
    const byKey = new Map<string, PerimeterProject>();
    for (const repo of repos) {
      const s = repo.summary;
      let p = byKey.get(s.projectKey);
      if (!p) {
        const personal = s.personal;
        p = {
          key: s.projectKey,
          name: s.projectName,
          personal,
          webhook: personal ? { state: "polling", lastDeliveryAt: null, detail: "Personal projects cannot have project-level webhooks." } : s.projectKey === "MOB" ? { state: "missing", lastDeliveryAt: null, detail: "No project-level webhook; repositories are covered one by one." } : { state: "installed", lastDeliveryAt: iso(now - 3600_000), detail: null },
          repositories: [],
        };
        byKey.set(s.projectKey, p);
      }
      p.repositories.push({ id: s.id, projectKey: s.projectKey, slug: s.slug, name: s.name, archived: s.archived, personal: s.personal, webhook: s.webhook });
    }
    return [...byKey.values()].sort((a, b) => Number(a.personal) - Number(b.personal) || a.key.localeCompare(b.key));
  }

  // ---- scan
  const failedIds = new Set(repos.filter((x) => x.summary.scanState === "failed").map((x) => x.summary.id));
  let scan: ScanStatus = {
    state: repoCount > 0 ? "finished" : "idle",
    total: repoCount,
    done: repoCount,
    failed: failedIds.size,
    current: null,
    startedAt: repoCount > 0 ? iso(now - DAY - 40 * 60_000) : null,
    finishedAt: repoCount > 0 ? iso(now - DAY) : null,
    items: repos.map((x): ScanItem => scanItem(x, failedIds.has(x.summary.id) ? "failed" : x.summary.archived && !perimeter.includeArchived ? "skipped" : "done")),
  };
  function scanItem(repo: MockRepo, status: ScanItem["status"]): ScanItem {
    return {
      repositoryId: repo.summary.id,
      projectKey: repo.summary.projectKey,
      slug: repo.summary.slug,
      status,
      branch: repo.summary.defaultBranch,
      findings: status === "done" ? repo.hits.length : 0,
      error:
        status === "failed"
          ? repo.seed % 2 === 0
            ? { code: "timeout", message: `GET /rest/api/1.0/projects/${repo.summary.projectKey}/repos/${repo.summary.slug}/raw/package-lock.json timed out after 30 s.` }
            : { code: "too-large", message: "poetry.lock is 68 MiB, above the 32 MiB limit; raise it in Settings or exclude the file." }
          : status === "skipped"
            ? { code: "archived", message: "Archived repository (include archived repositories in Perimeter to scan it)." }
            : null,
      finishedAt: status === "done" || status === "failed" ? iso(now - DAY) : null,
    };
  }
  let scanTimer: ReturnType<typeof setInterval> | null = null;
  function runScan(queue: number[]) {
    if (scanTimer) clearInterval(scanTimer);
    scan = { ...scan, state: "running", startedAt: iso(Date.now()), finishedAt: null, current: null };
    for (const it of scan.items) if (queue.includes(it.repositoryId)) { it.status = "queued"; it.error = null; it.findings = 0; it.finishedAt = null; }
    scan.done = scan.items.filter((x) => x.status !== "queued").length;
    scan.failed = scan.items.filter((x) => x.status === "failed").length;
    const pending = [...queue];
    scanTimer = setInterval(() => {
      const step = Math.max(1, Math.ceil(scan.total / 120));
      for (let k = 0; k < step; k++) {
        const id = pending.shift();
        const item = scan.items.find((x) => x.repositoryId === id);
        const repo = id !== undefined ? repoById.get(id) : undefined;
        if (!item || !repo) break;
        // Fail the same two repositories on the first attempt so retry can be shown.
        const fails = failedIds.has(id!) && item.error === null && scan.startedAt !== null && queue.length > failedIds.size;
        Object.assign(item, scanItem(repo, fails ? "failed" : "done"), { finishedAt: iso(Date.now()) });
      }
      scan.done = scan.items.filter((x) => x.status !== "queued" && x.status !== "scanning").length;
      scan.failed = scan.items.filter((x) => x.status === "failed").length;
      const next = scan.items.find((x) => x.repositoryId === pending[0]);
      if (next) {
        next.status = "scanning";
        scan.current = { repositoryId: next.repositoryId, projectKey: next.projectKey, slug: next.slug };
      }
      if (pending.length === 0 || scan.state === "cancelling") {
        if (scanTimer) clearInterval(scanTimer);
        scanTimer = null;
        for (const it of scan.items) if (it.status === "queued" || it.status === "scanning") it.status = "skipped";
        scan = { ...scan, state: "finished", current: null, finishedAt: iso(Date.now()) };
        changed("repositories");
      }
      emit("scan-progress", structuredClone(scan));
    }, scanTickMs);
  }

  // ---- helpers
  function requireRepo(id: number): MockRepo {
    const repo = repoById.get(id);
    if (!repo) throw new BackendError("not-found", `Repository ${id} is not monitored.`);
    return repo;
  }
  function requireFinding(id: number): FindingMeta {
    const m = findingById.get(id);
    if (!m) throw new BackendError("not-found", `Finding ${id} does not exist.`);
    return m;
  }
  function setState(id: number, state: Finding["state"], reason: string | null, until: string | null): Finding {
    const m = requireFinding(id);
    m.finding = { ...m.finding, state, stateReason: reason, ignoredUntil: until, stateChangedAt: iso(Date.now()) };
    m.resolvedAt = state === "closed" ? Date.now() : null;
    recount();
    depCache.clear();
    changed("findings");
    return m.finding;
  }

  function trend(): TrendPoint[] {
    const points: TrendPoint[] = [];
    for (let d = 89; d >= 0; d--) {
      const t = now - d * DAY;
      const p: TrendPoint = { date: day(t), critical: 0, high: 0, medium: 0, low: 0, unknown: 0, informational: 0 };
      for (const m of findings) {
        if (Date.parse(m.finding.introducedAt) > t) continue;
        if (m.resolvedAt !== null && m.resolvedAt <= t) continue;
        if (m.finding.kind === "vulnerability") p[m.finding.severity]++;
        else p.informational++;
      }
      points.push(p);
    }
    return points;
  }

  function testResult(req: TokenConnectionRequest): ConnectionTestResult {
    const steps: string[] = [];
    const fail = (code: string, message: string): ConnectionTestResult => ({ ok: false, username: null, serverVersion: null, error: { code, message }, steps });
    let url: URL;
    try {
      url = new URL(req.instanceUrl);
    } catch {
      return fail("invalid-input", `"${req.instanceUrl}" is not a URL; expected something like https://bitbucket.example.com.`);
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") return fail("invalid-input", `Unsupported scheme ${url.protocol}; use https://.`);
    const base = req.instanceUrl.replace(/\/+$/, "");
    steps.push(`Resolve ${url.hostname}`);
    if (url.hostname.endsWith(".invalid") || url.hostname.startsWith("nxdomain")) return fail("dns", `Could not resolve host ${url.hostname} (DNS lookup failed). Check the spelling, VPN or proxy.`);
    steps.push(`Connect to ${url.hostname}:${url.port || (url.protocol === "https:" ? 443 : 80)}`);
    if (url.port === "1" || url.hostname === "refused.example.com") return fail("connection-refused", `Connection to ${url.host} refused: nothing listens on that port, or a firewall rejects it.`);
    if (url.hostname.includes("self-signed")) {
      steps.push("TLS handshake");
      return fail("tls", req.caFile ? `The certificate of ${url.hostname} is not signed by ${req.caFile}.` : `The certificate of ${url.hostname} is signed by an unknown authority (self-signed?). Add your company CA file below.`);
    }
    steps.push(`GET ${base}/rest/api/1.0/application-properties`);
    if (url.hostname === "git.example.com" && !url.pathname.startsWith("/bitbucket")) return fail("not-bitbucket", `${base}/rest/api/1.0/application-properties returned 404 (an HTML page): this is not the Bitbucket base URL. Is the context path missing (e.g. ${base}/bitbucket)?`);
    if (req.token.trim() === "") return fail("invalid-input", "The access token is empty.");
    steps.push(`GET ${base}/rest/api/1.0/users (authenticated)`);
    if (req.token.startsWith("bad") || req.token.length < 12) return fail("unauthorized", 'Bitbucket answered 401 Unauthorized: "Authentication failed. Please check your credentials and try again." The token may be expired, revoked or mistyped.');
    return { ok: true, username: "depwatch-bot", serverVersion: "9.2.4", error: null, steps };
  }

  const backend: Backend = {
    appInfo: () => respond(() => app),
    setMonitoring: (paused) =>
      respond(() => {
        app.monitoring = paused ? "paused" : "active";
        emit("monitoring-changed", { monitoring: app.monitoring } satisfies MonitoringChanged);
        return app;
      }),
    onMonitoringChanged: (h) => subscribe("monitoring-changed", h),
    onDataChanged: (h) => subscribe("data-changed", h),
    onOpenFinding: (h) => subscribe("open-finding", h),

    getConnection: () => respond(() => connection),
    testConnection: (req) => respond(() => testResult(req)),
    saveTokenConnection: (req) =>
      respond(() => {
        const result = testResult(req);
        if (!result.ok) {
          throw new BackendError(result.error?.code ?? "internal", result.error?.message ?? "Connection failed.");
        }
        connection = { instanceUrl: req.instanceUrl.replace(/\/+$/, ""), authMode: "token", connected: true, username: result.username, serverVersion: result.serverVersion, caFile: req.caFile, lastCheckedAt: iso(Date.now()), lastError: null };
        changed("connection");
        return connection;
      }),
    oauthBegin: (instanceUrl, caFile) =>
      respond(() => {
        const probe = testResult({ instanceUrl, token: "probe-token-long-enough", caFile });
        if (!probe.ok && probe.error && probe.error.code !== "unauthorized") throw new BackendError(probe.error.code, probe.error.message);
        oauthSetup = { instanceUrl: instanceUrl.replace(/\/+$/, ""), consumerKey: "depwatch-7f3a91c2", consumerName: "depwatch (demo workstation)", publicKeyPem: DEMO_PUBLIC_KEY_PEM };
        return oauthSetup;
      }),
    oauthStart: ({ outOfBand }) =>
      respond(() => {
        if (!oauthSetup) throw new BackendError("oauth", "Create the Application Link values first (step 1).");
        oauth = { state: "waiting", error: null };
        if (oauthTimer) clearTimeout(oauthTimer);
        if (oauthCallbackMs > 0 && !outOfBand) {
          oauthTimer = setTimeout(() => {
            oauth = { state: "authorized", error: null };
            connection = { ...connection, instanceUrl: oauthSetup!.instanceUrl, authMode: "oauth", connected: true, username: "depwatch-bot", serverVersion: "9.2.4", lastCheckedAt: iso(Date.now()), lastError: null };
            emit("oauth-status", oauth);
            changed("connection");
          }, oauthCallbackMs);
        }
        return { authorizeUrl: `${oauthSetup.instanceUrl}/plugins/servlet/oauth/authorize?oauth_token=9f8e7d6c5b4a39281706f5e4d3c2b1a0`, outOfBand, expiresAt: iso(Date.now() + 10 * 60_000) };
      }),
    oauthStatus: () => respond(() => oauth),
    onOAuthStatus: (h) => subscribe("oauth-status", h),
    oauthSubmitVerifier: (verifier) =>
      respond(() => {
        if (oauth.state !== "waiting") throw new BackendError("oauth", "No authorization is in progress; click “Open browser” first.");
        if (!/^[A-Za-z0-9]{6,}$/.test(verifier.trim())) throw new BackendError("oauth", "Bitbucket rejected the verifier (oauth_problem=token_rejected). Copy the whole code shown after you click Allow.");
        if (oauthTimer) clearTimeout(oauthTimer);
        oauth = { state: "authorized", error: null };
        connection = { ...connection, instanceUrl: oauthSetup!.instanceUrl, authMode: "oauth", connected: true, username: "depwatch-bot", serverVersion: "9.2.4", lastCheckedAt: iso(Date.now()), lastError: null };
        emit("oauth-status", oauth);
        changed("connection");
        return connection;
      }),
    oauthCancel: () =>
      respond(() => {
        if (oauthTimer) clearTimeout(oauthTimer);
        oauth = { state: "idle", error: null };
      }),
    disconnect: () =>
      respond(() => {
        connection = { ...connection, connected: false, authMode: null, username: null, lastError: null };
        changed("connection");
        return connection;
      }),

    listProjects: () => respond(() => projects()),
    getPerimeter: () => respond(() => perimeter),
    savePerimeter: (p) =>
      respond(() => {
        if (p.mode === "selection" && p.projectKeys.length === 0 && p.repositoryIds.length === 0) {
          throw new BackendError("invalid-input", "Select at least one project or repository, or monitor the whole instance.");
        }
        perimeter = structuredClone(p);
        changed("perimeter");
        return perimeter;
      }),
    installWebhook: (target) =>
      respond(() => {
        for (const repo of repos) {
          const s = repo.summary;
          if (target.repositoryId === s.id || (target.projectKey !== null && s.projectKey === target.projectKey)) {
            if (s.webhook.state === "polling") throw new BackendError("forbidden", `Installing a webhook on ${s.projectKey}/${s.slug} needs REPO_ADMIN permission; depwatch keeps polling it.`);
            s.webhook = { state: "installed", lastDeliveryAt: null, detail: null };
          }
        }
        changed("perimeter");
        return projects();
      }),

    getScanStatus: () => respond(() => scan),
    startScan: () =>
      respond(() => {
        if (scan.state === "running") throw new BackendError("busy", "A scan is already running.");
        scan.total = scan.items.length;
        runScan(scan.items.map((x) => x.repositoryId));
        return scan;
      }),
    retryScan: (ids) =>
      respond(() => {
        if (scan.state === "running") throw new BackendError("busy", "Wait for the running scan to finish.");
        const queue = ids.length > 0 ? ids : scan.items.filter((x) => x.status === "failed").map((x) => x.repositoryId);
        for (const id of queue) failedIds.delete(id);
        runScan(queue);
        return scan;
      }),
    cancelScan: () =>
      respond(() => {
        if (scan.state === "running") scan = { ...scan, state: "cancelling" };
        return scan;
      }),
    onScanProgress: (h) => subscribe("scan-progress", h),

    getDashboard: () =>
      respond((): Dashboard => {
        const counts = emptyCounts();
        const informational = { unmaintained: 0, unsound: 0, notice: 0 };
        for (const repo of repos) {
          for (const s of ["critical", "high", "medium", "low", "unknown"] as const) counts[s] += repo.summary.counts[s];
          for (const k of ["unmaintained", "unsound", "notice"] as const) informational[k] += repo.summary.informational[k];
        }
        const vulnerable = repos.filter((x) => Object.values(x.summary.counts).some((c) => c > 0));
        const score = (s: RepositorySummary) => s.counts.critical * 1000 + s.counts.high * 100 + s.counts.medium * 10 + s.counts.low;
        return {
          counts,
          informational,
          monitoredRepositories: repos.length,
          vulnerableRepositories: vulnerable.length,
          topRepositories: vulnerable.map((x) => x.summary).sort((a, b) => score(b) - score(a)).slice(0, 8),
          trend: trend(),
          recentPushes: pushes.slice(0, 8),
          advisorySources: sources,
        };
      }),
    listRepositories: () => respond(() => repos.map((x) => x.summary)),
    getRepository: (id) =>
      respond(() => {
        const repo = requireRepo(id);
        const branches: BranchInfo[] = ["main", ...repo.releaseBranches].map((name) => ({
          name,
          isDefault: name === "main",
          monitored: true,
          headCommit: hex(rng(repo.seed + name.length), 40),
          lastScannedAt: repo.summary.lastScannedAt,
          openFindings: (findingsByRepo.get(id) ?? []).filter((m) => m.finding.branch === name && (m.finding.state === "open" || m.finding.state === "acknowledged")).length,
        }));
        if (repo.summary.projectKey !== "DATA") branches.push({ name: "feature/upgrade-deps", isDefault: false, monitored: false, headCommit: hex(rng(repo.seed + 3), 40), lastScannedAt: null, openFindings: 0 });
        return { summary: repo.summary, branches, manifests: manifests(repo) };
      }),
    listDependencies: (id, branch) =>
      respond(() => {
        const repo = requireRepo(id);
        if (branch !== "main" && !repo.releaseBranches.includes(branch)) throw new BackendError("not-found", `Branch ${branch} of ${repo.summary.projectKey}/${repo.summary.slug} is not monitored.`);
        return dependencies(repo, branch);
      }),
    listPushes: (id, limit) => respond(() => pushes.filter((p) => id === null || p.repositoryId === id).slice(0, limit)),

    listFindings: (filter: FindingFilter) =>
      respond(() => {
        const q = filter.query?.trim().toLowerCase() ?? "";
        return findings
          .map((m) => m.finding)
          .filter((f) => filter.repositoryId == null || f.repositoryId === filter.repositoryId)
          .filter((f) => !filter.severities?.length || filter.severities.includes(f.severity))
          .filter((f) => !filter.states?.length || filter.states.includes(f.state))
          .filter((f) => !filter.kinds?.length || filter.kinds.includes(f.kind))
          .filter((f) => !filter.advisoryId || f.advisoryId === filter.advisoryId)
          .filter((f) => !q || [f.package.name, f.advisoryId, ...f.aliases, `${f.projectKey}/${f.slug}`, f.summary].some((s) => s.toLowerCase().includes(q)))
          .sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || Date.parse(b.introducedAt) - Date.parse(a.introducedAt));
      }),
    getAdvisory: (advisoryId) =>
      respond((): AdvisoryDetail => {
        const a = ADVISORIES.find((x) => x.id === advisoryId || x.aliases.includes(advisoryId));
        if (!a) throw new BackendError("not-found", `Advisory ${advisoryId} is not in the local database.`);
        return {
          id: a.id,
          aliases: a.aliases,
          summary: a.summary,
          details: a.details,
          kind: a.kind,
          severity: a.severity,
          cvss: a.cvss,
          published: a.published,
          modified: a.modified,
          withdrawn: null,
          source: a.source,
          references: a.references,
          affected: [{ ecosystem: a.ecosystem, name: a.package, ranges: a.ranges, fixedVersions: a.fixedVersions }],
          affectedRepositories: findings
            .map((m) => m.finding)
            .filter((f) => f.advisoryId === a.id)
            .map((f) => ({ findingId: f.id, repositoryId: f.repositoryId, projectKey: f.projectKey, slug: f.slug, branch: f.branch, package: f.package.name, version: f.package.version, manifest: f.manifest, state: f.state })),
        };
      }),
    acknowledgeFinding: (id) =>
      respond(() => {
        const m = requireFinding(id);
        if (m.finding.state !== "open") throw new BackendError("invalid-state", `Only open findings can be acknowledged (this one is ${m.finding.state}).`);
        return setState(id, "acknowledged", null, null);
      }),
    closeFinding: (id, reason, comment) => respond(() => setState(id, "closed", comment ? `${reason}: ${comment}` : reason, null)),
    ignoreFinding: (id, reason, until) =>
      respond(() => {
        if (reason.trim() === "") throw new BackendError("invalid-input", "Give a reason for ignoring.");
        if (!/^\d{4}-\d{2}-\d{2}$/.test(until) || Date.parse(until) <= Date.now()) throw new BackendError("invalid-input", "The expiry date must be in the future.");
        return setState(id, "ignored", reason.trim(), until);
      }),
    reopenFinding: (id) => respond(() => setState(id, "open", null, null)),

    getSettings: () => respond(() => computeSettings()),
    saveSettings: (u: SettingsUpdate) =>
      respond(() => {
        if (!Number.isInteger(u.listenPort) || u.listenPort < 1 || u.listenPort > 65535) throw new BackendError("invalid-input", `Port ${u.listenPort} is out of range (1–65535).`);
        if (!/^[0-9a-fA-F.:]+$|^localhost$/.test(u.listenAddress)) throw new BackendError("invalid-input", `"${u.listenAddress}" is not an IP address.`);
        if (u.refPatterns.some((p) => p.trim() === "" || p.startsWith("refs/"))) throw new BackendError("invalid-input", "Ref patterns are branch names with * wildcards, like release/*, without refs/heads/.");
        for (const s of sources) s.enabled = u.enabledSources.includes(s.id);
        settings = { ...settings, listenAddress: u.listenAddress, listenPort: u.listenPort, syncIntervalHours: u.syncIntervalHours, refPatterns: u.refPatterns, notifications: u.notifications, startAtLogin: u.startAtLogin };
        changed("settings");
        return computeSettings();
      }),
    revealWebhookSecret: () => respond(() => secret),
    regenerateWebhookSecret: () =>
      respond(() => {
        const g = rng(Date.now());
        secret = `whsec_${hex(g, 32)}`;
        settings.webhookSecretSet = true;
        return secret;
      }),
    setWebhookSecret: (s) =>
      respond(() => {
        if (s.length < 16) throw new BackendError("invalid-input", "Use at least 16 characters for the webhook secret.");
        secret = s;
        settings.webhookSecretSet = true;
      }),
    syncAdvisories: () =>
      respond(() => {
        for (const s of sources) {
          if (!s.enabled) continue;
          s.lastSyncAt = iso(Date.now());
          s.stale = false;
          s.lastError = null;
        }
        changed("advisories");
        return computeSettings();
      }),
    openExternal: (url) =>
      respond(() => {
        if (!/^https?:\/\//i.test(url)) throw new BackendError("invalid-input", `Refusing to open ${url}: only http and https links open in the browser.`);
        window.open(url, "_blank", "noopener,noreferrer");
      }),
  };
  return backend;
}
