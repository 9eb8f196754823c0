// Rollcall browser client: presence ("who is in the session now") with OpenTok JS's shape.
// An ES module with no dependencies; the wire protocol is docs/protocol.md.
//
//   import Rollcall from '/rollcall.js';
//   const session = Rollcall.initSession(apiKey, sessionId);
//   session.on({ connectionCreated: e => ..., connectionDestroyed: e => ... });
//   session.connect(token, error => { if (error) console.log(error.code, error.message); });

const DEFAULT_HEARTBEAT = { intervalMs: 1000, timeoutMs: 2500 };
const HANDSHAKE_TIMEOUT_MS = 10000;
const RECONNECT_GIVE_UP_MS = 30000;
const RECONNECT_HANDSHAKE_TIMEOUT_MS = 5000;
const RETRY_DELAYS_MS = [0, 250, 500, 1000, 2000];
// Refusals of a fresh connect that may pass on a later try: rate limit, too many messages, slow consumer.
const RETRYABLE_CODES = new Set([1006, 1023, 1429, 1503, 2000]);

const ERROR_NAMES = {
  1004: 'OT_AUTHENTICATION_ERROR',
  1005: 'OT_INVALID_SESSION_ID',
  1006: 'OT_CONNECT_FAILED',
  1010: 'OT_NOT_CONNECTED',
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
  constructor(code, message) {
    super(message);
    this.code = code;
    this.name = ERROR_NAMES[code] || 'OT_CONNECT_FAILED';
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

function defaultUrl() {
  const scheme = globalThis.location?.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${globalThis.location?.host}/v1/ws`;
}

/** OpenTok-style event emitter: on/once/off with a name and handler, or with a map of them. */
class Emitter {
  #handlers = new Map();

  on(type, handler, context) {
    if (typeof type === 'object') {
      for (const [name, fn] of Object.entries(type)) this.#add(name, fn, handler, false);
    } else {
      this.#add(type, handler, context, false);
    }
    return this;
  }

  once(type, handler, context) {
    if (typeof type === 'object') {
      for (const [name, fn] of Object.entries(type)) this.#add(name, fn, handler, true);
    } else {
      this.#add(type, handler, context, true);
    }
    return this;
  }

  off(type, handler, context) {
    if (type === undefined) {
      this.#handlers.clear();
    } else if (typeof type === 'object') {
      for (const [name, fn] of Object.entries(type)) this.#remove(name, fn, handler);
    } else {
      this.#remove(type, handler, context);
    }
    return this;
  }

  emit(type, fields = {}) {
    const event = new RollcallEvent(type, this, fields);
    for (const entry of [...(this.#handlers.get(type) || [])]) {
      if (entry.once) this.#remove(type, entry.fn, entry.context);
      try {
        entry.fn.call(entry.context ?? this, event);
      } catch (e) {
        // A failing handler must not break the client or the handlers after it.
        console.error(`rollcall: ${type} handler threw`, e);
      }
    }
  }

  #add(type, fn, context, once) {
    if (typeof fn !== 'function') return;
    if (!this.#handlers.has(type)) this.#handlers.set(type, []);
    this.#handlers.get(type).push({ fn, context, once });
  }

  #remove(type, fn, context) {
    const list = this.#handlers.get(type);
    if (!list) return;
    const kept = list.filter(e => (fn !== undefined && e.fn !== fn) || (context !== undefined && e.context !== context));
    this.#handlers.set(type, kept);
  }
}

/**
 * A session as the client sees it. States: disconnected -> connecting -> connected
 * (-> reconnecting -> connected)* -> disconnected.
 */
export class Session extends Emitter {
  constructor(apiKey, sessionId, options = {}) {
    super();
    this.apiKey = apiKey;
    this.sessionId = sessionId;
    this.url = options.url || defaultUrl();
    this.connectionEventsSuppressed = !!options.connectionEventsSuppressed;
    this.connection = null;
    this.currentState = 'disconnected';
    this.#reset();
  }

  #token = null;
  #socket = null;
  #others = new Map();
  #lastSeq = -1;
  #resumeToken = null;
  #heartbeat = DEFAULT_HEARTBEAT;
  #pingTimer = null;
  #silenceTimer = null;
  #retryTimer = null;
  #giveUpTimer = null;
  #attempt = 0;
  #pendingError = null;
  #connectCallback = null;

  /** Number of the client's peers it currently knows, plus itself. */
  get connectionCount() {
    return this.#others.size + (this.connection ? 1 : 0);
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
    this.#reset();
    this.#token = token;
    this.#connectCallback = done;
    this.currentState = 'connecting';
    this.#openSocket();
    return this;
  }

  /** Leaves with a close frame: the others see clientDisconnected. */
  disconnect() {
    if (this.currentState === 'disconnected') return;
    const wasConnecting = this.currentState === 'connecting';
    this.#closeSocket(1000, 'client disconnect');
    if (wasConnecting) {
      this.#failConnect(new RollcallError(1006, 'disconnected before the connection completed'));
    } else {
      this.#endSession('clientDisconnected');
    }
  }

  #reset() {
    this.#others = new Map();
    this.#lastSeq = -1;
    this.#resumeToken = null;
    this.#heartbeat = DEFAULT_HEARTBEAT;
    this.#attempt = 0;
    this.#pendingError = null;
  }

  // --- socket life ---

  #openSocket() {
    let socket;
    try {
      socket = new WebSocket(this.url);
    } catch (e) {
      this.#onSocketGone(null, 1006, String(e.message || e));
      return;
    }
    this.#socket = socket;
    socket.onopen = () => this.#onOpen(socket);
    socket.onmessage = message => this.#onMessage(socket, message);
    socket.onclose = close => this.#onSocketGone(socket, close.code, close.reason);
    socket.onerror = () => {}; // Always followed by a close event, which does the work.
    this.#watchSilence(this.#handshakeTimeout());
  }

  #handshakeTimeout() {
    return this.currentState === 'reconnecting' ? RECONNECT_HANDSHAKE_TIMEOUT_MS : HANDSHAKE_TIMEOUT_MS;
  }

  #onOpen(socket) {
    if (socket !== this.#socket) return;
    this.#pendingError = null;
    if (this.connection && this.#resumeToken) {
      this.#send({
        type: 'resume', apiKey: this.apiKey, sessionId: this.sessionId,
        connectionId: this.connection.connectionId, resumeToken: this.#resumeToken, lastSeq: this.#lastSeq,
      });
    } else {
      this.#send({
        type: 'connect', apiKey: this.apiKey, sessionId: this.sessionId, token: this.#token,
        suppressEvents: this.connectionEventsSuppressed,
      });
    }
  }

  #onMessage(socket, message) {
    if (socket !== this.#socket) return;
    this.#watchSilence(this.currentState === 'connected' ? this.#heartbeat.timeoutMs : this.#handshakeTimeout());
    let frame;
    try {
      frame = JSON.parse(message.data);
    } catch {
      return; // Not ours to judge; the server never sends this.
    }
    switch (frame.type) {
      case 'connected': this.#onConnected(frame); break;
      case 'events': this.#onEvents(frame.events || []); break;
      case 'error': this.#pendingError = new RollcallError(frame.code, frame.message); break;
      case 'disconnected': this.#onForcedOut(frame.reason || 'forceDisconnected'); break;
      default: break; // pong and anything newer
    }
  }

  #onSocketGone(socket, code, reason) {
    if (socket !== null && socket !== this.#socket) return;
    this.#socket = null;
    this.#stopTimers();
    const error = this.#pendingError;
    this.#pendingError = null;
    if (this.currentState === 'connecting') {
      this.#failConnect(error || new RollcallError(1006, `could not connect to ${this.url} (close ${code}${reason ? ': ' + reason : ''})`));
    } else if (this.currentState === 'connected') {
      this.#startReconnecting();
    } else if (this.currentState === 'reconnecting') {
      this.#onReconnectAttemptFailed(error);
    }
  }

  #closeSocket(code, reason) {
    const socket = this.#socket;
    this.#socket = null;
    this.#stopTimers();
    if (socket) {
      socket.onclose = null;
      socket.onmessage = null;
      socket.onopen = null;
      try { socket.close(code, reason); } catch { /* already closing */ }
    }
  }

  #send(frame) {
    if (this.#socket?.readyState === WebSocket.OPEN) this.#socket.send(JSON.stringify(frame));
  }

  // --- heartbeats ---

  #startHeartbeat() {
    clearInterval(this.#pingTimer);
    this.#pingTimer = setInterval(() => this.#send({ type: 'ping' }), this.#heartbeat.intervalMs);
    this.#watchSilence(this.#heartbeat.timeoutMs);
  }

  // A socket that stays silent is treated as lost: browsers may not notice a dead path for minutes.
  #watchSilence(timeoutMs) {
    clearTimeout(this.#silenceTimer);
    const socket = this.#socket;
    this.#silenceTimer = setTimeout(() => {
      if (socket !== this.#socket) return;
      this.#closeSocket(4000, 'heartbeat timeout');
      this.#onSocketGone(null, 1006, 'heartbeat timeout');
    }, timeoutMs);
  }

  #stopTimers() {
    clearInterval(this.#pingTimer);
    clearTimeout(this.#silenceTimer);
    this.#pingTimer = null;
    this.#silenceTimer = null;
  }

  // --- protocol ---

  #onConnected(frame) {
    if (frame.heartbeat) this.#heartbeat = { ...DEFAULT_HEARTBEAT, ...frame.heartbeat };
    this.#resumeToken = frame.resumeToken;
    const previousState = this.currentState;
    const oldOwn = this.connection;
    const newOwn = new Connection(frame.connection);
    this.connection = newOwn;
    this.#lastSeq = frame.seq;
    this.currentState = 'connected';
    this.#attempt = 0;
    clearTimeout(this.#giveUpTimer);
    this.#startHeartbeat();

    const roster = (frame.connections || []).map(c => new Connection(c));
    if (previousState === 'connecting') {
      this.#reconcile(roster);
      this.emit('connectionCreated', { connection: newOwn });
      this.emit('sessionConnected', { connections: [...this.#others.values()] });
      this.#finishConnect(null);
      return;
    }
    // Back from reconnecting: resumed (same connection) or fresh (a new one after error 1006).
    if (oldOwn && oldOwn.connectionId !== newOwn.connectionId) {
      this.emit('connectionDestroyed', { connection: oldOwn, reason: 'networkDisconnected' });
    }
    this.#reconcile(roster);
    if (!oldOwn || oldOwn.connectionId !== newOwn.connectionId) {
      this.emit('connectionCreated', { connection: newOwn });
    }
    this.emit('sessionReconnected');
  }

  // Brings the known roster to `roster`: created for new members, destroyed for vanished ones.
  #reconcile(roster) {
    const fresh = new Map(roster.map(c => [c.connectionId, c]));
    for (const [id, known] of [...this.#others]) {
      if (!fresh.has(id)) {
        this.#others.delete(id);
        this.emit('connectionDestroyed', { connection: known, reason: 'networkDisconnected' });
      }
    }
    for (const [id, connection] of fresh) {
      if (!this.#others.has(id)) {
        this.#others.set(id, connection);
        this.emit('connectionCreated', { connection });
      }
    }
  }

  #onEvents(events) {
    if (this.currentState !== 'connected') return;
    for (const event of events) {
      if (typeof event.seq !== 'number' || event.seq <= this.#lastSeq) continue;
      this.#lastSeq = event.seq;
      this.#applyEvent(event);
    }
  }

  #applyEvent(event) {
    const id = event.connection?.id;
    if (!id || id === this.connection?.connectionId) return;
    if (event.type === 'connectionCreated' && !this.#others.has(id)) {
      const connection = new Connection(event.connection);
      this.#others.set(id, connection);
      this.emit('connectionCreated', { connection });
    } else if (event.type === 'connectionDestroyed' && this.#others.has(id)) {
      const connection = this.#others.get(id);
      this.#others.delete(id);
      this.emit('connectionDestroyed', { connection, reason: event.reason });
    }
  }

  #onForcedOut(reason) {
    this.#closeSocket(1000, 'forced out');
    this.#endSession(reason);
  }

  // --- reconnecting ---

  #startReconnecting() {
    this.currentState = 'reconnecting';
    this.#attempt = 0;
    clearTimeout(this.#giveUpTimer);
    this.#giveUpTimer = setTimeout(() => this.#giveUp(), RECONNECT_GIVE_UP_MS);
    this.emit('sessionReconnecting');
    this.#scheduleAttempt();
  }

  #onReconnectAttemptFailed(error) {
    if (error && this.#resumeToken) {
      // The server no longer knows our connection (1006): join again with the token as a new one.
      this.#resumeToken = null;
      this.#attempt = 0;
    } else if (error && !RETRYABLE_CODES.has(error.code)) {
      // A fresh connect was refused (expired token, full session...): retrying will not help.
      this.#endSession('networkDisconnected');
      return;
    }
    this.#scheduleAttempt();
  }

  #scheduleAttempt() {
    const delay = RETRY_DELAYS_MS[Math.min(this.#attempt, RETRY_DELAYS_MS.length - 1)];
    this.#attempt += 1;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      if (this.currentState === 'reconnecting') this.#openSocket();
    }, delay);
  }

  #giveUp() {
    if (this.currentState !== 'reconnecting') return;
    this.#closeSocket(1000, 'gave up reconnecting');
    this.#endSession('networkDisconnected');
  }

  // --- endings ---

  #endSession(reason) {
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#giveUpTimer);
    this.#stopTimers();
    this.currentState = 'disconnected';
    this.#others = new Map();
    this.connection = null;
    this.emit('sessionDisconnected', { reason });
  }

  #failConnect(error) {
    this.#closeSocket(1000, 'connect failed');
    this.currentState = 'disconnected';
    this.connection = null;
    this.#finishConnect(error);
  }

  #finishConnect(error) {
    const callback = this.#connectCallback;
    this.#connectCallback = null;
    if (!callback) return;
    try {
      error ? callback(error) : callback();
    } catch (e) {
      console.error('rollcall: connect callback threw', e);
    }
  }
}

/** Creates a Session; `options.url` overrides the default ws(s)://<page host>/v1/ws. */
export function initSession(apiKey, sessionId, options) {
  return new Session(apiKey, sessionId, options);
}

export const Rollcall = { initSession, Session, Connection, RollcallError };
export default Rollcall;
