// The rules console: an admin client of the API. Every change goes through
// the API's own admin entries (db, apireload) with authmd5 per request, so
// the API's checks and audit apply; the page holds no session or cookie
// (nothing for a cross-site request to ride on).
import { Client, salt } from './lib/api.js';
import { md5 } from './lib/md5.js';
import { el, field, choice, table, formValues } from './lib/dom.js';

const view = document.getElementById('view');
const nav = document.getElementById('nav');
const answer = document.getElementById('answer');
let cfg = { keyrequired: false };
const client = new Client();

function show(ans) {
  answer.textContent = ans.text;
  answer.className = ans.ok ? 'ok' : 'error';
  answer.scrollIntoView({ block: 'nearest' });
}

function page(title, ...content) {
  const h = el('h2', { tabindex: '-1', id: 'page-title', text: title });
  view.replaceChildren(el('section', {}, h, ...content));
  h.focus();
}

function form(id, onsubmit, ...children) {
  const f = el('form', { id, novalidate: true }, ...children);
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const v = formValues(f);
    f.setAttribute('aria-busy', 'true');
    try { await onsubmit(v, f); } finally { f.removeAttribute('aria-busy'); }
  });
  return f;
}

// sqlString quotes a value as an SQL string literal (quotes doubled), for
// the db entry.
function sqlString(v) {
  return "'" + String(v).replaceAll("'", "''") + "'";
}

function sqlInt(v) {
  const s = String(v ?? '').trim();
  if (s === '') return 'NULL';
  if (!/^-?\d{1,9}$/.test(s)) throw new Error('not a whole number: ' + s);
  return s;
}

const pages = { entries: entriesPage, rows: rowsPage, tryit: tryPage, views: viewsPage };
const titles = { entries: 'Entries', rows: 'tb_api rows', tryit: 'Try it', views: 'State, outbox, jobs, bans' };

// Read-only views: SELECTs through the db entry (at most 1000 rows) and
// bannedlist.
const views = {
  apistatus: ['Rule state', 'apistatus', {}],
  outbox: ['Outbox', 'db', { txt: 'SELECT * FROM tb_outbox ORDER BY id DESC' }],
  jobruns: ['Job runs', 'db', { txt: 'SELECT * FROM tb_jobruns ORDER BY id DESC' }],
  banned: ['Banned IPs', 'bannedlist', {}],
  lockouts: ['Lockouts (failed logins per IP)', 'db', { txt: 'SELECT * FROM tb_authfailures' }],
};

async function viewsPage(which) {
  const out = el('div', { id: 'views-out' });
  page('State, outbox, jobs, bans',
    el('p', {}, Object.entries(views).map(([k, [t]]) =>
      [el('a', { href: '#views/' + k, 'aria-current': k === which ? 'page' : null, text: t }), ' '])),
    out);
  const v = views[which];
  if (!v) return;
  const ans = await client.call(v[1], v[2]);
  show(ans);
  if (!ans.ok) return;
  const cols = ans.rows.length ? Object.keys(ans.rows[0]).map((k) => [k, k]) : [];
  out.replaceChildren(table(ans.rows, cols, v[0] + ': ' + ans.text));
  out.querySelectorAll('td').forEach((td) => td.classList.add('wrap'));
}

function buildNav() {
  nav.replaceChildren(el('ul', {},
    Object.keys(pages).map((k) => el('li', {}, el('a', { href: '#' + k, 'data-page': k, text: titles[k] }))),
    el('li', {}, el('button', { type: 'button', id: 'reload', onclick: reload, text: 'apireload' })),
    el('li', {}, el('button', { type: 'button', id: 'logout', onclick: logout, text: 'Log out' }))));
}

async function reload() {
  show(await client.call('apireload'));
}

function logout() {
  client.forget();
  nav.hidden = true;
  answer.textContent = '';
  location.hash = '';
  loginPage();
}

function route() {
  if (!client.user) { loginPage(); return; }
  const [name, arg] = location.hash.slice(1).split('/');
  (pages[name] || entriesPage)(arg ? decodeURIComponent(arg) : '');
}

function loginPage() {
  page('Admin log in',
    form('login', async (v) => {
      if (cfg.keyrequired) client.key = v.authkey.trim();
      client.setLogin(v.username.trim(), v.password);
      // version is an admin entry: it proves the admin level.
      const ans = await client.call('version');
      if (!ans.ok) { client.forget(); show(ans); return; }
      answer.textContent = '';
      nav.hidden = false;
      buildNav();
      route();
    },
    field('Admin username', 'username', { autocomplete: 'username', required: true, autocapitalize: 'none' }),
    field('Password', 'password', { type: 'password', autocomplete: 'current-password', required: true }),
    cfg.keyrequired ? field('API key (apiv2key)', 'authkey', { autocomplete: 'off', required: true }) : null,
    el('p', {}, el('button', { type: 'submit', text: 'Log in' }))));
}

async function entriesPage() {
  page('Entries', el('p', { text: 'Loading…' }));
  const ans = await client.call('help');
  show(ans);
  if (!ans.ok) return;
  const out = el('div', { id: 'entries-out' });
  const render = (q) => {
    q = q.trim().toLowerCase();
    const rows = ans.rows.filter((r) => !q || Object.values(r).some((v) => String(v).toLowerCase().includes(q)));
    const t = table(rows, [['entry', 'Entry'], ['access', 'Access'], ['parameters', 'Parameters'], ['description', 'Description']],
      rows.length + ' of ' + ans.rows.length + ' entries');
    t.querySelectorAll('td[data-col=entry]').forEach((td) => {
      const name = td.textContent;
      td.replaceChildren(el('a', { href: '#tryit/' + encodeURIComponent(name), text: name }));
    });
    t.querySelectorAll('td[data-col=description]').forEach((td) => td.classList.add('wrap'));
    out.replaceChildren(t);
  };
  const search = el('input', { id: 'f-search', type: 'search', 'aria-label': 'Search entries', placeholder: 'Search' });
  search.addEventListener('input', () => render(search.value));
  page('Entries', el('p', { class: 'field' }, el('label', { for: 'f-search', text: 'Search' }), search), out);
  render('');
}

const levels = [['', 'default (12: all users)'], ['2', '2 disabled'], ['4', '4 server admins'], ['6', '6 admins'], ['8', '8 owners'],
  ['10', '10 support'], ['11', '11 SIP users'], ['12', '12 all users'], ['14', '14 public (no login)']];
const modes = [['', 'default (apiv2auth)'], ['2', '2 username or id with password or PIN'], ['4', '4 username, id or PIN (a PIN alone)'],
  ['6', '6 username and password only']];

async function rowsPage(id) {
  page('tb_api rows', el('p', { text: 'Loading…' }));
  const ans = await client.call('db', { txt: 'SELECT id, fname, req_key, req_user, req_user_mode, enabled, customsql, description FROM tb_api ORDER BY id' });
  if (!ans.ok) { show(ans); return; }
  const t = table(ans.rows, [['id', 'id'], ['fname', 'fname'], ['req_user', 'req_user'], ['enabled', 'enabled'], ['customsql', 'customsql']], ans.text);
  t.querySelectorAll('tbody tr').forEach((tr, i) => {
    tr.querySelector('td[data-col=customsql]').classList.add('wrap');
    const td = tr.querySelector('td[data-col=id]');
    td.append(' ', el('button', { type: 'button', 'data-edit': ans.rows[i].fname, text: 'Edit',
      onclick: () => { location.hash = '#rows/' + ans.rows[i].id; } }));
  });
  const row = ans.rows.find((r) => r.id === id);
  if (id === 'new') editRow({});
  else if (row) editRow(row);
  else page('tb_api rows', el('p', {}, el('button', { type: 'button', id: 'new-row', text: 'New row',
    onclick: () => { location.hash = '#rows/new'; } })), t);
}

function editRow(r) {
  const isNew = !r.id;
  page(isNew ? 'New tb_api row' : 'tb_api row ' + r.id,
    form('row', async (v) => {
      let sql;
      try {
        const vals = { fname: sqlString(v.fname.trim()), req_key: sqlInt(v.req_key), req_user: sqlInt(v.req_user),
          req_user_mode: sqlInt(v.req_user_mode), enabled: sqlInt(v.enabled), customsql: sqlString(v.customsql),
          description: sqlString(v.description) };
        sql = isNew
          ? 'INSERT INTO tb_api (' + Object.keys(vals).join(', ') + ') VALUES (' + Object.values(vals).join(', ') + ')'
          : 'UPDATE tb_api SET ' + Object.entries(vals).map(([k, x]) => k + ' = ' + x).join(', ') + ' WHERE id = ' + sqlInt(r.id);
      } catch (e) {
        show({ ok: false, text: 'ERROR: ' + e.message });
        return;
      }
      const ans = await client.call('db', { txt: sql });
      if (!ans.ok) { show(ans); return; }
      // apireload compiles every row and answers with the diff (added,
      // changed, removed) or the rows that fail.
      const rel = await client.call('apireload');
      show({ ok: rel.ok, text: rel.text + ' (' + ans.text + ')' });
    },
    field('fname (the entry name)', 'fname', { value: r.fname ?? '', required: true, autocomplete: 'off' }),
    el('p', { class: 'help', text: 'A new name adds an entry; the name of a built-in overrides it.' }),
    choice('req_user (who may call)', 'req_user', levels, r.req_user ?? ''),
    choice('req_user_mode (how users authenticate)', 'req_user_mode', modes, r.req_user_mode ?? ''),
    choice('req_key (authkey must match apiv2key)', 'req_key', [['', 'default'], ['1', '1 yes'], ['0', '0 no']], r.req_key ?? ''),
    choice('enabled', 'enabled', [['1', '1 yes'], ['0', '0 no']], r.enabled === '0' ? '0' : '1'),
    el('p', { class: 'field' }, el('label', { for: 'f-customsql', text: 'customsql' }),
      el('textarea', { id: 'f-customsql', name: 'customsql', class: 'sql', rows: 6, spellcheck: 'false' }, r.customsql ?? '')),
    el('p', { class: 'help', text: 'Placeholders such as [USERID], [USERNAME], [SPARAM1]…[SPARAM9] become bound parameters.' }),
    field('description', 'description', { value: r.description ?? '' }),
    el('p', {}, el('button', { type: 'submit', text: 'Save and apireload' }), ' ',
      el('a', { href: '#rows', text: 'Back to the rows' }))));
}

// parseParams reads name=value lines.
function parseParams(text) {
  const p = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) p[line.slice(0, i).trim()] = line.slice(i + 1);
  }
  return p;
}

// curlFor is the request as a curl command, authmd5 computed with a fresh
// salt for the chosen user (the reference's "Generate API examples").
function curlFor(entry, params, user, pwd, fmt) {
  const q = new URLSearchParams({ apientry: entry, ...params });
  if (client.key) q.set('authkey', client.key);
  if (user) {
    const s = salt();
    q.set('authid', user);
    q.set('authsalt', s);
    q.set('authmd5', md5('ck5Gp' + user + pwd + client.md5salt + s));
  }
  if (fmt && fmt !== 'text') q.set('format', fmt);
  return "curl '" + location.origin + '/mvapireq/?' + q.toString().replaceAll("'", '%27') + "'";
}

function tryPage(entry) {
  const out = el('pre', { id: 'try-out', 'aria-label': 'Answer' });
  const curl = el('pre', { id: 'try-curl', 'aria-label': 'curl' });
  page('Try it',
    form('try', async (v) => {
      const params = parseParams(v.params);
      const user = v.asuser.trim();
      const c = new Client({ key: client.key, md5salt: client.md5salt });
      if (user) c.setLogin(user, v.aspwd); else c.setLogin(client.user, client.pwd);
      const fmt = v.format;
      const body = new URLSearchParams({ apientry: v.entry.trim(), ...params, ...c.authParams(''), format: fmt });
      let text;
      try {
        const resp = await fetch('/mvapireq/', { method: 'POST', body, cache: 'no-store', credentials: 'omit' });
        text = await resp.text();
      } catch (e) { text = 'ERROR: network: ' + e.message; }
      out.textContent = text;
      curl.textContent = curlFor(v.entry.trim(), params, user || client.user, user ? v.aspwd : client.pwd, fmt);
      answer.textContent = '';
    },
    field('Entry', 'entry', { value: entry, required: true, autocomplete: 'off' }),
    el('p', { class: 'field' }, el('label', { for: 'f-params', text: 'Parameters (name=value, one a line)' }),
      el('textarea', { id: 'f-params', name: 'params', class: 'sql', rows: 3, spellcheck: 'false' })),
    el('div', { class: 'row' },
      field('As user (empty: you)', 'asuser', { autocomplete: 'off' }),
      field('Their password', 'aspwd', { type: 'password', autocomplete: 'off' }),
      choice('Format', 'format', ['json', 'text', 'xml', 'html', 'soap', 'cleartext'].map((f) => [f, f]), 'json')),
    el('p', {}, el('button', { type: 'submit', text: 'Send' }), ' ',
      el('button', { type: 'button', id: 'copy-curl', text: 'Copy as curl',
        onclick: () => navigator.clipboard?.writeText(curl.textContent).then(() => show({ ok: true, text: 'Copied.' }), () => {}) }))),
    el('h3', { text: 'Answer' }), out, el('h3', { text: 'As curl' }), curl);
}

async function start() {
  try {
    const resp = await fetch('config.json', { cache: 'no-store', credentials: 'omit' });
    if (resp.ok) cfg = { ...cfg, ...(await resp.json()) };
  } catch { /* ask for the key */ }
  window.addEventListener('hashchange', route);
  route();
  document.body.dataset.ready = '1';
}

start();
