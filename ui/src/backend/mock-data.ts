/**
 * Demo data for the mock backend: a catalogue of real-world advisories (ids, CVSS vectors and
 * fixed versions as published) and the packages they affect. The generator in `mock.ts` spreads
 * them over generated repositories deterministically.
 */
import type { AdvisoryReference, CvssInfo, Ecosystem, FindingKind, Severity } from "./types";

export interface CatalogAdvisory {
  id: string;
  aliases: string[];
  summary: string;
  details: string;
  kind: FindingKind;
  severity: Severity;
  cvss: CvssInfo | null;
  published: string;
  modified: string;
  source: string;
  ecosystem: Ecosystem;
  package: string;
  ranges: string[];
  fixedVersions: string[];
  /** Versions the generator places in repositories (all affected). */
  vulnerableVersions: string[];
  references: AdvisoryReference[];
}

const cvss = (vector: string, score: number, rating: Severity): CvssInfo => ({
  version: vector.startsWith("CVSS:4.0") ? "4.0" : "3.1",
  vector,
  score,
  rating,
});

export const ADVISORIES: CatalogAdvisory[] = [
  {
    id: "GHSA-jfh8-c2jp-5v3q",
    aliases: ["CVE-2021-44228"],
    summary: "Remote code injection in Log4j",
    details:
      "Apache Log4j2 JNDI features used in configuration, log messages, and parameters do not protect against attacker-controlled LDAP and other JNDI related endpoints. An attacker who can control log messages or log message parameters can execute arbitrary code loaded from LDAP servers when message lookup substitution is enabled.",
    kind: "vulnerability",
    severity: "critical",
    cvss: cvss("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, "critical"),
    published: "2021-12-10T00:40:56Z",
    modified: "2025-02-13T18:43:12Z",
    source: "GitHub",
    ecosystem: "Maven",
    package: "org.apache.logging.log4j:log4j-core",
    ranges: [">=2.13.0, <2.15.0", ">=2.0-beta9, <2.12.2"],
    fixedVersions: ["2.15.0", "2.12.2"],
    vulnerableVersions: ["2.14.1", "2.13.3"],
    references: [
      { type: "ADVISORY", url: "https://nvd.nist.gov/vuln/detail/CVE-2021-44228" },
      { type: "WEB", url: "https://logging.apache.org/log4j/2.x/security.html" },
      { type: "PACKAGE", url: "https://github.com/apache/logging-log4j2" },
    ],
  },
  {
    id: "GHSA-36p3-wjmg-h94x",
    aliases: ["CVE-2022-22965"],
    summary: "Remote Code Execution in Spring Framework",
    details:
      "A Spring MVC or Spring WebFlux application running on JDK 9+ may be vulnerable to remote code execution (RCE) via data binding. The specific exploit requires the application to run on Tomcat as a WAR deployment.",
    kind: "vulnerability",
    severity: "critical",
    cvss: cvss("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "critical"),
    published: "2022-03-31T18:30:50Z",
    modified: "2024-10-31T20:57:27Z",
    source: "GitHub",
    ecosystem: "Maven",
    package: "org.springframework:spring-beans",
    ranges: [">=5.3.0, <5.3.18", "<5.2.20"],
    fixedVersions: ["5.3.18", "5.2.20"],
    vulnerableVersions: ["5.3.15", "5.2.19.RELEASE"],
    references: [
      { type: "ADVISORY", url: "https://nvd.nist.gov/vuln/detail/CVE-2022-22965" },
      { type: "WEB", url: "https://spring.io/security/cve-2022-22965" },
    ],
  },
  {
    id: "GHSA-jf85-cpcp-j695",
    aliases: ["CVE-2019-10744"],
    summary: "Prototype Pollution in lodash",
    details:
      "Versions of lodash before 4.17.12 are vulnerable to Prototype Pollution. The function defaultsDeep allows a malicious user to modify the prototype of Object via {constructor: {prototype: {...}}} causing the addition or modification of an existing property that will exist on all objects.",
    kind: "vulnerability",
    severity: "critical",
    cvss: cvss("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H", 9.1, "critical"),
    published: "2019-07-10T19:45:23Z",
    modified: "2024-01-22T19:04:11Z",
    source: "GitHub",
    ecosystem: "npm",
    package: "lodash",
    ranges: ["<4.17.12"],
    fixedVersions: ["4.17.12"],
    vulnerableVersions: ["4.17.11", "4.17.4"],
    references: [
      { type: "ADVISORY", url: "https://nvd.nist.gov/vuln/detail/CVE-2019-10744" },
      { type: "FIX", url: "https://github.com/lodash/lodash/pull/4336" },
    ],
  },
  {
    id: "GHSA-c2qf-rxjj-qqgw",
    aliases: ["CVE-2022-25883"],
    summary: "semver vulnerable to Regular Expression Denial of Service",
    details:
      "Versions of the package semver before 7.5.2 are vulnerable to Regular Expression Denial of Service (ReDoS) via the function new Range, when untrusted user data is provided as a range.",
    kind: "vulnerability",
    severity: "high",
    cvss: cvss("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5, "high"),
    published: "2023-06-21T06:30:28Z",
    modified: "2024-06-21T21:33:53Z",
    source: "GitHub",
    ecosystem: "npm",
    package: "semver",
    ranges: [">=7.0.0, <7.5.2", ">=6.0.0, <6.3.1", "<5.7.2"],
    fixedVersions: ["7.5.2", "6.3.1", "5.7.2"],
    vulnerableVersions: ["7.3.8", "6.3.0", "5.7.1"],
    references: [
      { type: "ADVISORY", url: "https://nvd.nist.gov/vuln/detail/CVE-2022-25883" },
      { type: "FIX", url: "https://github.com/npm/node-semver/pull/564" },
    ],
  },
  {
    id: "GHSA-p6mc-m468-83gw",
    aliases: ["CVE-2020-8203"],
    summary: "Prototype Pollution in lodash",
    details:
      "Prototype pollution attack when using _.zipObjectDeep in lodash before 4.17.20.",
    kind: "vulnerability",
    severity: "high",
    cvss: cvss("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H", 7.4, "high"),
    published: "2020-07-15T19:15:48Z",
    modified: "2024-03-15T14:44:08Z",
    source: "GitHub",
    ecosystem: "npm",
    package: "lodash",
    ranges: [">=3.7.0, <4.17.19"],
    fixedVersions: ["4.17.19"],
    vulnerableVersions: ["4.17.15", "4.17.11", "4.17.4"],
    references: [
      { type: "ADVISORY", url: "https://nvd.nist.gov/vuln/detail/CVE-2020-8203" },
      { type: "REPORT", url: "https://hackerone.com/reports/712065" },
    ],
  },
  {
    id: "GO-2024-2687",
    aliases: ["CVE-2023-45288", "GHSA-4v7x-pqxf-cx7m"],
    summary: "HTTP/2 CONTINUATION flood in net/http",
    details:
      "An attacker may cause an HTTP/2 endpoint to read arbitrary amounts of header data by sending an excessive number of CONTINUATION frames.",
    kind: "vulnerability",
    severity: "high",
    cvss: cvss("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5, "high"),
    published: "2024-04-03T21:12:01Z",
    modified: "2024-05-20T16:03:47Z",
    source: "Go",
    ecosystem: "Go",
    package: "golang.org/x/net",
    ranges: ["<0.23.0"],
    fixedVersions: ["0.23.0"],
    vulnerableVersions: ["0.17.0", "0.21.0"],
    references: [
      { type: "REPORT", url: "https://go.dev/issue/65051" },
      { type: "FIX", url: "https://go.dev/cl/576155" },
      { type: "WEB", url: "https://kb.cert.org/vuls/id/421644" },
    ],
  },
  {
    id: "RUSTSEC-2024-0003",
    aliases: ["GHSA-8r5v-vm4m-4g25"],
    summary: "Resource exhaustion vulnerability in h2 may lead to Denial of Service (DoS)",
    details:
      "An attacker with an HTTP/2 connection to an affected endpoint can send a steady stream of invalid frames to force the generation of reset frames on the victim endpoint. By closing their recv window, the attacker could then force these resets to be queued in an unbounded fashion, resulting in Out Of Memory (OOM) and high CPU usage.",
    kind: "vulnerability",
    severity: "high",
    cvss: cvss("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5, "high"),
    published: "2024-01-17T12:00:00Z",
    modified: "2024-02-10T09:00:00Z",
    source: "RustSec",
    ecosystem: "crates.io",
    package: "h2",
    ranges: ["<0.3.24", ">=0.4.0, <0.4.2"],
    fixedVersions: ["0.3.24", "0.4.2"],
    vulnerableVersions: ["0.3.21", "0.4.0"],
    references: [
      { type: "PACKAGE", url: "https://crates.io/crates/h2" },
      { type: "ADVISORY", url: "https://rustsec.org/advisories/RUSTSEC-2024-0003.html" },
      { type: "WEB", url: "https://github.com/hyperium/hyper/issues/2877" },
    ],
  },
  {
    id: "GHSA-v845-jxx5-vc9f",
    aliases: ["CVE-2023-43804", "PYSEC-2023-192"],
    summary: "Cookie HTTP header isn't stripped on cross-origin redirects in urllib3",
    details:
      "urllib3 doesn't treat the Cookie HTTP header special or provide any helpers for managing cookies over HTTP, that is the responsibility of the user. However, it is possible for a user to specify a Cookie header and unknowingly leak information via HTTP redirects to a different origin if that user doesn't disable redirects explicitly.",
    kind: "vulnerability",
    severity: "high",
    cvss: cvss("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:N", 8.1, "high"),
    published: "2023-10-02T23:30:17Z",
    modified: "2024-09-20T20:19:44Z",
    source: "PyPA",
    ecosystem: "PyPI",
    package: "urllib3",
    ranges: ["<1.26.17", ">=2.0.0, <2.0.6"],
    fixedVersions: ["1.26.17", "2.0.6"],
    vulnerableVersions: ["1.26.12", "2.0.4"],
    references: [
      { type: "ADVISORY", url: "https://nvd.nist.gov/vuln/detail/CVE-2023-43804" },
      { type: "FIX", url: "https://github.com/urllib3/urllib3/commit/01220354d389cd05474713f8c982d05c9b17aafb" },
    ],
  },
  {
    id: "GHSA-j8r2-6x86-q33q",
    aliases: ["CVE-2023-32681", "PYSEC-2023-74"],
    summary: "Unintended leak of Proxy-Authorization header in requests",
    details:
      "Since Requests v2.3.0, Requests has been leaking Proxy-Authorization headers to destination servers, specifically during redirects to an HTTPS origin.",
    kind: "vulnerability",
    severity: "medium",
    cvss: cvss("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N", 6.1, "medium"),
    published: "2023-05-22T20:36:32Z",
    modified: "2024-11-19T16:45:00Z",
    source: "PyPA",
    ecosystem: "PyPI",
    package: "requests",
    ranges: [">=2.3.0, <2.31.0"],
    fixedVersions: ["2.31.0"],
    vulnerableVersions: ["2.28.1", "2.25.1"],
    references: [
      { type: "ADVISORY", url: "https://nvd.nist.gov/vuln/detail/CVE-2023-32681" },
      { type: "FIX", url: "https://github.com/psf/requests/commit/74ea7cf7a6a27a4eeb2ae24e162bcc942a6706d5" },
    ],
  },
  {
    id: "GHSA-wf5p-g6vw-rhxx",
    aliases: ["CVE-2023-45857"],
    summary: "Axios Cross-Site Request Forgery Vulnerability",
    details:
      "An issue discovered in Axios 0.8.1 through 1.5.1 inadvertently reveals the confidential XSRF-TOKEN stored in cookies by including it in the HTTP header X-XSRF-TOKEN for every request made to any host allowing attackers to view sensitive information.",
    kind: "vulnerability",
    severity: "medium",
    cvss: cvss("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:N/A:N", 6.5, "medium"),
    published: "2023-11-08T21:30:37Z",
    modified: "2024-08-02T20:30:00Z",
    source: "GitHub",
    ecosystem: "npm",
    package: "axios",
    ranges: [">=0.8.1, <0.28.0", ">=1.0.0, <1.6.0"],
    fixedVersions: ["1.6.0", "0.28.0"],
    vulnerableVersions: ["1.4.0", "0.27.2"],
    references: [
      { type: "ADVISORY", url: "https://nvd.nist.gov/vuln/detail/CVE-2023-45857" },
      { type: "FIX", url: "https://github.com/axios/axios/pull/6028" },
    ],
  },
  {
    id: "RUSTSEC-2020-0071",
    aliases: ["CVE-2020-26235", "GHSA-wcg3-cvx6-7396"],
    summary: "Potential segfault in the time crate",
    details:
      "Unix-like operating systems may segfault due to dereferencing a dangling pointer in specific circumstances. This requires an environment variable to be set in a different thread than the affected functions.",
    kind: "vulnerability",
    severity: "medium",
    cvss: cvss("CVSS:3.1/AV:L/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H", 6.2, "medium"),
    published: "2020-11-18T12:00:00Z",
    modified: "2023-06-13T13:10:24Z",
    source: "RustSec",
    ecosystem: "crates.io",
    package: "time",
    ranges: [">=0.2.0, <0.2.23", "<0.1.44"],
    fixedVersions: ["0.2.23"],
    vulnerableVersions: ["0.1.43", "0.2.22"],
    references: [
      { type: "PACKAGE", url: "https://crates.io/crates/time" },
      { type: "ADVISORY", url: "https://rustsec.org/advisories/RUSTSEC-2020-0071.html" },
      { type: "REPORT", url: "https://github.com/time-rs/time/issues/293" },
    ],
  },
  {
    id: "RUSTSEC-2023-0071",
    aliases: ["CVE-2023-49092", "GHSA-c38w-74pg-36hr"],
    summary: "Marvin Attack: potential key recovery through timing sidechannels",
    details:
      "Due to a non-constant-time implementation, information about the private key is leaked through timing information which is observable over the network. An attacker may be able to use that information to recover the key. No patched version is available at this time.",
    kind: "vulnerability",
    severity: "medium",
    cvss: cvss("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9, "medium"),
    published: "2023-11-22T12:00:00Z",
    modified: "2024-12-18T12:00:00Z",
    source: "RustSec",
    ecosystem: "crates.io",
    package: "rsa",
    ranges: [">=0.0.0-0"],
    fixedVersions: [],
    vulnerableVersions: ["0.9.6"],
    references: [
      { type: "PACKAGE", url: "https://crates.io/crates/rsa" },
      { type: "ADVISORY", url: "https://rustsec.org/advisories/RUSTSEC-2023-0071.html" },
      { type: "WEB", url: "https://people.redhat.com/~hkario/marvin/" },
    ],
  },
  {
    id: "GO-2023-2402",
    aliases: ["CVE-2023-48795", "GHSA-45x7-px36-x8w8"],
    summary: "Man-in-the-middle attacker can compromise integrity of secure channel in golang.org/x/crypto",
    details:
      "A protocol weakness allows a MITM attacker to compromise the integrity of the secure channel before it is established, allowing the attacker to prevent transmission of a number of messages immediately after the secure channel is established without either side being aware (the Terrapin attack).",
    kind: "vulnerability",
    severity: "medium",
    cvss: cvss("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:N", 5.9, "medium"),
    published: "2023-12-18T21:13:26Z",
    modified: "2024-05-20T16:03:47Z",
    source: "Go",
    ecosystem: "Go",
    package: "golang.org/x/crypto",
    ranges: ["<0.17.0"],
    fixedVersions: ["0.17.0"],
    vulnerableVersions: ["0.14.0", "0.16.0"],
    references: [
      { type: "WEB", url: "https://terrapin-attack.com/" },
      { type: "FIX", url: "https://go.dev/cl/550715" },
    ],
  },
  {
    id: "GHSA-pxg6-pf52-xh8x",
    aliases: ["CVE-2024-47764"],
    summary: "cookie accepts cookie name, path, and domain with out of bounds characters",
    details:
      "The cookie name could be used to set other fields of the cookie, resulting in an unexpected cookie value. A similar escape can be used for path and domain, which could be abused to alter other fields of the cookie.",
    kind: "vulnerability",
    severity: "low",
    cvss: cvss("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:N/I:L/A:N", 3.1, "low"),
    published: "2024-10-04T20:31:00Z",
    modified: "2024-10-04T20:31:00Z",
    source: "GitHub",
    ecosystem: "npm",
    package: "cookie",
    ranges: ["<0.7.0"],
    fixedVersions: ["0.7.0"],
    vulnerableVersions: ["0.5.0", "0.6.0"],
    references: [{ type: "FIX", url: "https://github.com/jshttp/cookie/pull/167" }],
  },
  {
    id: "GO-2024-2611",
    aliases: ["CVE-2024-24786", "GHSA-8r3f-844c-mc37"],
    summary: "Infinite loop in JSON unmarshaling in google.golang.org/protobuf",
    details:
      "The protojson.Unmarshal function can enter an infinite loop when unmarshaling certain forms of invalid JSON. This condition can occur when unmarshaling into a message which contains a google.protobuf.Any value, or when the UnmarshalOptions.DiscardUnknown option is set.",
    kind: "vulnerability",
    severity: "unknown",
    cvss: null,
    published: "2024-03-05T22:11:13Z",
    modified: "2024-06-04T22:15:24Z",
    source: "Go",
    ecosystem: "Go",
    package: "google.golang.org/protobuf",
    ranges: ["<1.33.0"],
    fixedVersions: ["1.33.0"],
    vulnerableVersions: ["1.31.0", "1.32.0"],
    references: [{ type: "FIX", url: "https://go.dev/cl/569356" }],
  },
  {
    id: "RUSTSEC-2021-0145",
    aliases: ["GHSA-g98v-hv3f-hcfr"],
    summary: "Potential unaligned read",
    details:
      "On windows, atty dereferences a potentially unaligned pointer. In practice this probably won't cause issues with the standard allocator, but it is still unsound.",
    kind: "unsound",
    severity: "unknown",
    cvss: null,
    published: "2021-07-04T12:00:00Z",
    modified: "2024-09-10T12:00:00Z",
    source: "RustSec",
    ecosystem: "crates.io",
    package: "atty",
    ranges: [">=0.0.0-0"],
    fixedVersions: [],
    vulnerableVersions: ["0.2.14"],
    references: [{ type: "REPORT", url: "https://github.com/softprops/atty/issues/50" }],
  },
  {
    id: "RUSTSEC-2024-0384",
    aliases: [],
    summary: "`instant` is unmaintained",
    details:
      "This crate is no longer maintained, and the author recommends using the maintained web-time crate instead.",
    kind: "unmaintained",
    severity: "unknown",
    cvss: null,
    published: "2024-09-01T12:00:00Z",
    modified: "2024-09-01T12:00:00Z",
    source: "RustSec",
    ecosystem: "crates.io",
    package: "instant",
    ranges: [">=0.0.0-0"],
    fixedVersions: [],
    vulnerableVersions: ["0.1.12", "0.1.13"],
    references: [{ type: "WEB", url: "https://github.com/sebcrozet/instant/issues/52" }],
  },
  {
    id: "RUSTSEC-2021-0139",
    aliases: [],
    summary: "ansi_term is Unmaintained",
    details: "The maintainer has advised that this crate is deprecated and will not receive any maintenance.",
    kind: "unmaintained",
    severity: "unknown",
    cvss: null,
    published: "2021-08-18T12:00:00Z",
    modified: "2021-08-18T12:00:00Z",
    source: "RustSec",
    ecosystem: "crates.io",
    package: "ansi_term",
    ranges: [">=0.0.0-0"],
    fixedVersions: [],
    vulnerableVersions: ["0.12.1"],
    references: [{ type: "REPORT", url: "https://github.com/ogham/rust-ansi-term/issues/72" }],
  },
  {
    id: "RUSTSEC-2024-0320",
    aliases: [],
    summary: "yaml-rust is unmaintained.",
    details:
      "The maintainer seems unreachable. Many issues and pull requests have been submitted without any response. Consider switching to the actively maintained yaml-rust2 fork.",
    kind: "notice",
    severity: "unknown",
    cvss: null,
    published: "2024-03-20T12:00:00Z",
    modified: "2024-03-20T12:00:00Z",
    source: "RustSec",
    ecosystem: "crates.io",
    package: "yaml-rust",
    ranges: [">=0.0.0-0"],
    fixedVersions: [],
    vulnerableVersions: ["0.4.5"],
    references: [{ type: "REPORT", url: "https://github.com/rustsec/advisory-db/issues/1921" }],
  },
];

/** Harmless packages per ecosystem, to fill dependency tables. */
export const FILLER: Record<string, [string, string][]> = {
  npm: [
    ["react", "18.3.1"], ["react-dom", "18.3.1"], ["express", "4.19.2"], ["typescript", "5.4.5"],
    ["eslint", "8.57.0"], ["vite", "5.2.11"], ["chalk", "4.1.2"], ["debug", "4.3.4"],
    ["ms", "2.1.2"], ["commander", "11.1.0"], ["uuid", "9.0.1"], ["date-fns", "3.6.0"],
    ["zod", "3.23.8"], ["prettier", "3.2.5"], ["jest", "29.7.0"], ["tslib", "2.6.2"],
    ["rxjs", "7.8.1"], ["glob", "10.3.12"], ["minimatch", "9.0.4"], ["yargs", "17.7.2"],
  ],
  "crates.io": [
    ["serde", "1.0.203"], ["serde_json", "1.0.117"], ["tokio", "1.38.0"], ["hyper", "1.3.1"],
    ["anyhow", "1.0.86"], ["thiserror", "1.0.61"], ["tracing", "0.1.40"], ["clap", "4.5.4"],
    ["regex", "1.10.4"], ["bytes", "1.6.0"], ["rand", "0.8.5"], ["libc", "0.2.155"],
    ["syn", "2.0.66"], ["quote", "1.0.36"], ["proc-macro2", "1.0.85"], ["log", "0.4.21"],
  ],
  PyPI: [
    ["django", "4.2.13"], ["flask", "3.0.3"], ["numpy", "1.26.4"], ["pandas", "2.2.2"],
    ["pydantic", "2.7.3"], ["pytest", "8.2.2"], ["click", "8.1.7"], ["certifi", "2024.6.2"],
    ["idna", "3.7"], ["charset-normalizer", "3.3.2"], ["six", "1.16.0"], ["pyyaml", "6.0.1"],
  ],
  Go: [
    ["github.com/spf13/cobra", "v1.8.0"], ["github.com/stretchr/testify", "v1.9.0"],
    ["go.uber.org/zap", "v1.27.0"], ["github.com/google/uuid", "v1.6.0"],
    ["github.com/prometheus/client_golang", "v1.19.1"], ["gopkg.in/yaml.v3", "v3.0.1"],
    ["github.com/gorilla/mux", "v1.8.1"], ["golang.org/x/sys", "v0.20.0"],
  ],
  Maven: [
    ["com.fasterxml.jackson.core:jackson-databind", "2.17.1"], ["org.slf4j:slf4j-api", "2.0.13"],
    ["com.google.guava:guava", "33.2.0-jre"], ["junit:junit", "4.13.2"],
    ["org.apache.commons:commons-lang3", "3.14.0"], ["org.mockito:mockito-core", "5.12.0"],
  ],
};

export const MANIFEST_BY_ECOSYSTEM: Record<string, { path: string; format: string }> = {
  npm: { path: "package-lock.json", format: "package-lock.json" },
  "crates.io": { path: "Cargo.lock", format: "Cargo.lock" },
  PyPI: { path: "poetry.lock", format: "poetry.lock" },
  Go: { path: "go.mod", format: "go.mod" },
  Maven: { path: "pom.xml", format: "pom.xml" },
};

export const PROJECTS: { key: string; name: string; ecosystems: Ecosystem[]; words: string[] }[] = [
  { key: "PLAT", name: "Platform", ecosystems: ["crates.io", "Go"], words: ["gateway", "auth", "scheduler", "config", "edge", "router", "ledger", "metrics"] },
  { key: "PAY", name: "Payments", ecosystems: ["Maven", "npm"], words: ["billing", "invoice", "checkout", "refunds", "fraud", "settlement", "wallet"] },
  { key: "WEB", name: "Web Frontend", ecosystems: ["npm"], words: ["storefront", "admin", "design-system", "docs", "landing", "console", "widgets"] },
  { key: "DATA", name: "Data Engineering", ecosystems: ["PyPI"], words: ["ingest", "etl", "warehouse", "notebooks", "features", "reports", "airflow-dags"] },
  { key: "INFRA", name: "Infrastructure", ecosystems: ["Go", "PyPI"], words: ["terraform-modules", "operator", "deployer", "dns-sync", "backup", "agent"] },
  { key: "MOB", name: "Mobile", ecosystems: ["npm", "Maven"], words: ["app", "sdk", "push", "analytics", "release-tools"] },
  { key: "SEC", name: "Security Tools", ecosystems: ["crates.io", "PyPI"], words: ["scanner", "vault-sync", "audit", "sbom"] },
];

export const PEOPLE = ["Alice Martin", "Bilal Haddad", "Chen Wei", "Dana Kowalski", "Emeka Obi", "Freya Lund", "Gustavo Reis", "Hana Sato"];

export const DEMO_PUBLIC_KEY_PEM = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo
4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u
+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyeh
kd3qqGElvW/VDL5AaWTg0nLVkjRo9z+40RQzuVaE8AkAFmxZzow3x+VJYKdjykkJ
0iT9wCS0DRTXu269V264Vf/3jvredZiKRkgwlL9xNAwxXFg0x/XFw005UWVRIkdg
cKWTjpBP2dPwVZ4WWC+9aGVd+Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbc
mwIDAQAB
-----END PUBLIC KEY-----`;
