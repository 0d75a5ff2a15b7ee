// The member's "Viewing activity" page: sign in with a member token, see what is in progress (the continue-watching
// row), read the history newest first, page through it, hide one title or everything. The token lives in
// sessionStorage only (this tab), never in the URL. Every 30 s while the tab is visible, and when it becomes visible
// again, the row and the history's first page are read again with If-None-Match: a 304 leaves them as they are.
import { ApiError, call, callConditional } from '../shared/api.js';
import { dateFormat, meter, timeLeft, titleName } from './format.js';
import { ResumeRow } from './resume.js';

const TOKEN_KEY = 'vh.memberToken';
const PAGE_SIZE = 20;
const REFRESH_MS = 30_000;

const $ = (id) => document.getElementById(id);
const ui = {
  status: $('status'),
  signIn: $('sign-in'),
  form: $('sign-in-form'),
  token: $('token'),
  who: $('who'),
  memberId: $('member-id'),
  signOut: $('sign-out'),
  history: $('history'),
  heading: $('history-title'),
  items: $('items'),
  empty: $('empty'),
  more: $('load-more'),
  hideAll: $('hide-all'),
  download: $('download'),
  downloadCsv: $('download-csv'),
  downloadJson: $('download-json'),
  dialog: $('confirm'),
  dialogTitle: $('confirm-title'),
  dialogText: $('confirm-text'),
  dialogOk: $('confirm-ok'),
};

let session = null; // { token, memberId }
let nextCursor = null;
let loading = false;
let pagesShown = 0;
let firstPageTag = null; // the ETag of the history's first page as shown
let refreshTimer = null;
const resume = new ResumeRow({ section: $('resume'), list: $('resume-items') }, (e) => backgroundError(e));

/** The memberId is the token's `sub`; the server checks the signature, the page only needs to know whose page it is. */
export function decodeToken(token) {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error('That is not a member token: a token has three parts separated by dots.');
  let claims;
  try {
    const b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(parts[1].length / 4) * 4, '=');
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    claims = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new Error('That token could not be read. Copy it again, whole.');
  }
  if (typeof claims.sub !== 'string' || claims.sub.length === 0) throw new Error('That token names no profile (no "sub").');
  if (typeof claims.exp === 'number' && claims.exp * 1000 < Date.now()) throw new Error('That token has expired. Get a new one and sign in again.');
  return claims.sub;
}

function say(message, { error = false } = {}) {
  ui.status.textContent = message;
  ui.status.classList.toggle('error', error);
}

function historyPath(suffix = '') {
  return `/v1/members/${encodeURIComponent(session.memberId)}/history${suffix}`;
}

function renderItem(item) {
  const name = titleName(item.titleId);
  const li = document.createElement('li');
  li.className = 'item' + (item.completed ? ' completed' : '');
  li.dataset.titleId = item.titleId;

  const h3 = document.createElement('h3');
  h3.textContent = name;

  const meta = document.createElement('p');
  meta.className = 'meta';
  const time = document.createElement('time');
  time.dateTime = item.lastWatchedAt;
  time.textContent = dateFormat.format(new Date(item.lastWatchedAt));
  meta.append('Watched ', time, item.sessions > 1 ? ` · ${item.sessions} times` : '');

  const progress = document.createElement('div');
  progress.className = 'progress';
  const bar = meter(item, name);
  const label = document.createElement('span');
  label.className = 'label';
  label.textContent = item.completed
    ? '✓ Completed'
    : `${Math.round(item.progress * 100)}% · ${timeLeft(item)}`;
  progress.append(bar, label);

  const hide = document.createElement('button');
  hide.type = 'button';
  hide.className = 'hide';
  hide.textContent = 'Hide';
  hide.setAttribute('aria-label', `Hide ${name}`);
  hide.addEventListener('click', () => hideTitle(item.titleId, name, li));

  li.append(h3, meta, progress, hide);
  return li;
}

function showSignedIn(signedIn) {
  ui.signIn.hidden = signedIn;
  ui.history.hidden = !signedIn;
  if (!signedIn) resume.stop();
  ui.who.hidden = !signedIn;
  ui.download.hidden = !signedIn;
  ui.memberId.textContent = signedIn ? session.memberId : '';
}

function updateEmpty() {
  ui.empty.hidden = ui.items.children.length > 0 || nextCursor !== null;
  ui.hideAll.disabled = ui.items.children.length === 0;
}

/** Every failure ends up here: a refused credential sends the member back to sign in, anything else is said politely. */
function handleError(e, what) {
  if (e instanceof ApiError && e.status === 401) {
    signOut();
    say('Your sign-in is no longer valid. Please sign in again with a fresh token.', { error: true });
    return;
  }
  if (e instanceof ApiError && e.status === 403) {
    say('This token may not see that profile. Sign in with the token for your own profile.', { error: true });
    return;
  }
  if (e instanceof ApiError && (e.status === 429 || e.status === 503)) {
    say(`The service is busy and could not ${what}. Please try again in a moment.`, { error: true });
    return;
  }
  say(`Sorry, we could not ${what}. ${e.message}`, { error: true });
}

/** A refresh nobody asked for fails quietly (the next one tries again), except a refused sign-in. */
function backgroundError(e) {
  if (e instanceof ApiError && (e.status === 401 || e.status === 403)) handleError(e, 'refresh your viewing activity');
}

function render(page, { reset }) {
  if (reset) ui.items.replaceChildren();
  const rendered = page.items.map(renderItem);
  ui.items.append(...rendered);
  nextCursor = page.nextCursor;
  ui.more.hidden = nextCursor === null;
  updateEmpty();
  return rendered[0];
}

/** The history's first page again, with If-None-Match, while it is all the member has loaded; then the row. */
async function refresh() {
  if (!session || document.visibilityState !== 'visible') return;
  const current = session;
  const rowRead = resume.refresh();
  if (pagesShown === 1 && !loading) {
    try {
      const answer = await callConditional(historyPath(`?limit=${PAGE_SIZE}`), current.token, firstPageTag);
      if (session === current && pagesShown === 1 && !answer.notModified) {
        firstPageTag = answer.etag;
        render(answer.body, { reset: true });
      }
    } catch (e) {
      backgroundError(e);
    }
  }
  await rowRead;
}

function startRefreshing() {
  clearInterval(refreshTimer);
  refreshTimer = setInterval(refresh, REFRESH_MS);
}

function stopRefreshing() {
  clearInterval(refreshTimer);
  refreshTimer = null;
}

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') refresh();
});

async function loadPage({ reset = false } = {}) {
  if (loading) return;
  loading = true;
  ui.more.disabled = true;
  ui.more.setAttribute('aria-busy', 'true');
  try {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (!reset && nextCursor) query.set('cursor', nextCursor);
    const answer = await callConditional(historyPath(`?${query}`), session.token, null);
    if (reset) {
      firstPageTag = answer.etag;
      pagesShown = 0;
    }
    pagesShown++;
    const firstNew = render(answer.body, { reset });
    const total = ui.items.children.length;
    say(total === 0 ? 'No viewing activity yet.' : `Showing ${total} title${total === 1 ? '' : 's'}${nextCursor ? ', more available' : ''}.`);
    // After "Load more", keyboard users continue from the first new title instead of the button that moved away.
    if (!reset && firstNew) firstNew.querySelector('button.hide').focus();
  } catch (e) {
    handleError(e, 'load your viewing activity');
  } finally {
    loading = false;
    ui.more.disabled = false;
    ui.more.removeAttribute('aria-busy');
  }
}

function confirmHide(title, text, okLabel) {
  ui.dialogTitle.textContent = title;
  ui.dialogText.textContent = text;
  ui.dialogOk.textContent = okLabel;
  ui.dialog.returnValue = '';
  return new Promise((resolve) => {
    ui.dialog.addEventListener('close', () => resolve(ui.dialog.returnValue === 'confirm'), { once: true });
    ui.dialog.showModal();
  });
}

async function hideTitle(titleId, name, li) {
  const opener = li.querySelector('button.hide');
  if (!(await confirmHide(`Hide ${name}?`, `${name} will no longer appear in your viewing activity. Watching it again later brings it back.`, 'Hide title'))) {
    opener.focus();
    return;
  }
  try {
    await call(historyPath(`/${encodeURIComponent(titleId)}`), session.token, { method: 'DELETE' });
    const next = li.nextElementSibling ?? li.previousElementSibling;
    li.remove();
    updateEmpty();
    say(`${name} is hidden from your viewing activity.`);
    resume.refresh();
    (next?.querySelector('button.hide') ?? ui.heading).focus();
  } catch (e) {
    handleError(e, `hide ${name}`);
    opener.focus();
  }
}

async function hideAll() {
  if (!(await confirmHide('Hide everything?', 'Every title will be hidden from your viewing activity. This cannot be undone.', 'Hide everything'))) {
    ui.hideAll.focus();
    return;
  }
  try {
    await call(historyPath(), session.token, { method: 'DELETE' });
    ui.items.replaceChildren();
    nextCursor = null;
    ui.more.hidden = true;
    updateEmpty();
    say('Your viewing activity is hidden.');
    resume.refresh();
    ui.heading.focus();
  } catch (e) {
    handleError(e, 'hide your viewing activity');
  }
}

/**
 * "Download your viewing activity": the member's export (CONTRACT.md "Member data rights") fetched with the token in
 * a header (never in a URL), then handed to the browser as a file download.
 */
async function downloadExport(format, button) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    const response = await fetch(`/v1/members/${encodeURIComponent(session.memberId)}/export?format=${format}`, {
      headers: { Authorization: `Bearer ${session.token}` },
      cache: 'no-store',
    });
    if (!response.ok) {
      let detail = '';
      try {
        detail = (await response.json()).detail || '';
      } catch {
        // Not problem+json: the status says enough.
      }
      throw new ApiError(response.status, response.statusText, detail);
    }
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement('a');
    link.href = url;
    link.download = `viewing-activity-${session.memberId}.${format}`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    say(`Your viewing activity was downloaded (${format.toUpperCase()}).`);
  } catch (e) {
    handleError(e, 'download your viewing activity');
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

function signIn(token) {
  const memberId = decodeToken(token);
  session = { token, memberId };
  sessionStorage.setItem(TOKEN_KEY, token);
  showSignedIn(true);
  nextCursor = null;
  startRefreshing();
  return Promise.all([loadPage({ reset: true }), resume.start(session)]);
}

function signOut() {
  stopRefreshing();
  session = null;
  nextCursor = null;
  pagesShown = 0;
  firstPageTag = null;
  sessionStorage.removeItem(TOKEN_KEY);
  ui.items.replaceChildren();
  ui.token.value = '';
  showSignedIn(false);
  say('');
  ui.token.focus();
}

ui.form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const token = ui.token.value.trim().replace(/^Bearer\s+/i, '');
  if (!token) {
    say('Paste your member token first.', { error: true });
    ui.token.focus();
    return;
  }
  try {
    await signIn(token);
    ui.heading.focus();
  } catch (e) {
    say(e.message, { error: true });
    ui.token.focus();
  }
});
ui.signOut.addEventListener('click', signOut);
ui.more.addEventListener('click', () => loadPage());
ui.hideAll.addEventListener('click', hideAll);
ui.downloadCsv.addEventListener('click', () => downloadExport('csv', ui.downloadCsv));
ui.downloadJson.addEventListener('click', () => downloadExport('json', ui.downloadJson));

const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) {
  signIn(saved).catch((e) => {
    signOut();
    say(e.message, { error: true });
  });
}
