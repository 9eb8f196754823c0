import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, join, nextSocket, connectedFrame, created, destroyed, EPOCH } from './helpers.js';

test('defect 1: a resume refused with 1023 is retried as a resume, never replaced by a new connection', t => {
  const { clock, session, log } = setup(t);
  join(session, { id: 'A', peers: ['B'] });
  log.length = 0;

  lastSocket().drop(1006);
  const first = nextSocket(clock).socket;
  first.open();
  assert.equal(first.frames('resume').length, 1);
  first.receive({ type: 'error', code: 1023, message: 'too many connects', retryAfterMs: 300 });
  first.drop(1008);

  const { socket: second, waited } = nextSocket(clock);
  assert.ok(waited >= 300, `waited ${waited} ms, less than the server's retryAfterMs`);
  second.open();
  assert.deepEqual(second.sent.map(f => f.type), ['resume']);
  second.receive(connectedFrame({ id: 'A', seq: 10, resumed: true, replay: true, connections: undefined }));
  assert.deepEqual(log, ['reconnecting', 'reconnected']);
  assert.deepEqual(session.connections.map(c => c.connectionId), ['A', 'B']);
});

test('defect 1: after 1006 the client joins as new and never resurrects its old connection', t => {
  const { clock, session, log } = setup(t);
  join(session, { id: 'A', peers: ['B'] });
  log.length = 0;
  lastSocket().drop(1006);

  const resume = nextSocket(clock).socket;
  resume.open();
  resume.receive({ type: 'error', code: 1006, message: 'unknown connection' });
  resume.drop(1008);

  const fresh = nextSocket(clock).socket;
  fresh.open();
  assert.deepEqual(fresh.sent.map(f => f.type), ['connect']);
  // The old connection A is still in its grace period on the server, so the roster lists it.
  fresh.receive(connectedFrame({ id: 'A2', peers: ['A', 'B'], seq: 20 }));
  fresh.receive({ type: 'events', events: [destroyed(21, 'A', 'networkDisconnected')] });

  assert.deepEqual(log, ['reconnecting', 'destroyed A networkDisconnected', 'created A2', 'reconnected']);
  assert.deepEqual(session.connections.map(c => c.connectionId), ['A2', 'B']);
});

test('defect 2: a v2 resume replays the gap with the true reasons', t => {
  const { clock, session, log } = setup(t);
  join(session, { id: 'A', peers: ['B', 'C'], seq: 10 });
  log.length = 0;
  lastSocket().drop(1006);

  const socket = nextSocket(clock).socket;
  socket.open();
  const [resume] = socket.sent;
  assert.deepEqual(
    { type: resume.type, protocol: resume.protocol, heartbeat: resume.heartbeat, epoch: resume.epoch, lastSeq: resume.lastSeq, connectionId: resume.connectionId },
    { type: 'resume', protocol: 2, heartbeat: 'text', epoch: EPOCH, lastSeq: 10, connectionId: 'A' });
  socket.receive(connectedFrame({ id: 'A', seq: 10, resumed: true, replay: true, connections: undefined }));
  socket.receive({ type: 'events', events: [
    destroyed(11, 'B', 'clientDisconnected'), created(12, 'D'), destroyed(13, 'D', 'forceDisconnected')] });

  assert.deepEqual(log, ['reconnecting', 'reconnected',
    'destroyed B clientDisconnected', 'created D', 'destroyed D forceDisconnected']);
});

for (const protocol of [1, 2]) {
  test(`a snapshot resume reconciles the roster (protocol ${protocol} server)`, t => {
    const { clock, session, log } = setup(t);
    join(session, { id: 'A', peers: ['B', 'C'], seq: 10, protocol });
    log.length = 0;
    lastSocket().drop(1006);
    const socket = nextSocket(clock).socket;
    socket.open();
    socket.receive(connectedFrame({ id: 'A', peers: ['C', 'E'], seq: 30, resumed: true, snapshot: true, protocol }));
    socket.receive({ type: 'events', events: [created(30, 'X'), created(31, 'F')] });
    assert.deepEqual(log, ['reconnecting', 'destroyed B networkDisconnected', 'created E', 'reconnected', 'created F']);
  });
}

test('a force-disconnect is final: `disconnected` in answer to a resume ends the session, no rejoin', t => {
  const { clock, session, log } = setup(t);
  join(session, { id: 'A', peers: ['B'] });
  log.length = 0;
  lastSocket().drop(1006);
  const socket = nextSocket(clock).socket;
  socket.open();
  socket.receive({ type: 'disconnected', reason: 'forceDisconnected' });
  socket.drop(1000);
  assert.deepEqual(log, ['reconnecting', 'disconnected forceDisconnected']);
  assert.throws(() => nextSocket(clock), /no new socket/);
  assert.equal(session.currentState, 'disconnected');
});

function lastSocket() {
  return globalThis.WebSocket.last;
}
