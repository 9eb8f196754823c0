// Rollcall browser client: presence ("who is in the session now") with OpenTok JS's shape.
// An ES module with no dependencies; the wire protocol is docs/protocol.md (v2, and v1 servers).
//
//   import Rollcall from 'http://rollcall.example/rollcall.js';
//   const session = Rollcall.initSession(apiKey, sessionId);
//   session.on({ connectionCreated: e => ..., connectionDestroyed: e => ... });
//   session.connect(token, error => { if (error) console.log(error.code, error.message); });

const DEFAULT_HEARTBEAT = { intervalMs: 1000, timeoutMs: 2500 };
const HANDSHAKE_TIMEOUT_MS = 10000;
const RECONNECT_HANDSHAKE_TIMEOUT_MS = 5000;
const RECONNECT_GIVE_UP_MS = 30000;
// Retry n waits a random time below min(250 * 2^n, 4000) ms ("full jitter"): after a server
// restart the tabs spread out instead of coming back in step.
const RETRY_BASE_MS = 250;
const RETRY_MAX_DOUBLINGS = 4;
// Refusals of a fresh connect that may pass on a later try: connect failed, rate limit or
// overload, too many messages, slow consumer, internal error.
const RETRYABLE_CODES = [1006, 1023, 1429, 1503, 2000];
// Connection IDs that must never be announced again (our own old ones, departed members).
const GONE_LIMIT = 10000;

const ERROR_NAMES = {
  1004: 'OT_AUTHENTICATION_ERROR',
  1005: 'OT_INVALID_SESSION_ID',
  1006: 'OT_CONNECT_FAILED',
  1011: 'OT_INVALID_PARAMETER',
  1015: 'OT_ILLEGAL_STATE',
  1021: 'OT_CONNECTION_TIMEOUT',
  1023: 'OT_CONNECTION_REFUSED',
  1027: 'OT_CONNECTION_LIMIT_EXCEEDED',
  1413: 'OT_DATA_TOO_LONG',
  1429: 'RC_TOO_MANY_MESSAGES',
  1503: 'RC_SLOW_CONSUMER',
  2000: 'OT_INTERNAL_ERROR',
};

/** An error as OpenTok JS reports it: a numeric `code`, a `name` and a `message`. */
export class RollcallError extends Error {
  constructor(code, message, retryAfterMs) {
    super(message);
    this.code = code;
    this.name = ERROR_NAMES[code] || 'OT_CONNECT_FAILED';
    this.retryAfterMs = retryAfterMs;
  }
}

/** One client's connection to a session. `creationTime` is milliseconds since the epoch. */
export class Connection {
  constructor(wire) {
    this.connectionId = wire.id;
    this.data = wire.data ?? '';
    this.creationTime = wire.creationTime;
  }
}

class RollcallEvent {
  constructor(type, target, fields) {
    this.type = type;
    this.target = target;
    this.cancelable = false;
    Object.assign(this, fields);
  }
  preventDefault() {}
  isDefaultPrevented() { return false; }
}

// The server that served this module (so a cross-origin import needs no options), else the page's.
function defaultUrl() {
  const base = /^https?:/.test(import.meta.url) ? import.meta.url : globalThis.location?.href;
  const url = new URL('/v1/ws', base);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

/** OpenTok-style event emitter: on/once/off with a name and handler, or with a map of them. */
class Emitter {
  #handlers = new Map();

  on(type, handler, context) { return this.#register(type, handler, context, false); }

  once(type, handler, context) { return this.#register(type, handler, context, true); }

  off(type, handler, context) {
    if (type == null) this.#handlers.clear();
    else if (typeof type === 'object') for (const [name, fn] of Object.entries(type)) this.#remove(name, fn, handler);
    else this.#remove(type, handler, context);
    return this;
  }

  emit(type, fields) {
    const event = new RollcallEvent(type, this, fields);
    // Lists are replaced, never changed in place: this loop sees the handlers of the moment, and
    // skips one that an earlier handler removed.
    for (const entry of this.#handlers.get(type) || []) {
      if (!this.#handlers.get(type)?.includes(entry)) continue;
      if (entry.once) this.#handlers.set(type, this.#handlers.get(type).filter(e => e !== entry));
      try {
        entry.fn.call(entry.context ?? this, event);
      } catch (e) {
        // A failing handler must not break the client or the handlers after it.
        console.error(`rollcall: ${type} handler threw`, e);
      }
    }
  }

  #register(type, fn, context, once) {
    if (type && typeof type === 'object') for (const [name, f] of Object.entries(type)) this.#add(name, f, fn, once);
    else this.#add(type, fn, context, once);
    return this;
  }

  #add(type, fn, context, once) {
    if (typeof fn === 'function') this.#handlers.set(type, [...(this.#handlers.get(type) || []), { fn, context, once }]);
  }

  #remove(type, fn, context) {
    const list = this.#handlers.get(type);
    if (list) this.#handlers.set(type, list.filter(e => (fn != null && e.fn !== fn) || (context != null && e.context !== context)));
  }
}

/**
 * A session as the client sees it. States: disconnected -> connecting -> connected
 * (-> reconnecting -> connected)* -> disconnected.
 */
export class Session extends Emitter {
  #token = null;
  #socket = null;
  #others = new Map(); // connection ID -> Connection, in the order they were announced
  #snapshot = null;
  #gone = new Set();
  #epoch = 0;
  #lastSeq = -1;
  #resumeToken = null;
  #heartbeat = DEFAULT_HEARTBEAT;
  #v2 = false; // the server pings us (protocol v2)
  #lastSentAt = 0;
  #lastFrameAt = 0;
  #silenceLimit = 0;
  #pingTimer = null;
  #watchTimer = null;
  #retryTimer = null;
  #giveUpTimer = null;
  #attempt = 0;
  #pendingError = null;
  #connectCallback = null;

  constructor(apiKey, sessionId, options = {}) {
    super();
    this.apiKey = apiKey;
    this.sessionId = sessionId;
    this.url = options.url || defaultUrl();
    this.connectionEventsSuppressed = !!options.connectionEventsSuppressed;
    this.connection = null;
    this.currentState = 'disconnected';
  }

  /**
   * The connections the client knows, its own first: a frozen array that is replaced, not
   * changed, when the roster changes (so it can be compared by identity, as React does).
   */
  get connections() {
    return this.#snapshot ||= Object.freeze([...(this.connection ? [this.connection] : []), ...this.#others.values()]);
  }

  /** Number of the client's peers it currently knows, plus itself. */
  get connectionCount() {
    return this.connections.length;
  }

  /**
   * Connects with a token. The callback gets a RollcallError on failure, or nothing.
   * Before it succeeds, connectionCreated fires for everyone already there and for the client itself.
   */
  connect(token, callback) {
    const done = typeof callback === 'function' ? callback : () => {};
    if (this.currentState !== 'disconnected') {
      done(new RollcallError(1015, `cannot connect: session is ${this.currentState}`));
      return this;
    }
    this.#others = new Map();
    this.#gone = new Set();
    this.#resumeToken = null;
    this.#attempt = 0;
    this.#token = token;
    this.#connectCallback = done;
    this.currentState = 'connecting';
    this.#openSocket();
    return this;
  }

  /**
   * Leaves with a close frame: the others see clientDisconnected. A connect still in progress is
   * cancelled, and its callback is not called (as React StrictMode's mount, unmount, mount needs).
   */
  disconnect() {
    if (this.currentState === 'disconnected') return;
    this.#closeSocket(true);
    this.#endSession('clientDisconnected');
  }

  // --- socket life ---

  #openSocket() {
    let socket;
    try {
      socket = new WebSocket(this.url);
    } catch (e) {
      this.#pendingError = new RollcallError(1006, String(e.message || e));
      setTimeout(() => this.#onSocketGone(1006, ''));
      return;
    }
    this.#socket = socket;
    socket.onopen = () => socket === this.#socket && this.#onOpen();
    socket.onmessage = message => socket === this.#socket && this.#onMessage(message.data);
    socket.onclose = close => socket === this.#socket && this.#onSocketGone(close.code, close.reason);
    // The close event that follows says what we need. The listener is for runtimes whose WebSocket is
    // an EventEmitter (Node's `ws`): there an 'error' nobody listens to is thrown and ends the process.
    socket.onerror = () => {};
    this.#watchSilence(this.currentState === 'connecting' ? HANDSHAKE_TIMEOUT_MS : RECONNECT_HANDSHAKE_TIMEOUT_MS);
  }

  #onOpen() {
    const common = { protocol: 2, heartbeat: 'text', apiKey: this.apiKey, sessionId: this.sessionId };
    this.#send(this.#resumeToken
      ? { type: 'resume', ...common, connectionId: this.connection.connectionId, resumeToken: this.#resumeToken,
          epoch: this.#epoch, lastSeq: this.#lastSeq }
      : { type: 'connect', ...common, token: this.#token, suppressEvents: this.connectionEventsSuppressed });
  }

  #onMessage(data) {
    this.#lastFrameAt = Date.now();
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return; // Not ours to judge; the server never sends this.
    }
    switch (frame.type) {
      case 'connected': this.#onConnected(frame); break;
      case 'events': if (this.currentState === 'connected') this.#onEvents(frame.events || []); break;
      // Only a v2 server sends text pings; a v1 server answers our pings with pongs, ignored here.
      case 'ping': this.#send({ type: 'pong' }); break;
      case 'error': this.#onError(new RollcallError(frame.code, frame.message, frame.retryAfterMs)); break;
      // Removed through the admin API: final, never rejoin.
      case 'disconnected': this.#closeSocket(true); this.#endSession(frame.reason || 'forceDisconnected'); break;
      default: break;
    }
    // A v2 server's ping may wait behind a storm's events: while they come, show the server that
    // we are alive and reading (protocol.md "Heartbeats"). An idle client only answers pings.
    if (this.#v2 && this.currentState === 'connected' && Date.now() - this.#lastSentAt >= this.#heartbeat.intervalMs / 2) {
      this.#send({ type: 'pong' });
    }
  }

  #onError(error) {
    if (this.currentState === 'connected') this.#exception(error);
    else this.#pendingError = error; // the close that follows decides what to do
  }

  #onSocketGone(code, reason) {
    this.#socket = null;
    this.#stopTimers();
    const error = this.#pendingError;
    this.#pendingError = null;
    if (this.currentState === 'connecting') {
      this.currentState = 'disconnected';
      this.#finishConnect(error || new RollcallError(1006, `could not connect to ${this.url} (close ${code}${reason ? ': ' + reason : ''})`));
    } else if (this.currentState === 'connected') {
      this.#startReconnecting(false);
    } else if (this.currentState === 'reconnecting') {
      this.#onAttemptFailed(error);
    }
  }

  /**
   * Stops using the socket. `sendClose` false leaves it without a close frame: the server takes a
   * close frame for a clean leave (clientDisconnected), which a lost socket must not look like.
   */
  #closeSocket(sendClose) {
    const socket = this.#socket;
    this.#socket = null;
    this.#stopTimers();
    if (socket && sendClose) {
      try { socket.close(1000); } catch { /* already closing */ }
    }
  }

  #send(frame) {
    if (this.#socket?.readyState === 1) {
      this.#socket.send(JSON.stringify(frame));
      this.#lastSentAt = Date.now();
    }
  }

  // --- heartbeats ---

  // A socket that stays silent is treated as lost: browsers may not notice a dead path for minutes.
  // The timer only says when to look; the decision compares wall-clock times, because a hidden
  // tab's timers may run a minute late while frames keep arriving on time.
  #watchSilence(limitMs) {
    this.#lastFrameAt = Date.now();
    this.#silenceLimit = limitMs;
    this.#armWatch(limitMs);
  }

  #armWatch(delayMs) {
    clearTimeout(this.#watchTimer);
    this.#watchTimer = setTimeout(() => {
      const quiet = Date.now() - this.#lastFrameAt;
      if (quiet < this.#silenceLimit) {
        this.#armWatch(this.#silenceLimit - quiet);
      } else {
        // Only a first connect that got no answer is closed properly: there is nothing to keep.
        this.#closeSocket(this.currentState === 'connecting');
        if (this.currentState === 'connected') this.#startReconnecting(true);
        else this.#onSocketGone(1006, 'no answer');
      }
    }, delayMs);
  }

  #stopTimers() {
    clearInterval(this.#pingTimer);
    clearTimeout(this.#watchTimer);
  }

  // --- protocol ---

  #onConnected(frame) {
    const socket = this.#socket;
    const live = () => this.#socket === socket; // false once a handler called disconnect()
    const wasConnecting = this.currentState === 'connecting';
    this.#heartbeat = { ...DEFAULT_HEARTBEAT, ...frame.heartbeat };
    this.#v2 = frame.protocol >= 2;
    this.#resumeToken = frame.resumeToken;
    this.#epoch = frame.epoch;
    this.#lastSeq = frame.seq;
    this.#attempt = 0;
    clearTimeout(this.#giveUpTimer);
    // A v1 server needs our pings; a v2 server pings us, and we only answer.
    clearInterval(this.#pingTimer);
    if (!(frame.protocol >= 2)) this.#pingTimer = setInterval(() => this.#send({ type: 'ping' }), this.#heartbeat.intervalMs);
    this.#watchSilence(this.#heartbeat.timeoutMs);

    const old = this.connection;
    const own = new Connection(frame.connection);
    const isNew = old?.connectionId !== own.connectionId;
    if (isNew && old) this.#forget(old.connectionId);
    this.connection = own;
    this.#snapshot = null;

    // Back after error 1006 as a new connection: our old one is gone for everyone.
    if (old && isNew) this.emit('connectionDestroyed', { connection: old, reason: 'networkDisconnected' });
    // A v2 replay brings the gap as events; anything else is a roster to reconcile.
    if (live() && !frame.replay) this.#reconcile(frame.connections || [], live);
    if (live() && isNew) this.emit('connectionCreated', { connection: own });
    if (!live()) return;
    this.currentState = 'connected';
    if (!wasConnecting) {
      this.emit('sessionReconnected');
      return;
    }
    this.emit('sessionConnected', { connections: [...this.#others.values()] });
    if (live()) this.#finishConnect(null);
  }

  // Brings the known roster to `roster`: created for new members, destroyed for vanished ones
  // (their true reason is lost). IDs that are gone (our own old ones) are never announced again.
  #reconcile(roster, live) {
    const fresh = new Map(roster.filter(c => c.id !== this.connection.connectionId && !this.#gone.has(c.id)).map(c => [c.id, c]));
    for (const id of this.#others.keys()) {
      if (!fresh.has(id)) this.#remove(id, 'networkDisconnected');
      if (!live()) return;
    }
    for (const [id, wire] of fresh) {
      if (!this.#others.has(id)) this.#add(wire);
      if (!live()) return;
    }
  }

  #onEvents(events) {
    const socket = this.#socket;
    for (const event of events) {
      if (this.#socket !== socket) return;
      if (typeof event.seq !== 'number' || event.seq <= this.#lastSeq) continue;
      this.#lastSeq = event.seq;
      const id = event.connection?.id;
      if (!id || id === this.connection.connectionId || this.#gone.has(id)) continue;
      if (event.type === 'connectionCreated' && !this.#others.has(id)) this.#add(event.connection);
      else if (event.type === 'connectionDestroyed' && this.#others.has(id)) this.#remove(id, event.reason);
    }
  }

  #add(wire) {
    const connection = new Connection(wire);
    this.#others.set(connection.connectionId, connection);
    this.#snapshot = null;
    this.emit('connectionCreated', { connection });
  }

  #remove(id, reason) {
    const connection = this.#others.get(id);
    this.#others.delete(id);
    this.#forget(id);
    this.#snapshot = null;
    this.emit('connectionDestroyed', { connection, reason });
  }

  #forget(id) {
    this.#gone.add(id);
    if (this.#gone.size > GONE_LIMIT) this.#gone.delete(this.#gone.values().next().value);
  }

  #exception(error) {
    this.emit('exception', { code: error.code, message: error.message, title: error.name, error });
  }

  // --- reconnecting ---

  #startReconnecting(now) {
    this.currentState = 'reconnecting';
    this.#attempt = 0;
    clearTimeout(this.#giveUpTimer);
    this.#giveUpTimer = setTimeout(() => {
      this.#closeSocket(false);
      this.#endSession('networkDisconnected');
    }, RECONNECT_GIVE_UP_MS);
    this.emit('sessionReconnecting');
    if (this.currentState !== 'reconnecting') return;
    // A socket closed under us may mean a server restart that closed every tab's socket at once:
    // wait a random while. Silence ends each tab's socket at its own time: go at once.
    if (now) this.#openSocket();
    else this.#scheduleAttempt(0);
  }

  #onAttemptFailed(error) {
    if (error?.code === 1006 && this.#resumeToken) {
      // Only 1006 means the server no longer knows our connection: join again as a new one.
      this.#resumeToken = null;
      this.#attempt = 0;
    } else if (error && !this.#resumeToken && !RETRYABLE_CODES.includes(error.code)) {
      // A fresh connect was refused (expired token, full session...): retrying will not help.
      this.#exception(error);
      this.#endSession('networkDisconnected');
      return;
    }
    // Anything else (1023 in a reconnect storm, say) leaves the resume worth another try.
    this.#scheduleAttempt(error?.retryAfterMs || 0);
  }

  #scheduleAttempt(floorMs) {
    const ceiling = RETRY_BASE_MS * 2 ** Math.min(this.#attempt++, RETRY_MAX_DOUBLINGS);
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      if (this.currentState === 'reconnecting') this.#openSocket();
    }, floorMs + Math.random() * ceiling);
  }

  // --- endings ---

  #endSession(reason) {
    const joined = this.connection;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#giveUpTimer);
    this.#stopTimers();
    this.#connectCallback = null;
    this.currentState = 'disconnected';
    this.#others = new Map();
    this.connection = null;
    this.#snapshot = null;
    if (joined) this.emit('sessionDisconnected', { reason });
  }

  #finishConnect(error) {
    const callback = this.#connectCallback;
    this.#connectCallback = null;
    try {
      callback?.(...(error ? [error] : []));
    } catch (e) {
      console.error('rollcall: connect callback threw', e);
    }
  }
}

/** Creates a Session; `options.url` overrides the default (the server this module came from). */
export function initSession(apiKey, sessionId, options) {
  return new Session(apiKey, sessionId, options);
}

export const Rollcall = { initSession, Session, Connection, RollcallError };
export default Rollcall;
