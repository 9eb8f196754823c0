import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, join, nextSocket, connectedFrame, FakeWebSocket } from './helpers.js';

// After a server restart every tab loses its socket at the same instant; without jitter they all
// come back in the same millisecond, again and again.
test('defect 3: reconnect delays are jittered, so tabs do not retry in step', t => {
  const { clock, session } = setup(t);
  join(session, { id: 'A' });
  const random = Math.random;
  t.after(() => { Math.random = random; });

  const waits = [];
  for (const r of [0.1, 0.9]) {
    Math.random = () => r;
    FakeWebSocket.last.drop(1006);
    const attempts = [];
    for (let i = 0; i < 3; i++) {
      const { socket, waited } = nextSocket(clock);
      attempts.push(waited);
      if (i < 2) socket.drop(1006); // the server is still down
      else {
        socket.open();
        socket.receive(connectedFrame({ id: 'A', resumed: true, replay: true, connections: undefined }));
      }
    }
    waits.push(attempts);
  }
  assert.notDeepEqual(waits[0], waits[1], `the same schedule whatever the dice say: ${JSON.stringify(waits)}`);
  for (const attempts of waits) assert.ok(attempts[0] < 500, `first retry after ${attempts[0]} ms: a broken socket has 500 ms of grace`);
});
