// A client of the mvapi HTTP API, as any other client: POST /mvapireq/ with
// format=json and authmd5 = md5("ck5Gp" + user + password + apiv2md5salt +
// authsalt), a fresh salt per request. The password lives in this object
// only (memory); nothing is written to storage or cookies.
import { md5 } from './md5.js';

// salt returns a random 5-7 digit decimal, as the WebPhone sends.
export function salt() {
  const r = new Uint32Array(2);
  crypto.getRandomValues(r);
  const digits = 5 + (r[0] % 3);
  const min = 10 ** (digits - 1);
  return String(min + (r[1] % (9 * min)));
}

export class Client {
  // base is the API path; key the apiv2key (may be empty); md5salt the
  // apiv2md5salt.
  constructor({ base = '/mvapireq/', key = '', md5salt = '' } = {}) {
    this.base = base;
    this.key = key;
    this.md5salt = md5salt;
    this.user = '';
    this.pwd = '';
  }

  setLogin(user, pwd) {
    this.user = user;
    this.pwd = pwd;
  }

  forget() {
    this.user = '';
    this.pwd = '';
  }

  // authParams are the parameters that prove the login for one request
  // (the nonce formula when the server asked for a nonce).
  authParams(nonce) {
    const p = {};
    if (this.key) p.authkey = this.key;
    if (!this.user) return p;
    p.authid = this.user;
    const s1 = salt();
    if (nonce) {
      const s2 = salt();
      p.authsalt1 = s1;
      p.authsalt2 = s2;
      p.nonce = nonce;
      p.authmd5 = 'authv3_' + md5(md5('tU29m' + this.user + this.pwd + s1) + s2 + this.md5salt + nonce);
    } else {
      p.authsalt = s1;
      p.authmd5 = md5('ck5Gp' + this.user + this.pwd + this.md5salt + s1);
    }
    return p;
  }

  // call runs an entry and returns the JSON answer {code, status, text,
  // rows}; ok is true for code 200. A network failure is an answer too.
  async call(entry, params = {}, { anonymous = false } = {}) {
    let nonce = '';
    for (let attempt = 0; attempt < 2; attempt++) {
      const auth = anonymous ? (this.key ? { authkey: this.key } : {}) : this.authParams(nonce);
      const body = new URLSearchParams({ apientry: entry, ...params, ...auth, format: 'json' });
      let ans;
      try {
        const resp = await fetch(this.base, {
          method: 'POST', body, cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        });
        const txt = await resp.text();
        try {
          ans = JSON.parse(txt);
        } catch {
          ans = { code: resp.status, status: 'ERROR', text: txt.trim() || ('HTTP ' + resp.status) };
        }
      } catch (e) {
        ans = { code: 0, status: 'ERROR', text: 'ERROR: network: ' + e.message };
      }
      ans.ok = Number(ans.code) === 200;
      ans.rows = Array.isArray(ans.rows) ? ans.rows : [];
      ans.text = String(ans.text ?? '');
      // apidefneedlogin: the server hands out a nonce; repeat once with it.
      const m = /new nonce is:(.*?)EOF/.exec(ans.text);
      if (!ans.ok && m && !anonymous && attempt === 0) {
        nonce = m[1];
        continue;
      }
      return ans;
    }
  }
}
