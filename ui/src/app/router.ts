import { useSyncExternalStore } from "react";
import { SEVERITIES, type Severity } from "../backend/types";

/** A filter the Findings screen opens with (dashboard cards link to these). */
export type FindingsPreset = Severity | "informational";

/** Screens reachable from the URL hash (`#/repositories/1042`). Hash routing works the same
 * from `tauri://localhost`, the Vite dev server and `vite preview`. */
export type Route =
  | { name: "dashboard" }
  | { name: "connect" }
  | { name: "perimeter" }
  | { name: "scan" }
  | { name: "repositories" }
  | { name: "repository"; id: number; tab: string }
  | { name: "findings"; filter?: FindingsPreset; focus?: number }
  | { name: "advisory"; id: string }
  | { name: "settings" };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  const [head, arg, tab] = parts;
  switch (head) {
    case "connect":
    case "perimeter":
    case "scan":
    case "repositories":
    case "findings":
    case "settings":
      if (head === "findings" && arg === "open" && tab !== undefined && /^\d+$/.test(tab)) {
        return { name: "findings", focus: Number(tab) };
      }
      if (head === "findings" && arg !== undefined && ((SEVERITIES as readonly string[]).includes(arg) || arg === "informational")) {
        return { name: "findings", filter: arg as FindingsPreset };
      }
      if (head === "repositories" && arg !== undefined && /^\d+$/.test(arg)) {
        return { name: "repository", id: Number(arg), tab: tab ?? "overview" };
      }
      return { name: head };
    case "advisories":
      if (arg) return { name: "advisory", id: arg };
      return { name: "findings" };
    default:
      return { name: "dashboard" };
  }
}

export function href(route: Route): string {
  switch (route.name) {
    case "repository":
      return `#/repositories/${route.id}${route.tab && route.tab !== "overview" ? `/${route.tab}` : ""}`;
    case "advisory":
      return `#/advisories/${encodeURIComponent(route.id)}`;
    case "findings":
      if (route.focus !== undefined) return `#/findings/open/${route.focus}`;
      return route.filter ? `#/findings/${route.filter}` : "#/findings";
    default:
      return `#/${route.name}`;
  }
}

export function navigate(route: Route) {
  window.location.hash = href(route);
}

function subscribe(cb: () => void) {
  window.addEventListener("hashchange", cb);
  return () => window.removeEventListener("hashchange", cb);
}

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash, () => "");
  return parseRoute(hash);
}
