import { useEffect, useRef, useSyncExternalStore } from "react";
import { CategoryScale, Chart, Filler, LineController, LineElement, LinearScale, PointElement, Tooltip } from "chart.js";
import { SEVERITIES, type TrendPoint } from "../backend";
import { SEVERITY_LABEL } from "../app/format";

// Chart.js rather than an SVG-per-element React library: it works under Tauri's
// `freezePrototype` (libraries that assign `toString`/`valueOf` on prototypes do not), and a
// canvas keeps 90 days × 5 series cheap.
Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Filler, Tooltip);

const dark = typeof window !== "undefined" && window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
function subscribeScheme(cb: () => void) {
  dark?.addEventListener("change", cb);
  return () => dark?.removeEventListener("change", cb);
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

/** Stacked area chart of open vulnerability findings per day, in the severity colours. */
export function TrendChart({ points }: { points: TrendPoint[] }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const scheme = useSyncExternalStore(subscribeScheme, () => (dark?.matches ? "dark" : "light"), () => "light");
  useEffect(() => {
    const el = canvas.current;
    // No 2D context (jsdom, or a blocked canvas): the figure's text alternative still stands.
    if (!el || !el.getContext("2d")) return;
    const order = [...SEVERITIES].reverse();
    const grid = cssVar("--border");
    const text = cssVar("--text-muted");
    const chart = new Chart(el, {
      type: "line",
      data: {
        labels: points.map((p) => p.date),
        datasets: order.map((s, i) => ({
          label: SEVERITY_LABEL[s],
          data: points.map((p) => p[s]),
          borderColor: cssVar(`--chart-${s}`),
          backgroundColor: cssVar(`--chart-${s}`) + "c0",
          fill: i === 0 ? "origin" : "-1",
          pointRadius: 0,
          pointHitRadius: 6,
          borderWidth: 1.5,
          tension: 0.25,
        })),
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { grid: { display: false }, border: { color: grid }, ticks: { color: text, maxTicksLimit: 7, maxRotation: 0, callback: (_v, i) => points[i]?.date.slice(5) ?? "" } },
          y: { stacked: true, beginAtZero: true, grid: { color: grid }, border: { display: false }, ticks: { color: text, precision: 0 } },
        },
        plugins: { tooltip: { itemSort: (a, b) => b.datasetIndex - a.datasetIndex } },
      },
    });
    return () => chart.destroy();
  }, [points, scheme]);
  const first = points[0];
  const last = points[points.length - 1];
  const total = (p: TrendPoint | undefined) => (p ? p.critical + p.high + p.medium + p.low + p.unknown : 0);
  return (
    <figure className="chart" style={{ margin: 0 }} role="img" aria-label={`Open vulnerability findings went from ${total(first)} to ${total(last)} over the last ${points.length} days`}>
      <canvas ref={canvas} data-testid="trend-chart" />
    </figure>
  );
}
