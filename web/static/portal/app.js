// The enduser portal: every page is one or two API calls (getdetails,
// balance, cdr, rating, charge, sendsms, setfield, changepwd, newuseru).
import { Client } from './api.js';
import { el, field, choice, table, formValues } from './dom.js';

const view = document.getElementById('view');
const nav = document.getElementById('nav');
const answer = document.getElementById('answer');
let cfg = { apikey: '', keyrequired: false, md5salt: '', saltrequired: false, signup: false };
let client = new Client();

// show prints an API answer exactly as the API said it.
function show(ans) {
  answer.textContent = ans.text;
  answer.className = ans.ok ? 'ok' : 'error';
  answer.scrollIntoView({ block: 'nearest' });
}

function clearAnswer() {
  answer.textContent = '';
  answer.className = '';
}

// page replaces the view with a titled section and focuses the title.
function page(title, ...content) {
  const h = el('h2', { tabindex: '-1', text: title });
  view.replaceChildren(el('section', { 'aria-labelledby': 'page-title' }, h, ...content));
  h.id = 'page-title';
  h.focus();
}

// busy disables a form while a request runs.
async function busy(form, fn) {
  const controls = form.querySelectorAll('button, input, select, textarea');
  controls.forEach((c) => { c.disabled = true; });
  form.setAttribute('aria-busy', 'true');
  try {
    return await fn();
  } finally {
    controls.forEach((c) => { c.disabled = false; });
    form.removeAttribute('aria-busy');
  }
}

function form(id, onsubmit, ...children) {
  const f = el('form', { id, novalidate: true }, ...children);
  f.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const values = formValues(f); // before busy disables the controls
    busy(f, () => onsubmit(values, f));
  });
  return f;
}

const pages = {
  status: statusPage, calls: callsPage, prices: pricesPage, recharge: rechargePage,
  sms: smsPage, profile: profilePage, password: passwordPage,
};
const titles = {
  status: 'Status', calls: 'Calls', prices: 'Prices', recharge: 'Recharge',
  sms: 'SMS', profile: 'Profile', password: 'Password',
};

function buildNav() {
  nav.replaceChildren(el('ul', {},
    Object.keys(pages).map((k) => el('li', {}, el('a', { href: '#' + k, 'data-page': k, text: titles[k] }))),
    el('li', {}, el('button', { type: 'button', id: 'logout', onclick: logout, text: 'Log out' }))));
}

// takeKey reads /webvoip/#authkey=KEY: a link from the provider carries
// the key in the fragment (never sent to the server, nor in a Referer); it
// is removed from the address bar at once.
function takeKey() {
  const m = /^#authkey=([^&]*)/.exec(location.hash);
  if (!m) return '';
  history.replaceState(null, '', location.pathname);
  return decodeURIComponent(m[1]);
}

function route() {
  const key = takeKey();
  if (key && !cfg.apikey) client.key = key;
  if (!client.user) {
    if (location.hash === '#signup' && cfg.signup) signupPage();
    else loginPage();
    return;
  }
  const name = location.hash.slice(1);
  const fn = pages[name] || statusPage;
  for (const a of nav.querySelectorAll('a')) {
    if (a.dataset.page === (pages[name] ? name : 'status')) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  fn();
}

function logout() {
  client.forget();
  nav.hidden = true;
  clearAnswer();
  location.hash = '';
  loginPage();
}

function loginPage() {
  const needKey = cfg.keyrequired && !client.key;
  page('Log in',
    form('login', async (v) => {
      if (needKey) client.key = v.authkey.trim();
      client.setLogin(v.username.trim(), v.password);
      const ans = await client.call('getdetails');
      if (!ans.ok) {
        client.forget();
        show(ans);
        return;
      }
      clearAnswer();
      nav.hidden = false;
      buildNav();
      route();
    },
    field('Username', 'username', { autocomplete: 'username', required: true, autocapitalize: 'none' }),
    field('Password', 'password', { type: 'password', autocomplete: 'current-password', required: true }),
    needKey ? field('API key (from your provider)', 'authkey', { autocomplete: 'off', required: true }) : null,
    el('p', {}, el('button', { type: 'submit', text: 'Log in' }))),
    cfg.saltrequired && !cfg.md5salt
      ? el('p', { class: 'note', text: 'This server uses a server salt the portal was not given: ask your provider to set webportalkey=1.' })
      : null,
    cfg.signup ? el('p', {}, el('a', { href: '#signup', text: 'Sign up for an account' })) : null);
}

function signupPage() {
  page('Sign up',
    form('signup', async (v) => {
      if (cfg.keyrequired && !client.key) client.key = (v.authkey || '').trim();
      delete v.authkey;
      const ans = await client.call('newuseru', v, { anonymous: true });
      show(ans);
    },
    field('Username', 'u_username', { autocomplete: 'username', required: true, autocapitalize: 'none' }),
    field('Password', 'u_password', { type: 'password', autocomplete: 'new-password', required: true }),
    field('Name', 'u_name', { autocomplete: 'name' }),
    field('Email', 'u_email', { type: 'email', autocomplete: 'email' }),
    field('Phone', 'u_phone', { type: 'tel', autocomplete: 'tel' }),
    field('Country', 'u_country', { autocomplete: 'country-name' }),
    cfg.keyrequired && !client.key ? field('API key (from your provider)', 'authkey', { autocomplete: 'off' }) : null,
    el('p', {}, el('button', { type: 'submit', text: 'Sign up' }))),
    el('p', {}, el('a', { href: '#', text: 'Back to log in' })));
}

const phoneStates = { 0: 'unknown', 1: 'offline', 2: 'online (registered)', 3: 'calling', 4: 'speaking' };

function dl(pairs) {
  return el('dl', { class: 'details' }, pairs.map(([k, v, id]) => [el('dt', { text: k }), el('dd', { id, text: v })]));
}

async function statusPage() {
  page('Status', el('p', { text: 'Loading…' }));
  const [det, bal] = await Promise.all([client.call('getdetails'), client.call('balance')]);
  if (!det.ok) { show(det); return; }
  const u = det.rows[0] || {};
  page('Status',
    dl([['Username', u.username, 'st-username'], ['Name', u.name, 'st-name'], ['Display name', u.displayname, 'st-displayname'],
      ['Phone', phoneStates[u.status] ?? String(u.status ?? ''), 'st-phone'],
      ['Balance', bal.ok ? bal.text : '', 'balance'], ['Credit', u.credit, 'st-credit'], ['Currency', u.currency, 'st-currency']]));
  if (!bal.ok) show(bal); else clearAnswer();
}

const callColumns = [['datum', 'Date (UTC)'], ['caller', 'From'], ['called', 'To'], ['duration', 'Seconds'], ['cost', 'Cost']];

function callsPage() {
  const out = el('div', { id: 'calls-out' });
  page('Calls',
    form('calls', async (v) => {
      const p = { days: v.days, dir: v.dir, type: v.type, summary: v.summary ? 'yes' : 'no' };
      const ans = await client.call('cdr', p);
      show(ans);
      out.replaceChildren(ans.ok ? table(ans.rows, callColumns, ans.text) : '');
    },
    el('div', { class: 'row' },
      choice('Period', 'days', [['today', 'Today'], ['lastweek', 'Last week'], ['lastmonth', 'Last month']], 'lastweek'),
      choice('Direction', 'dir', [['all', 'In and out'], ['in', 'Incoming'], ['out', 'Outgoing']], 'all'),
      choice('Calls', 'type', [['all', 'All'], ['connected', 'Connected'], ['notconnected', 'Not connected']], 'all')),
    el('p', { class: 'check' }, el('input', { type: 'checkbox', id: 'f-summary', name: 'summary', value: '1' }),
      el('label', { for: 'f-summary', text: 'Summary' })),
    el('p', {}, el('button', { type: 'submit', text: 'Show calls' }))),
    out);
  view.querySelector('#calls').requestSubmit();
}

function pricesPage() {
  const results = [];
  const out = el('div', { id: 'prices-out' });
  page('Prices',
    form('prices', async (v) => {
      const ans = await client.call('rating', { bnum: v.bnum.trim() });
      show(ans);
      results.unshift({ bnum: v.bnum.trim(), text: ans.text });
      out.replaceChildren(table(results, [['bnum', 'Number or prefix'], ['text', 'Price']], 'Prices asked'));
    },
    field('Number or prefix', 'bnum', { inputmode: 'tel', required: true, autocomplete: 'off' }),
    el('p', {}, el('button', { type: 'submit', text: 'Find price' }))),
    out);
}

function rechargePage() {
  const out = el('p', { id: 'recharge-balance' });
  page('Recharge',
    form('recharge', async (v, f) => {
      const ans = await client.call('charge', { pin: v.pin.trim() });
      show(ans);
      if (ans.ok) {
        f.reset();
        const bal = await client.call('balance');
        out.textContent = bal.text;
      }
    },
    field('Recharge PIN', 'pin', { inputmode: 'numeric', required: true, autocomplete: 'off' }),
    el('p', {}, el('button', { type: 'submit', text: 'Recharge' }))),
    out);
}

function smsPage() {
  page('Send SMS',
    form('sms', async (v, f) => {
      const ans = await client.call('sendsms', { to: v.to.trim(), message: v.message });
      show(ans);
      if (ans.ok) f.querySelector('textarea').value = '';
    },
    field('To (number)', 'to', { type: 'tel', required: true, autocomplete: 'off' }),
    el('p', { class: 'field' }, el('label', { for: 'f-message', text: 'Message' }),
      el('textarea', { id: 'f-message', name: 'message', rows: 4, maxlength: 1000, required: true })),
    el('p', {}, el('button', { type: 'submit', text: 'Send' }))));
}

// Fields setfield lets a user change (the reference's list): always, and
// only while empty.
const always = [['displayname', 'Display name'], ['forwardalways', 'Forward always to'], ['forwardonbusy', 'Forward on busy to'],
  ['forwardonnoanswer', 'Forward on no answer to'], ['noanswertimeout', 'No answer timeout (s)', 'int']];
const once = [['name', 'Name'], ['email', 'Email'], ['phone', 'Phone'], ['address', 'Address'], ['country', 'Country'], ['language', 'Language']];

async function profilePage() {
  page('Profile', el('p', { text: 'Loading…' }));
  const det = await client.call('getdetails', { mode: 'max' });
  if (!det.ok) { show(det); return; }
  const u = det.rows[0] || {};
  const types = {};
  const inputs = (list, setOnce) => list.map(([name, label, type]) => {
    types[name] = type || 'string';
    const locked = setOnce && (u[name] ?? '') !== '';
    const p = field(label, name, { value: u[name] ?? '', readonly: locked, 'data-locked': locked ? '1' : '0',
      'aria-describedby': locked ? 'once-note' : null, inputmode: type === 'int' ? 'numeric' : null });
    return p;
  });
  clearAnswer();
  page('Profile',
    form('profile', async (v) => {
      const texts = [];
      let last = null;
      for (const [name, value] of Object.entries(v)) {
        const input = view.querySelector('#f-' + name);
        if (input.readOnly || value === (u[name] ?? '')) continue;
        last = await client.call('setfield', { fieldtype: types[name], fieldname: name, fieldvalue: value });
        texts.push(last.text);
        if (!last.ok) break;
        u[name] = value;
      }
      if (!last) { show({ ok: true, text: 'Nothing changed.' }); return; }
      show({ ok: last.ok, text: texts.join(' ') });
      if (last.ok) profilePage().then(() => show({ ok: true, text: texts.join(' ') }));
    },
    el('fieldset', {}, el('legend', { text: 'Settings' }), inputs(always, false)),
    el('fieldset', {}, el('legend', { text: 'Contact details' }),
      el('p', { id: 'once-note', class: 'note', text: 'These can be set once; ask your provider to change them.' }),
      inputs(once, true)),
    el('p', {}, el('button', { type: 'submit', text: 'Save' }))));
}

function passwordPage() {
  page('Change password',
    form('password', async (v, f) => {
      if (v.newpassword !== v.repeat) {
        show({ ok: false, text: 'ERROR: the two new passwords differ' });
        return;
      }
      const ans = await client.call('changepwd', { oldpassword: v.oldpassword, newpassword: v.newpassword });
      show(ans);
      if (ans.ok) {
        client.setLogin(client.user, v.newpassword);
        f.reset();
      }
    },
    el('input', { type: 'text', name: 'username', autocomplete: 'username', value: client.user, hidden: true, 'aria-hidden': 'true' }),
    field('Current password', 'oldpassword', { type: 'password', autocomplete: 'current-password', required: true }),
    field('New password', 'newpassword', { type: 'password', autocomplete: 'new-password', required: true }),
    field('New password again', 'repeat', { type: 'password', autocomplete: 'new-password', required: true }),
    el('p', {}, el('button', { type: 'submit', text: 'Change password' }))));
}

async function start() {
  const key = takeKey();
  try {
    const resp = await fetch('config.json', { cache: 'no-store', credentials: 'omit' });
    if (resp.ok) cfg = { ...cfg, ...(await resp.json()) };
  } catch { /* the defaults: ask for the key */ }
  client = new Client({ key: cfg.apikey || key, md5salt: cfg.md5salt || '' });
  window.addEventListener('hashchange', route);
  route();
  document.body.dataset.ready = '1';
}

start();
