import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, join, connectedFrame, created, destroyed, FakeWebSocket } from './helpers.js';

test('defect 7: disconnect() inside the first connectionCreated handler stops the connect', t => {
  const { session, log } = setup(t);
  session.once('connectionCreated', () => session.disconnect());
  const result = join(session, { id: 'A', peers: ['B', 'C'] });
  assert.deepEqual(log, ['created B', 'disconnected clientDisconnected']);
  assert.equal(result.called, false, 'no successful callback for a connect the app cancelled');
  assert.equal(FakeWebSocket.last.closedWith, 1000);
  assert.equal(session.currentState, 'disconnected');
  assert.deepEqual(session.connections, []);
});

test('defect 8: connect, disconnect, connect (React StrictMode) reports no error', t => {
  const { session, log } = setup(t);
  const results = [];
  session.connect('rc1.token', error => results.push(error));
  const first = FakeWebSocket.last;
  session.disconnect();
  session.connect('rc1.token', error => results.push(error));
  const second = FakeWebSocket.last;
  assert.notEqual(first, second);
  second.open();
  second.receive(connectedFrame({ id: 'A', peers: ['B'] }));
  assert.deepEqual(results, [undefined]);
  assert.deepEqual(log, ['created B', 'created A', 'connected']);
  assert.equal(first.closedWith, 1000);
});

test('defect 9: session.connections is a snapshot of the roster, own connection first', t => {
  const { session } = setup(t);
  assert.deepEqual(session.connections, []);
  join(session, { id: 'A', peers: ['B', 'C'], seq: 5 });
  const snapshot = session.connections;
  assert.deepEqual(snapshot.map(c => c.connectionId), ['A', 'B', 'C']);
  assert.equal(session.connections, snapshot, 'the same object while nothing changes');
  assert.ok(Object.isFrozen(snapshot));

  FakeWebSocket.last.receive({ type: 'events', events: [destroyed(6, 'B', 'clientDisconnected'), created(7, 'D')] });
  assert.deepEqual(session.connections.map(c => c.connectionId), ['A', 'C', 'D']);
  assert.deepEqual(snapshot.map(c => c.connectionId), ['A', 'B', 'C'], 'an old snapshot does not change');
  assert.equal(session.connectionCount, 3);
  assert.equal(session.connections[1].data, 'name=C');
});

test('the seed snippet: object-form handlers, session.connection, connect(token, cb)', t => {
  const { session } = setup(t);
  let total = 0;
  const lines = [];
  session.on({
    connectionCreated: () => lines.push(`Another client connected. ${++total} total.`),
    connectionDestroyed: e => lines.push(`A client disconnected. ${--total} total. (${e.reason})`),
  });
  session.connect('rc1.token', error => {
    if (!error) lines.push(`I am ${session.connection.connectionId}`);
  });
  FakeWebSocket.last.open();
  FakeWebSocket.last.receive(connectedFrame({ id: 'A', peers: ['B'] }));
  FakeWebSocket.last.receive({ type: 'events', events: [destroyed(11, 'B', 'networkDisconnected')] });
  assert.deepEqual(lines, ['Another client connected. 1 total.', 'Another client connected. 2 total.', 'I am A',
    'A client disconnected. 1 total. (networkDisconnected)']);
});

test('events at or below the applied seq are ignored; no event about oneself', t => {
  const { session, log } = setup(t);
  join(session, { id: 'A', peers: ['B'], seq: 10 });
  log.length = 0;
  FakeWebSocket.last.receive({ type: 'events', events: [
    created(9, 'X'), created(10, 'Y'), created(11, 'A'), created(12, 'C'), created(12, 'D'), destroyed(13, 'B', 'clientDisconnected')] });
  assert.deepEqual(log, ['created C', 'destroyed B clientDisconnected']);
});
