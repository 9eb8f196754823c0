import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, join, nextSocket, FakeWebSocket } from './helpers.js';

const MINUTE = 60000;

// Chrome's intensive throttling: in a tab hidden for more than 5 minutes, timers wake up at most
// once a minute, on minute boundaries. Frames from the network are still delivered as they come.
function throttleTimers(t) {
  const { setTimeout: realTimeout, setInterval: realInterval } = globalThis;
  const aligned = ms => Math.ceil((Date.now() + Math.max(ms, 1)) / MINUTE) * MINUTE - Date.now();
  globalThis.setTimeout = (fn, ms = 0, ...args) => realTimeout(fn, aligned(ms), ...args);
  globalThis.setInterval = (fn, ms = 0, ...args) => realInterval(fn, Math.max(ms, MINUTE), ...args);
  t.after(() => { globalThis.setTimeout = realTimeout; globalThis.setInterval = realInterval; });
}

test('defect 4: in a throttled background tab the client answers every server ping and never flaps', t => {
  const { clock, session, log } = setup(t);
  join(session, { id: 'A' });
  log.length = 0;
  throttleTimers(t);
  const socket = FakeWebSocket.last;
  const sentBefore = socket.sent.length;

  for (let second = 1; second <= 5 * 60; second++) {
    clock.tick(1000);
    socket.receive({ type: 'ping' }); // a v2 server pings a client it has not heard from
  }

  assert.deepEqual(log, [], 'no reconnect');
  assert.equal(FakeWebSocket.all.length, 1);
  assert.equal(socket.frames('pong').length, 300);
  // As the server sees it: never 2500 ms without a frame from the client.
  const times = socket.sentAt.slice(sentBefore);
  const gaps = times.slice(1).map((at, i) => at - times[i]);
  assert.ok(Math.max(...gaps) < 2500, `the client went quiet for ${Math.max(...gaps)} ms`);
});

test('a silent server is noticed when a throttled timer finally runs, and the client resumes without a close frame', t => {
  const { clock, session, log } = setup(t);
  join(session, { id: 'A' });
  log.length = 0;
  throttleTimers(t);
  const socket = FakeWebSocket.last;

  const { waited } = nextSocket(clock, 2 * MINUTE);
  assert.ok(waited <= MINUTE + 2500, `noticed after ${waited} ms`);
  assert.deepEqual(log, ['reconnecting']);
  // A close frame would tell the server "clientDisconnected", and the resume would find nothing.
  assert.equal(socket.closedWith, null);
  assert.equal(FakeWebSocket.last.url, socket.url);
});

test('a v2 server: no own pings, only pongs; a v1 server: the client pings every intervalMs', t => {
  const { clock, session } = setup(t);
  join(session, { id: 'A', protocol: 2 });
  const v2 = FakeWebSocket.last;
  for (let i = 0; i < 10; i++) {
    clock.tick(1000);
    v2.receive({ type: 'ping' });
  }
  assert.equal(v2.frames('ping').length, 0);
  assert.equal(v2.frames('pong').length, 10);
  session.disconnect();

  join(session, { id: 'B', protocol: 1 });
  const v1 = FakeWebSocket.last;
  for (let i = 0; i < 10; i++) {
    clock.tick(1000);
    v1.receive({ type: 'pong' });
  }
  assert.equal(v1.frames('ping').length, 10);
  assert.equal(v1.frames('pong').length, 0);
});

test('connect asks for protocol 2 with text heartbeats', t => {
  const { session } = setup(t);
  join(session);
  const [connect] = FakeWebSocket.last.sent;
  assert.equal(connect.type, 'connect');
  assert.equal(connect.protocol, 2);
  assert.equal(connect.heartbeat, 'text');
});

test('while a v2 server streams events with no ping among them, the client sends a pong every intervalMs / 2', t => {
  const { clock, session } = setup(t);
  join(session, { id: 'A', protocol: 2, heartbeat: { intervalMs: 1000, timeoutMs: 2500 } });
  const socket = FakeWebSocket.last;
  const sentBefore = socket.sent.length;
  // A storm: events every 100 ms for 5 s; the server's ping waits behind them in the socket.
  for (let i = 1; i <= 50; i++) {
    clock.tick(100);
    socket.receive({ type: 'events', events: [] });
  }
  const pongs = socket.frames('pong').length;
  assert.ok(pongs >= 9 && pongs <= 11, `${pongs} unsolicited pongs in 5 s`);
  const times = socket.sentAt.slice(sentBefore);
  const gaps = times.slice(1).map((at, i) => at - times[i]);
  assert.ok(Math.max(...gaps) <= 600, `the client went quiet for ${Math.max(...gaps)} ms while reading`);

  // Idle again: only the server's pings are answered, nothing else is sent.
  const sentWhenIdle = socket.sent.length;
  for (let i = 0; i < 5; i++) {
    clock.tick(1000);
    socket.receive({ type: 'ping' });
  }
  assert.equal(socket.sent.length - sentWhenIdle, 5);
});
