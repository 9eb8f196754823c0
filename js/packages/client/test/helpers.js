// Shared set-up for the client's tests: a fake WebSocket, fake timers and an event recorder.
import FakeTimers from '@sinonjs/fake-timers';
import { FakeWebSocket, installFakeWebSocket } from './fake-socket.js';
import { initSession } from '../src/rollcall.js';

export { FakeWebSocket };

export const URL = 'ws://rollcall.test/v1/ws';
export const EPOCH = 1764445100000;

/** Fake timers and Date (wall clock starts at a fixed instant), a fake WebSocket and a fresh session. */
export function setup(t, options = {}) {
  installFakeWebSocket();
  const clock = FakeTimers.withGlobal(globalThis).install({
    now: 1764445200000,
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
  });
  t.after(() => clock.uninstall());
  const session = initSession('app', 'room', { url: URL, ...options });
  return { clock, session, log: record(session) };
}

export const wire = id => ({ id, data: `name=${id}`, creationTime: 1764445000000 });

/** What a server answers to connect or resume. v2 unless `protocol: 1`. */
export function connectedFrame({ id = 'A', peers = [], seq = 10, epoch = EPOCH, protocol = 2, ...extra } = {}) {
  const frame = {
    type: 'connected', resumed: false, sessionId: 'room', connection: wire(id), resumeToken: `rt-${id}-${seq}`,
    epoch, seq, connections: peers.map(wire),
    heartbeat: { intervalMs: 1000, timeoutMs: 2500 }, grace: { closedMs: 500, silentMs: 1500 }, ...extra,
  };
  if (protocol >= 2) frame.protocol = protocol;
  return frame;
}

export const created = (seq, id) => ({ seq, type: 'connectionCreated', connection: wire(id) });
export const destroyed = (seq, id, reason) => ({ seq, type: 'connectionDestroyed', reason, connection: wire(id) });

/** Connects and lets the server accept it. Returns what the callback got (undefined: not called yet). */
export function join(session, frame = {}) {
  const result = { called: false, error: undefined };
  session.connect('rc1.token', error => Object.assign(result, { called: true, error }));
  const socket = FakeWebSocket.last;
  socket.open();
  socket.receive(connectedFrame(frame));
  return result;
}

/** Every event the session emits, as short strings, e.g. 'destroyed B clientDisconnected'. */
export function record(session) {
  const log = [];
  session.on({
    connectionCreated: e => log.push(`created ${e.connection.connectionId}`),
    connectionDestroyed: e => log.push(`destroyed ${e.connection.connectionId} ${e.reason}`),
    sessionConnected: () => log.push('connected'),
    sessionReconnecting: () => log.push('reconnecting'),
    sessionReconnected: () => log.push('reconnected'),
    sessionDisconnected: e => log.push(`disconnected ${e.reason}`),
    exception: e => log.push(`exception ${e.code}`),
  });
  return log;
}

/** Advances fake time 1 ms at a time until the client opens a new socket; returns it and the wait. */
export function nextSocket(clock, limitMs = 40000) {
  const before = FakeWebSocket.all.length;
  for (let waited = 0; waited <= limitMs; waited++) {
    if (FakeWebSocket.all.length > before) return { socket: FakeWebSocket.last, waited };
    clock.tick(1);
  }
  throw new Error(`no new socket within ${limitMs} ms`);
}
