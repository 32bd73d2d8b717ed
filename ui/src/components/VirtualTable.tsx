import { useVirtualizer } from "@tanstack/react-virtual";
import { useRef, useState, type ReactNode } from "react";

export interface Column<T> {
  key: string;
  header: string;
  /** CSS grid track, e.g. `2fr` or `90px`. */
  width: string;
  render: (row: T) => ReactNode;
  align?: "right";
}

/**
 * A virtualized grid table: only visible rows are in the DOM, so 10,000 rows scroll smoothly.
 * Arrow keys / Home / End move the active row, Enter opens it. The table is one tab stop.
 */
export function VirtualTable<T>({ rows, columns, rowKey, onOpen, label, rowHeight = 34, height = "100%", rowClass }: {
  rows: T[];
  columns: Column<T>[];
  rowKey: (row: T) => string | number;
  onOpen?: (row: T) => void;
  label: string;
  rowHeight?: number;
  height?: string;
  rowClass?: (row: T) => string;
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState(0);
  const virtualizer = useVirtualizer({ count: rows.length, getScrollElement: () => scrollRef.current, estimateSize: () => rowHeight, overscan: 12, initialRect: { width: 900, height: 600 } });
  const template = columns.map((c) => c.width).join(" ");
  const activeIndex = Math.min(active, Math.max(0, rows.length - 1));

  function move(to: number) {
    const i = Math.max(0, Math.min(rows.length - 1, to));
    setActive(i);
    virtualizer.scrollToIndex(i, { align: "auto" });
  }
  function onKeyDown(e: React.KeyboardEvent) {
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 600) / rowHeight) - 1);
    const keys: Record<string, () => void> = {
      ArrowDown: () => move(activeIndex + 1),
      ArrowUp: () => move(activeIndex - 1),
      PageDown: () => move(activeIndex + page),
      PageUp: () => move(activeIndex - page),
      Home: () => move(0),
      End: () => move(rows.length - 1),
      Enter: () => {
        const row = rows[activeIndex];
        if (row && onOpen) onOpen(row);
      },
    };
    const f = keys[e.key];
    if (f) {
      e.preventDefault();
      f();
    }
  }
  const activeRow = rows[activeIndex];
  const activeId = activeRow !== undefined ? `row-${label.replace(/\W+/g, "-")}-${rowKey(activeRow)}` : undefined;

  return (
    <div className="vtable" role="grid" aria-label={label} aria-rowcount={rows.length + 1}>
      <div className="vtable-head" role="row" style={{ gridTemplateColumns: template }}>
        {columns.map((c) => (
          <div key={c.key} role="columnheader" className={c.align === "right" ? "num" : undefined}>
            {c.header}
          </div>
        ))}
      </div>
      <div className="vtable-body" ref={scrollRef} style={{ height }} tabIndex={0} onKeyDown={onKeyDown} aria-activedescendant={activeId} role="rowgroup">
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {virtualizer.getVirtualItems().map((v) => {
            const row = rows[v.index];
            if (row === undefined) return null;
            const id = `row-${label.replace(/\W+/g, "-")}-${rowKey(row)}`;
            return (
              <div
                key={rowKey(row)}
                id={id}
                role="row"
                aria-rowindex={v.index + 2}
                aria-selected={v.index === activeIndex}
                className={`vtable-row${v.index === activeIndex ? " active" : ""}${onOpen ? " clickable" : ""}${rowClass ? ` ${rowClass(row)}` : ""}`}
                style={{ gridTemplateColumns: template, height: rowHeight, transform: `translateY(${v.start}px)` }}
                onClick={() => {
                  setActive(v.index);
                  onOpen?.(row);
                }}
              >
                {columns.map((c) => (
                  <div key={c.key} role="gridcell" className={c.align === "right" ? "num" : undefined}>
                    {c.render(row)}
                  </div>
                ))}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
