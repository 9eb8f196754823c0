#!/usr/bin/env node
// A join storm of N browser clients (@rollcall/client, on Node with the ws package) in one
// session, then the promise checked from every client's point of view: everyone sees everyone
// else created exactly once, nobody destroyed, no ghost (an ID that is not a live member), no
// reconnect. Prints one JSON line; exits 1 if a check failed.
//
//   node storm.mjs --url ws://127.0.0.1:8080/v1/ws --api-key KEY --secret SECRET --clients 500
import { createHmac, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { initSession } from '@rollcall/client';

globalThis.WebSocket = WebSocket;

const { values: args } = parseArgs({
  options: {
    url: { type: 'string' },
    'api-key': { type: 'string' },
    secret: { type: 'string' },
    session: { type: 'string', default: `storm-${randomBytes(4).toString('hex')}` },
    clients: { type: 'string', default: '500' },
    'timeout-ms': { type: 'string', default: '60000' },
    'hold-ms': { type: 'string', default: '3000' },
  },
});
for (const required of ['url', 'api-key', 'secret']) {
  if (!args[required]) {
    console.error(`--${required} is required`);
    process.exit(2);
  }
}
const count = Number(args.clients);
const base64url = data => Buffer.from(data).toString('base64url');

/** A token as docs/protocol.md defines it (what TokenGenerator mints). */
function mint(data) {
  const now = Math.floor(Date.now() / 1000);
  const payload = base64url(JSON.stringify({
    apiKey: args['api-key'], sessionId: args.session, role: 'publisher', iat: now, exp: now + 3600,
    nonce: randomBytes(9).toString('base64url'), data,
  }));
  const signature = createHmac('sha256', args.secret).update(`rc1.${payload}`).digest('base64url');
  return `rc1.${payload}.${signature}`;
}

/** One client and what it saw. */
function client(index) {
  const session = initSession(args['api-key'], args.session, { url: args.url });
  const seen = { session, created: new Map(), destroyed: [], reconnects: 0, exceptions: [], refusals: 0 };
  session.on({
    connectionCreated: e => seen.created.set(e.connection.connectionId, (seen.created.get(e.connection.connectionId) || 0) + 1),
    connectionDestroyed: e => seen.destroyed.push(`${e.connection.connectionId} ${e.reason}`),
    sessionReconnecting: () => { seen.reconnects += 1; },
    exception: e => seen.exceptions.push(e.code),
  });
  const token = mint(`storm-${index}`);
  seen.joined = new Promise((resolve, reject) => {
    const attempt = () => session.connect(token, error => {
      if (!error) resolve();
      else if (error.code === 1023 || error.code === 1006) {
        // Refused in the storm (rate limit, overload): wait as told, plus jitter, and try again.
        seen.refusals += 1;
        setTimeout(attempt, (error.retryAfterMs || 250) + Math.random() * 250);
      } else reject(error);
    });
    attempt();
  });
  return seen;
}

async function waitFor(condition, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise(resolve => setTimeout(resolve, 20));
  }
  return true;
}

const started = Date.now();
const clients = Array.from({ length: count }, (_, i) => client(i));
const timeoutMs = Number(args['timeout-ms']);
let failure = null;
try {
  await Promise.all(clients.map(c => c.joined));
} catch (error) {
  failure = `a client could not join: ${error.code} ${error.message}`;
}
const joinedMs = Date.now() - started;
const converged = !failure && await waitFor(() => clients.every(c => c.session.connections.length === count), timeoutMs);
const convergedMs = Date.now() - started;
// Steady state: nothing may change while everyone just stays.
await new Promise(resolve => setTimeout(resolve, Number(args['hold-ms'])));

const members = new Set(clients.map(c => c.session.connection?.connectionId).filter(Boolean));
const problems = [];
if (failure) problems.push(failure);
if (!converged) problems.push(`rosters did not reach ${count} within ${timeoutMs} ms`);
for (const [i, c] of clients.entries()) {
  const own = c.session.connection?.connectionId;
  for (const [id, times] of c.created) {
    if (times > 1) problems.push(`client ${i}: ${id} created ${times} times`);
    if (!members.has(id)) problems.push(`client ${i}: ghost ${id}`);
  }
  for (const id of members) {
    if (id !== own && !c.created.has(id)) problems.push(`client ${i}: never saw ${id}`);
  }
  if (c.destroyed.length) problems.push(`client ${i}: destroyed ${c.destroyed.join(', ')}`);
  if (c.reconnects) problems.push(`client ${i}: ${c.reconnects} reconnects`);
  if (c.exceptions.length) problems.push(`client ${i}: exceptions ${c.exceptions.join(', ')}`);
}
for (const c of clients) c.session.disconnect();

console.log(JSON.stringify({
  clients: count, session: args.session, joinedMs, convergedMs: converged ? convergedMs : null,
  refusals: clients.reduce((n, c) => n + c.refusals, 0),
  reconnects: clients.reduce((n, c) => n + c.reconnects, 0),
  problems: problems.length, firstProblems: problems.slice(0, 10),
}));
setTimeout(() => process.exit(problems.length ? 1 : 0), 200);
