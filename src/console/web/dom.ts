type Child = Node | string | number | null | undefined | false;

/** A DOM element; text goes in as text nodes, never as HTML, so data cannot inject markup. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> | null, ...children: Array<Child | Child[]>): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) el.setAttribute(k, v);
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'number' ? String(c) : c);
  }
  return el;
}

/** The marker of a field the viewer's role may not see. `data-withheld` names the field. */
export function withheld(field: string, reason?: string): HTMLElement {
  return h('span', { class: 'withheld', 'data-withheld': field, title: `Withheld from your role${reason ? ` (${reason})` : ''}` }, 'withheld');
}

export function section(title: string, id: string, ...children: Array<Child | Child[]>): HTMLElement {
  return h('section', { id, 'data-panel': id }, h('h2', null, title), ...children);
}

export function table(headers: string[], rows: Array<Array<Child>>): HTMLElement {
  return h('table', null, h('thead', null, h('tr', null, headers.map((x) => h('th', null, x)))), h('tbody', null, rows.map((r) => h('tr', null, r.map((c) => h('td', null, c))))));
}

export const fmtDate = (s: string | null | undefined): string => (s ? new Date(s).toISOString().slice(0, 16).replace('T', ' ') : '—');
export const pct = (x: number | null | undefined): string => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)}%`);
export const money = (m: { amount: string; currency: string } | null | undefined): string => (m ? `${m.amount} ${m.currency}` : '—');
