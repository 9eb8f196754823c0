// A jsdom document, fake timers and the client's fake WebSocket, for rendering with react-dom.
import { JSDOM } from 'jsdom';
import FakeTimers from '@sinonjs/fake-timers';
import { FakeWebSocket, installFakeWebSocket } from '../../client/test/fake-socket.js';

const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
globalThis.IS_REACT_ACT_ENVIRONMENT = true;

export { FakeWebSocket };

export function setup(t) {
  installFakeWebSocket();
  const clock = FakeTimers.withGlobal(globalThis).install({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
  });
  t.after(() => clock.uninstall());
  const container = document.createElement('div');
  document.body.append(container);
  return { clock, container };
}

export const wire = id => ({ id, data: `name=${id}`, creationTime: 1764445000000 });

export function connected(id, peers, seq = 10) {
  return {
    type: 'connected', protocol: 2, resumed: false, sessionId: 'room', connection: wire(id), resumeToken: `rt-${id}`,
    epoch: 1, seq, connections: peers.map(wire), heartbeat: { intervalMs: 1000, timeoutMs: 2500 },
  };
}
