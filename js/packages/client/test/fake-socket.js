// A WebSocket stand-in driven by the test: it records what the client sends, and the test plays the
// server (open, frames, close). Installed as globalThis.WebSocket, since the client uses the global.
export class FakeWebSocket {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;
  /** Every socket the client opened, in order. */
  static all = [];

  constructor(url) {
    this.url = url;
    this.readyState = FakeWebSocket.CONNECTING;
    this.sent = [];
    this.sentAt = [];
    this.closedWith = null;
    FakeWebSocket.all.push(this);
  }

  static get last() {
    return FakeWebSocket.all.at(-1);
  }

  send(text) {
    if (this.readyState !== FakeWebSocket.OPEN) throw new Error('send on a socket that is not open');
    this.sent.push(JSON.parse(text));
    this.sentAt.push(Date.now());
  }

  /** The client closing: a close frame goes to the server. */
  close(code = 1005) {
    this.closedWith = code;
    this.readyState = FakeWebSocket.CLOSED;
  }

  // --- the test, as the server or the network ---

  open() {
    this.readyState = FakeWebSocket.OPEN;
    this.onopen?.({});
  }

  receive(frame) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  /** The socket ends from the far side: 1006 is a broken socket, 1000/1008 a server close. */
  drop(code = 1006, reason = '') {
    this.readyState = FakeWebSocket.CLOSED;
    this.onclose?.({ code, reason, wasClean: code !== 1006 });
  }

  /** The client's frames of one type. */
  frames(type) {
    return this.sent.filter(f => f.type === type);
  }
}

export function installFakeWebSocket() {
  FakeWebSocket.all = [];
  globalThis.WebSocket = FakeWebSocket;
}
