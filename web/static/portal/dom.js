// DOM helpers that only ever set text (textContent, attributes), never
// HTML: values users stored cannot become markup.
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') e.textContent = String(v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v === true) e.setAttribute(k, '');
    else e.setAttribute(k, String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

// field is a labelled input; its id is name prefixed with f-.
export function field(label, name, attrs = {}) {
  const id = 'f-' + name;
  return el('p', { class: 'field' },
    el('label', { for: id, text: label }),
    el('input', { id, name, ...attrs }));
}

// choice is a labelled select.
export function choice(label, name, options, value) {
  const id = 'f-' + name;
  return el('p', { class: 'field' },
    el('label', { for: id, text: label }),
    el('select', { id, name },
      options.map(([v, t]) => el('option', { value: v, selected: v === value, text: t }))));
}

// table renders rows (objects) with the given columns [key, title].
export function table(rows, columns, caption) {
  return el('div', { class: 'scroll', tabindex: '0', role: 'region', 'aria-label': caption },
    el('table', {},
      el('caption', { text: caption }),
      el('thead', {}, el('tr', {}, columns.map(([, t]) => el('th', { scope: 'col', text: t })))),
      el('tbody', {}, rows.map((r) => el('tr', {}, columns.map(([k]) => el('td', { 'data-col': k, text: r[k] ?? '' })))))));
}

// formValues reads a form's named controls.
export function formValues(form) {
  return Object.fromEntries(new FormData(form).entries());
}
