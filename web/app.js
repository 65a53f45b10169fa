// The single-page app: hash routes → views. A view is `async render(main, params)` that may return
// a refresh function; the router calls it every 5 s until the route changes.
import { api, h, session, showError } from './lib.js';
import { overview } from './views/overview.js';
import { queuesList, queuePage } from './views/queues.js';
import { exchangesList, exchangePage } from './views/exchanges.js';
import { connectionsList, channelsList } from './views/connections.js';
import { admin } from './views/admin.js';
import { topology } from './views/topology.js';

const REFRESH_MS = 5000;
const ROUTES = [
  [/^#\/overview$/, overview],
  [/^#\/queues$/, queuesList],
  [/^#\/queues\/([^/]+)\/([^/]+)$/, queuePage],
  [/^#\/exchanges$/, exchangesList],
  [/^#\/exchanges\/([^/]+)\/([^/]*)$/, exchangePage],
  [/^#\/connections$/, connectionsList],
  [/^#\/channels$/, channelsList],
  [/^#\/admin$/, admin],
  [/^#\/topology$/, topology],
];

let timer = null;
let generation = 0;

function loginView(main) {
  document.getElementById('top').hidden = true;
  const user = h('input', { 'data-testid': 'login-username', name: 'username', placeholder: 'Username', autocomplete: 'username', required: true });
  const pass = h('input', { 'data-testid': 'login-password', name: 'password', type: 'password', placeholder: 'Password', autocomplete: 'current-password' });
  const error = h('div', { 'data-testid': 'login-error', class: 'error', hidden: true });
  const f = h('form', { class: 'login' }, h('h1', {}, 'Warren management'), user, pass, h('button', { type: 'submit', 'data-testid': 'login-submit' }, 'Log in'), error);
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const auth = btoa(unescape(encodeURIComponent(`${user.value}:${pass.value}`)));
    try {
      const me = await api('/whoami', { auth });
      const tags = Array.isArray(me.tags) ? me.tags : String(me.tags ?? '').split(',');
      if (!tags.some((t) => ['management', 'policymaker', 'monitoring', 'administrator'].includes(t))) throw new Error('Not management user');
      session.set(user.value, pass.value);
      location.hash = '#/overview';
    } catch (e) {
      error.hidden = false;
      error.textContent = `Login failed: ${e.message}`;
    }
  });
  main.replaceChildren(f);
  user.focus();
}

async function route() {
  clearInterval(timer);
  timer = null;
  const gen = ++generation;
  const main = document.getElementById('main');
  showError(null);
  const hash = location.hash || '#/overview';
  if (!session.get() || hash === '#/login') {
    if (session.get() && hash === '#/login') return void (location.hash = '#/overview');
    return loginView(main);
  }
  document.getElementById('top').hidden = false;
  document.getElementById('whoami').textContent = session.user();
  for (const a of document.querySelectorAll('header nav a')) a.classList.toggle('active', hash.startsWith(a.getAttribute('href')));
  const found = ROUTES.map(([re, view]) => [hash.match(re), view]).find(([m]) => m);
  if (!found) return void (location.hash = '#/overview');
  const [match, view] = found;
  main.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
  try {
    const refresh = await view(main, match.slice(1).map(decodeURIComponent));
    if (typeof refresh === 'function' && gen === generation) {
      timer = setInterval(() => refresh().catch(failed), REFRESH_MS);
    }
  } catch (e) {
    failed(e);
  }
}

/** Credentials that stop working (password changed, user deleted) send the operator back to the login form. */
function failed(e) {
  if (/^401 Login failed/.test(e.message)) return logout();
  showError(e);
}

function logout() {
  session.clear();
  location.hash = '#/login';
}

document.getElementById('logout').addEventListener('click', logout);
window.addEventListener('hashchange', route);
route();
