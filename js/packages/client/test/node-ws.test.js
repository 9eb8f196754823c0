import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { WebSocket as NodeWebSocket } from 'ws';
import { initSession } from '../src/rollcall.js';

// On Node the usual WebSocket is the `ws` package's, an EventEmitter: an 'error' event nobody listens
// to is thrown and ends the process. A browser only logs it. The harness's chaos run lost a whole
// Node process of clients this way (a connect refused while the server restarted).

/** A port that refuses connections: bound, then closed. */
async function refusedPort() {
  const server = createServer();
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise(resolve => server.close(resolve));
  return port;
}

test('a refused connect on Node (ws) is reported to the connect callback, not thrown', async t => {
  const previous = globalThis.WebSocket;
  globalThis.WebSocket = NodeWebSocket;
  t.after(() => { globalThis.WebSocket = previous; });
  const thrown = [];
  const onUncaught = error => thrown.push(error);
  process.on('uncaughtException', onUncaught);
  t.after(() => process.off('uncaughtException', onUncaught));

  const session = initSession('app', 'room', { url: `ws://127.0.0.1:${await refusedPort()}/v1/ws` });
  const error = await new Promise(resolve => session.connect('rc1.token', resolve));
  assert.ok(error, 'the connect callback gets an error');
  assert.equal(error.code, 1006);
  assert.deepEqual(thrown, [], 'nothing thrown past the client');
  assert.equal(session.currentState, 'disconnected');
});
