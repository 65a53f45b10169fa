// Shared helpers: the API client (basic auth from sessionStorage), DOM building, the error
// banner, the confirmation dialog and number formatting. Every view imports only from here.
const KEY = 'warren.credentials';

export const session = {
  get: () => sessionStorage.getItem(KEY),
  user: () => sessionStorage.getItem(KEY + '.user') ?? '',
  set(user, pass) {
    sessionStorage.setItem(KEY, btoa(unescape(encodeURIComponent(`${user}:${pass}`))));
    sessionStorage.setItem(KEY + '.user', user);
  },
  clear() {
    sessionStorage.removeItem(KEY);
    sessionStorage.removeItem(KEY + '.user');
  },
};

export class ApiError extends Error {}

/** fetch /api/… as the logged-in user; a non-2xx answer throws with RabbitMQ's reason. */
export async function api(path, { method = 'GET', body, auth } = {}) {
  const headers = { authorization: `Basic ${auth ?? session.get()}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  // credentials 'omit': a 401 then reaches us instead of opening the browser's own Basic-auth prompt
  // (RabbitMQ's API sends WWW-Authenticate, and the fetch spec prompts only for credentialed requests)
  const res = await fetch(`/api${path}`, { method, headers, credentials: 'omit', body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const reason = data?.reason ?? data?.error ?? res.statusText;
    throw new ApiError(`${res.status} ${typeof reason === 'string' ? reason : JSON.stringify(reason)}`);
  }
  return data;
}

/** An API call whose failure is shown in the banner (returns undefined then). */
export async function act(path, options) {
  try {
    const r = await api(path, options);
    showError(null);
    return r ?? true;
  } catch (e) {
    showError(e);
    return undefined;
  }
}

export function showError(e) {
  const banner = document.getElementById('error-banner');
  banner.hidden = e === null;
  // RabbitMQ HTML-escapes some reasons (e.g. policy validation); show them as plain text
  const text = e === null ? '' : e.message.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
  banner.textContent = e === null ? '' : `Error: ${text}`;
}

export const enc = encodeURIComponent;

/** h('td', { class: 'num', 'data-col': 'x' }, child…) — attributes starting with "on" become listeners. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = true;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

/** The shared confirmation dialog; resolves true when the operator clicks OK. */
export function confirmAction(text) {
  const dlg = document.getElementById('confirm');
  document.getElementById('confirm-text').textContent = text;
  return new Promise((resolve) => {
    const done = (answer) => {
      okBtn.onclick = cancelBtn.onclick = null;
      dlg.close();
      resolve(answer);
    };
    const okBtn = document.getElementById('confirm-ok');
    const cancelBtn = document.getElementById('confirm-cancel');
    okBtn.onclick = () => done(true);
    cancelBtn.onclick = () => done(false);
    dlg.oncancel = () => done(false);
    dlg.showModal();
  });
}

export const num = (n) => (n === undefined || n === null ? '' : Number(n).toLocaleString('en-US'));
export const rate = (stats, key) => {
  const r = stats?.[`${key}_details`]?.rate;
  return r === undefined ? '' : `${r.toFixed(1)}/s`;
};
export function duration(ms) {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400), hr = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  return d ? `${d}d ${hr}h` : hr ? `${hr}h ${m}m` : `${m}m ${s % 60}s`;
}

/** A small form: fields are [name, placeholder, type?]; onsubmit gets {name: value}. */
export function form(testPrefix, fields, label, onsubmit) {
  const inputs = fields.map(([name, placeholder, type = 'text', value]) =>
    type === 'checkbox'
      ? h('label', {}, h('input', { type, name, 'data-testid': `${testPrefix}-${name}`, checked: value }), ` ${placeholder}`)
      : type === 'textarea'
        ? h('textarea', { name, placeholder, 'data-testid': `${testPrefix}-${name}`, rows: 3, cols: 40 })
        : h('input', { type, name, placeholder, 'data-testid': `${testPrefix}-${name}`, value }));
  const f = h('form', { class: 'inline' }, inputs, h('button', { type: 'submit', 'data-testid': `${testPrefix}-submit` }, label));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const values = {};
    for (const el of f.querySelectorAll('input, textarea, select')) values[el.name] = el.type === 'checkbox' ? el.checked : el.value;
    await onsubmit(values, f);
  });
  return f;
}

/** A table from column specs [{ title, col, num?, sort?, cell(row) }]. */
export function table(testid, columns, rows, rowTestid, sortState) {
  const head = h('tr', {}, columns.map((c) => {
    const th = h('th', { class: [c.num ? 'num' : '', sortState?.sort === c.sort && c.sort ? 'sorted' : '', sortState?.sort === c.sort && sortState?.reverse ? 'rev' : ''].join(' ').trim() || null, 'data-sort': c.sort }, c.title);
    if (c.sort && sortState) th.addEventListener('click', () => sortState.onSort(c.sort));
    return th;
  }));
  const body = rows.map((r) => h('tr', { 'data-testid': rowTestid }, columns.map((c) => h('td', { class: c.num ? 'num' : null, 'data-col': c.col }, c.cell(r)))));
  return h('table', { 'data-testid': testid }, h('thead', {}, head), h('tbody', {}, body));
}

/** A uPlot chart over client-side samples; returns { push(t, values), el }. */
export function liveChart(testid, seriesNames, maxPoints = 120) {
  const el = h('div', { class: 'chart', 'data-testid': testid });
  const data = [[], ...seriesNames.map(() => [])];
  const colors = ['#e8630a', '#2a7d3b', '#1f5fa8', '#9b3ab3', '#6b7480'];
  let plot = null;
  const make = () => {
    const width = Math.max(300, Math.min(el.clientWidth || 600, 900));
    plot = new uPlot({ width, height: 200, series: [{}, ...seriesNames.map((label, i) => ({ label, stroke: colors[i % colors.length], width: 2 }))], axes: [{}, { size: 60 }] }, data, el);
  };
  return {
    el,
    push(t, values) {
      data[0].push(t);
      values.forEach((v, i) => data[i + 1].push(v ?? 0));
      if (data[0].length > maxPoints) for (const s of data) s.shift();
      if (plot === null) make();
      else plot.setData(data);
    },
    data,
  };
}
