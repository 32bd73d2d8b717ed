import { useRef } from "react";

/** ARIA tabs: Left/Right/Home/End move between tabs (roving tabindex). */
export function Tabs<T extends string>({ tabs, current, onSelect, label }: { tabs: { id: T; label: string; count?: number }[]; current: T; onSelect: (id: T) => void; label: string }) {
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  function onKeyDown(e: React.KeyboardEvent, i: number) {
    const n = tabs.length;
    const to = e.key === "ArrowRight" ? (i + 1) % n : e.key === "ArrowLeft" ? (i - 1 + n) % n : e.key === "Home" ? 0 : e.key === "End" ? n - 1 : -1;
    const tab = tabs[to];
    if (to >= 0 && tab) {
      e.preventDefault();
      onSelect(tab.id);
      refs.current[to]?.focus();
    }
  }
  return (
    <div className="tabs" role="tablist" aria-label={label}>
      {tabs.map((t, i) => (
        <button
          key={t.id}
          ref={(el) => {
            refs.current[i] = el;
          }}
          type="button"
          role="tab"
          id={`tab-${t.id}`}
          aria-selected={t.id === current}
          aria-controls={`panel-${t.id}`}
          tabIndex={t.id === current ? 0 : -1}
          className="tab"
          onClick={() => onSelect(t.id)}
          onKeyDown={(e) => onKeyDown(e, i)}
        >
          {t.label}
          {t.count !== undefined && <span className="count">{t.count.toLocaleString("en")}</span>}
        </button>
      ))}
    </div>
  );
}
