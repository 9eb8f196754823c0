import { test } from 'node:test';
import assert from 'node:assert/strict';
import { act, createElement as h, StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { setup, connected, wire, FakeWebSocket } from './dom.js';
import { OTSession, useConnections } from '../src/index.js';

const URL = 'ws://rollcall.test/v1/ws';

function Roster() {
  const connections = useConnections();
  return h('ul', null, connections.map(c => h('li', { key: c.connectionId }, c.connectionId)));
}

function app({ handlers, onError, onConnect }) {
  return h(OTSession, {
    apiKey: 'app', sessionId: 'room', token: 'rc1.token', options: { url: URL },
    eventHandlers: handlers, onError, onConnect,
  }, h(Roster));
}

const listed = container => [...container.querySelectorAll('li')].map(li => li.textContent);

test('OTSession connects, calls eventHandlers, and useConnections follows the roster', async t => {
  const { container } = setup(t);
  const seen = [];
  const handlers = {
    connectionCreated: e => seen.push(`created ${e.connection.connectionId}`),
    connectionDestroyed: e => seen.push(`destroyed ${e.connection.connectionId} ${e.reason}`),
  };
  let connectedSession = null;
  const root = createRoot(container);
  await act(() => root.render(app({ handlers, onConnect: s => { connectedSession = s; } })));
  const socket = FakeWebSocket.last;
  await act(() => {
    socket.open();
    socket.receive(connected('A', ['B']));
  });
  assert.deepEqual(listed(container), ['A', 'B']);
  assert.equal(connectedSession.connection.connectionId, 'A');

  await act(() => socket.receive({ type: 'events', events: [
    { seq: 11, type: 'connectionCreated', connection: wire('C') },
    { seq: 12, type: 'connectionDestroyed', reason: 'clientDisconnected', connection: wire('B') }] }));
  assert.deepEqual(listed(container), ['A', 'C']);
  assert.deepEqual(seen, ['created B', 'created A', 'created C', 'destroyed B clientDisconnected']);

  await act(() => root.unmount());
  assert.equal(socket.closedWith, 1000, 'unmounting leaves with a close frame (clientDisconnected)');
});

test('defect 8: StrictMode double mount gives no error, no duplicate and one socket in use', async t => {
  const { container } = setup(t);
  const errors = [];
  const created = [];
  const root = createRoot(container);
  await act(() => root.render(h(StrictMode, null, app({
    handlers: { connectionCreated: e => created.push(e.connection.connectionId) },
    onError: error => errors.push(error),
  }))));

  const live = FakeWebSocket.all.filter(s => s.closedWith === null);
  assert.equal(live.length, 1, `sockets still in use: ${live.length} of ${FakeWebSocket.all.length}`);
  await act(() => {
    live[0].open();
    live[0].receive(connected('A', ['B']));
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(created, ['B', 'A']);
  assert.deepEqual(listed(container), ['A', 'B']);
  for (const discarded of FakeWebSocket.all.filter(s => s !== live[0])) {
    assert.deepEqual(discarded.sent, [], 'the discarded mount never joined');
  }
  await act(() => root.unmount());
});

test('new eventHandlers on a re-render do not reconnect, and the newest ones are called', async t => {
  const { container } = setup(t);
  const seen = [];
  const root = createRoot(container);
  await act(() => root.render(app({ handlers: { connectionCreated: () => seen.push('old') } })));
  const socket = FakeWebSocket.last;
  await act(() => root.render(app({ handlers: { connectionCreated: () => seen.push('new') } })));
  await act(() => {
    socket.open();
    socket.receive(connected('A', []));
  });
  assert.equal(FakeWebSocket.all.length, 1);
  assert.deepEqual(seen, ['new']);
  await act(() => root.unmount());
});

test('a refused connect reaches onError and the roster stays empty', async t => {
  const { container } = setup(t);
  const errors = [];
  const root = createRoot(container);
  await act(() => root.render(app({ onError: e => errors.push(e.code) })));
  await act(() => {
    FakeWebSocket.last.open();
    FakeWebSocket.last.receive({ type: 'error', code: 1004, message: 'token expired' });
    FakeWebSocket.last.drop(1008);
  });
  assert.deepEqual(errors, [1004]);
  assert.deepEqual(listed(container), []);
  await act(() => root.unmount());
});
