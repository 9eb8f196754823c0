// The roster page: join a session, show who is in it, log who comes and goes.
// URL parameters for links and tests: ?session=...&name=...&token=...&apiKey=...&autojoin=1
// (with a token the page skips the dev token endpoint).
import Rollcall from './rollcall.js';

const MAX_LOG_ENTRIES = 500;
// Screen readers hear a summary of the joins and leaves once things calm down, not every one of
// a storm: at most one announcement per ANNOUNCE_QUIET_MS of quiet, and one per ANNOUNCE_MAX_WAIT_MS.
const ANNOUNCE_QUIET_MS = 1000;
const ANNOUNCE_MAX_WAIT_MS = 3000;

const $ = id => document.getElementById(id);
const form = $('join-form');
const sessionInput = $('session');
const nameInput = $('name');
const joinButton = $('join');
const leaveButton = $('leave');
const stateLine = $('state');
const errorBox = $('error');
const rosterList = $('roster');
const rosterEmpty = $('roster-empty');
const countBadge = $('count');
const logList = $('log');
const announcer = $('announce');

const params = new URLSearchParams(location.search);
let session = null;

function formatTime(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

function label(connection) {
  return connection.data || connection.connectionId.slice(0, 8);
}

// --- display ---

// Leave needs a session to leave: while the page still fetches its token there is none yet.
function setState(state, text) {
  stateLine.dataset.state = state;
  stateLine.textContent = text;
  const busy = state !== 'disconnected';
  joinButton.disabled = busy;
  sessionInput.disabled = busy;
  nameInput.disabled = busy;
  leaveButton.disabled = !busy || !session;
}

function showError(error) {
  errorBox.hidden = false;
  errorBox.dataset.code = error.code ?? '';
  errorBox.textContent = '';
  const title = document.createElement('strong');
  title.textContent = error.code ? `Error ${error.code}` : 'Error';
  errorBox.append(title, `: ${error.message}`);
}

function clearError() {
  errorBox.hidden = true;
  errorBox.textContent = '';
  delete errorBox.dataset.code;
}

function updateCount() {
  const count = rosterList.children.length;
  countBadge.textContent = String(count);
  rosterEmpty.hidden = count > 0;
}

function addMember(connection, isSelf) {
  const item = document.createElement('li');
  item.dataset.connectionId = connection.connectionId;
  item.dataset.connectionData = connection.data;
  item.dataset.creationTime = String(connection.creationTime);
  if (isSelf) item.dataset.self = 'true';

  const name = document.createElement('span');
  name.className = 'member-name';
  name.textContent = label(connection);
  if (isSelf) {
    const you = document.createElement('span');
    you.className = 'tag';
    you.textContent = 'you';
    name.append(' ', you);
  }
  const joined = document.createElement('time');
  joined.className = 'member-time';
  joined.dateTime = new Date(connection.creationTime).toISOString();
  joined.textContent = `joined ${formatTime(connection.creationTime)}`;
  item.append(name, joined);

  // Keep the list in joining order, even when a reconnect adds members late.
  const later = [...rosterList.children].find(li => Number(li.dataset.creationTime) > connection.creationTime);
  rosterList.insertBefore(item, later || null);
  updateCount();
}

function removeMember(connection) {
  rosterList.querySelector(`li[data-connection-id="${CSS.escape(connection.connectionId)}"]`)?.remove();
  updateCount();
}

function clearRoster() {
  rosterList.replaceChildren();
  updateCount();
}

const pending = { joined: [], left: [], timer: 0, since: 0 };

function announce(kind, connection) {
  pending[kind].push(label(connection));
  const now = Date.now();
  if (!pending.timer) pending.since = now;
  clearTimeout(pending.timer);
  const wait = Math.min(ANNOUNCE_QUIET_MS, pending.since + ANNOUNCE_MAX_WAIT_MS - now);
  pending.timer = setTimeout(flushAnnouncement, Math.max(0, wait));
}

function flushAnnouncement() {
  const describe = (names, verb) => names.length === 0 ? ''
    : names.length <= 2 ? `${names.join(' and ')} ${verb}.` : `${names.length} people ${verb}.`;
  const count = rosterList.children.length;
  announcer.textContent = [describe(pending.joined, 'joined'), describe(pending.left, 'left'),
    `${count} ${count === 1 ? 'person' : 'people'} in the session.`].filter(Boolean).join(' ');
  pending.joined = [];
  pending.left = [];
  pending.timer = 0;
}

function log(kind, text, fields = {}) {
  const item = document.createElement('li');
  item.dataset.event = kind;
  for (const [key, value] of Object.entries(fields)) item.dataset[key] = value;
  const time = document.createElement('time');
  time.textContent = formatTime(Date.now());
  item.append(time, ` ${text}`);
  logList.append(item);
  while (logList.children.length > MAX_LOG_ENTRIES) logList.firstElementChild.remove();
  logList.scrollTop = logList.scrollHeight;
}

// --- session ---

function onConnectionCreated(event) {
  const isSelf = event.connection.connectionId === session.connection?.connectionId;
  addMember(event.connection, isSelf);
  if (!isSelf) announce('joined', event.connection);
  log('created', `${label(event.connection)} joined${isSelf ? ' (you)' : ''}`,
      { connectionId: event.connection.connectionId });
}

function onConnectionDestroyed(event) {
  removeMember(event.connection);
  announce('left', event.connection);
  log('destroyed', `${label(event.connection)} left (${event.reason})`,
      { connectionId: event.connection.connectionId, reason: event.reason });
}

function onSessionDisconnected(event) {
  clearRoster();
  setState('disconnected', 'Not connected');
  log('disconnected', `You are out of the session (${event.reason})`, { reason: event.reason });
  session = null;
}

function apiKeyFromToken(token) {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(payload)).apiKey || '';
  } catch {
    return '';
  }
}

async function fetchDevToken(sessionId, name) {
  let response;
  try {
    response = await fetch('/v1/dev/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ sessionId, data: name }),
    });
  } catch (e) {
    throw Object.assign(new Error(`cannot reach the server for a token (${e.message})`), { code: null });
  }
  if (response.status === 404) {
    throw Object.assign(new Error('development tokens are off on this server: start it with dev tokens on, or open this page with ?token=...'), { code: 404 });
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw Object.assign(new Error(body.message || `token request failed with HTTP ${response.status}`), { code: body.code ?? response.status });
  }
  return body;
}

async function join() {
  clearError();
  const sessionId = sessionInput.value.trim();
  const name = nameInput.value.trim();
  setState('connecting', 'Connecting…');
  let apiKey;
  let token = params.get('token');
  try {
    if (token) {
      apiKey = params.get('apiKey') || apiKeyFromToken(token);
    } else {
      ({ apiKey, token } = await fetchDevToken(sessionId, name));
    }
  } catch (error) {
    setState('disconnected', 'Not connected');
    showError(error);
    return;
  }

  clearRoster();
  session = Rollcall.initSession(apiKey, sessionId);
  leaveButton.disabled = false;
  session.on({
    connectionCreated: onConnectionCreated,
    connectionDestroyed: onConnectionDestroyed,
    sessionDisconnected: onSessionDisconnected,
    sessionReconnecting: () => {
      setState('reconnecting', 'Connection lost, reconnecting…');
      log('reconnecting', 'Connection lost, reconnecting');
    },
    exception: event => showError(event.error),
    sessionReconnected: () => {
      setState('connected', `Connected to ${sessionId}`);
      log('reconnected', 'Reconnected');
    },
  });
  session.connect(token, error => {
    if (error) {
      session = null;
      setState('disconnected', 'Not connected');
      showError(error);
      return;
    }
    setState('connected', `Connected to ${sessionId}`);
  });
}

form.addEventListener('submit', event => {
  event.preventDefault();
  if (!session) join();
});

leaveButton.addEventListener('click', () => session?.disconnect());

window.addEventListener('pagehide', () => session?.disconnect());

sessionInput.value = params.get('session') || '';
nameInput.value = params.get('name') || '';
updateCount();
if (params.get('autojoin') === '1' && form.reportValidity()) join();
