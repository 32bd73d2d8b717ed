/** Search field; the global `/` shortcut focuses the one marked `data-search`. */
export function SearchBox({ value, onChange, label, placeholder }: { value: string; onChange: (v: string) => void; label: string; placeholder?: string }) {
  return (
    <div className="search">
      <input
        type="search"
        data-search
        aria-label={label}
        placeholder={placeholder ?? `${label} (press /)`}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Escape" && value !== "") {
            e.stopPropagation();
            onChange("");
          }
        }}
      />
    </div>
  );
}

/** Toggle chips for multi-select filters. */
export function FilterChips<T extends string>({ label, options, selected, onChange, render }: { label: string; options: readonly T[]; selected: T[]; onChange: (v: T[]) => void; render?: (v: T) => string }) {
  return (
    <div className="chips" role="group" aria-label={label}>
      <span className="chips-label">{label}</span>
      {options.map((o) => {
        const on = selected.includes(o);
        return (
          <button key={o} type="button" className={`chip${on ? " chip-on" : ""} chip-${o}`} aria-pressed={on} onClick={() => onChange(on ? selected.filter((x) => x !== o) : [...selected, o])}>
            {render ? render(o) : o}
          </button>
        );
      })}
    </div>
  );
}
