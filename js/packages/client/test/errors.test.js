import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, join, nextSocket, FakeWebSocket } from './helpers.js';

test('defect 5: an error frame while connected is an `exception` event', t => {
  const { session, log } = setup(t);
  const exceptions = [];
  session.on('exception', e => exceptions.push(e));
  join(session, { id: 'A' });
  log.length = 0;
  FakeWebSocket.last.receive({ type: 'error', code: 1503, message: 'slow consumer' });
  FakeWebSocket.last.drop(1008);
  assert.deepEqual(log, ['exception 1503', 'reconnecting']);
  assert.equal(exceptions[0].message, 'slow consumer');
  assert.equal(exceptions[0].title, 'RC_SLOW_CONSUMER');
});

test('defect 5: a refused rejoin ends the session with an `exception` saying why', t => {
  const { clock, session, log } = setup(t);
  join(session, { id: 'A' });
  log.length = 0;
  FakeWebSocket.last.drop(1006);
  const resume = nextSocket(clock).socket;
  resume.open();
  resume.receive({ type: 'error', code: 1006, message: 'unknown connection' });
  resume.drop(1008);
  const rejoin = nextSocket(clock).socket;
  rejoin.open();
  rejoin.receive({ type: 'error', code: 1004, message: 'token expired' });
  rejoin.drop(1008);
  assert.deepEqual(log, ['reconnecting', 'exception 1004', 'disconnected networkDisconnected']);
});

test('a failed first connect reports its error to the callback', t => {
  const { session } = setup(t);
  let got;
  session.connect('rc1.bad', error => { got = error; });
  FakeWebSocket.last.open();
  FakeWebSocket.last.receive({ type: 'error', code: 1004, message: 'token signature does not match' });
  FakeWebSocket.last.drop(1008);
  assert.equal(got.code, 1004);
  assert.equal(got.name, 'OT_AUTHENTICATION_ERROR');
  assert.equal(session.currentState, 'disconnected');
});

test('a first connect without an answer fails with 1006 after the handshake timeout', t => {
  const { clock, session } = setup(t);
  let got;
  session.connect('rc1.token', error => { got = error; });
  FakeWebSocket.last.open();
  clock.tick(9999);
  assert.equal(got, undefined);
  clock.tick(1);
  assert.equal(got.code, 1006);
  assert.equal(FakeWebSocket.last.closedWith, 1000);
  assert.equal(session.currentState, 'disconnected');
});
