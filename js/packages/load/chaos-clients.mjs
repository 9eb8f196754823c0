#!/usr/bin/env node
// Browser clients (@rollcall/client on Node with ws) that the Java harness drives like an otc-load
// process (docs/harness.md): commands on stdin, JSON lines on stdout, the same checks per client.
//
//   node chaos-clients.mjs --url ws://127.0.0.1:8080/v1/ws --api-key KEY
//
// Commands: add SESSION TOKEN [TAG] | leave N | roster | seqlog SESSION | stats | echo TEXT | quit.
// The client exposes no seq, so a tap on the WebSocket reads each events frame just before the
// client does (its listener runs first): every connection event the client then emits is matched to
// its (epoch, seq); events from a roster or a reconciliation get seq -1, as in libotc.
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { initSession } from '@rollcall/client';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string' },
    'api-key': { type: 'string' },
    'progress-ms': { type: 'string', default: '500' },
  },
});
if (!args.url || !args['api-key']) {
  console.error('--url and --api-key are required');
  process.exit(2);
}

const out = line => process.stdout.write(`${JSON.stringify({ ...line, t_ns: String(BigInt(Date.now()) * 1000000n) })}\n`);
const REASONS = new Set(['clientDisconnected', 'networkDisconnected', 'forceDisconnected']);

// --- the tap: which (epoch, seq) the client is applying --------------------------------------
let applying = null; // { epoch, byKey: Map("created|id" -> seq) } while one events frame is handled
class TappedSocket extends WebSocket {
  constructor(url) {
    super(url);
    this.epoch = 0;
    this.addEventListener('message', message => {
      applying = null;
      let frame;
      try {
        frame = JSON.parse(message.data);
      } catch {
        return;
      }
      if (frame.type === 'connected') this.epoch = frame.epoch || 0;
      if (frame.type !== 'events') return;
      const byKey = new Map();
      for (const e of frame.events || []) {
        const kind = e.type === 'connectionCreated' ? 'created' : 'dropped';
        byKey.set(`${kind}|${e.connection?.id}`, e.seq);
      }
      applying = { epoch: this.epoch, byKey };
    });
  }
}
globalThis.WebSocket = TappedSocket;

// --- per-session logs: one order for all clients here ------------------------------------------
const logs = new Map(); // session -> Map("epoch:seq" -> [seq, kind, conn, data, reason, epoch])
let violations = 0;

function violation(client, kind, conn, detail) {
  violations += 1;
  out({ type: 'violation', kind, client: client.index, session: client.sessionId, own: client.own, conn, detail });
}

/** The client's events in (epoch, seq) order, and the same event at the same position for all. */
function checkSeq(client, kind, connection, reason, position) {
  if (!position) return;
  const [epoch, seq] = position;
  if (epoch < client.lastEpoch || (epoch === client.lastEpoch && seq <= client.lastSeq)) {
    violation(client, 'out_of_order', connection.connectionId,
      `(epoch ${epoch}, seq ${seq}) after (${client.lastEpoch}, ${client.lastSeq})`);
  }
  client.lastEpoch = epoch;
  client.lastSeq = seq;
  if (!logs.has(client.sessionId)) logs.set(client.sessionId, new Map());
  const log = logs.get(client.sessionId);
  const entry = [seq, kind, connection.connectionId, connection.data || '', reason || '', epoch];
  const key = `${epoch}:${seq}`;
  const first = log.get(key);
  if (!first) log.set(key, entry);
  else if (JSON.stringify(first) !== JSON.stringify(entry)) {
    violation(client, 'seq_mismatch', connection.connectionId,
      `(epoch ${epoch}, seq ${seq}) is ${JSON.stringify(entry)} here, ${JSON.stringify(first)} at another client`);
  }
}

function position(kind, id) {
  const seq = applying?.byKey.get(`${kind}|${id}`);
  return typeof seq === 'number' ? [applying.epoch, seq] : null;
}

// --- clients ----------------------------------------------------------------------------------
const clients = [];

function fnv1a64(text) {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash;
}

function add(sessionId, token, tag) {
  const session = initSession(args['api-key'], sessionId, { url: args.url });
  const client = {
    index: clients.length, sessionId, tag: tag || '', session, state: 'connecting', own: '', ownIds: new Set(),
    ownChanges: 0, present: new Map(), gone: new Set(), lastEpoch: 0, lastSeq: -1,
  };
  clients.push(client);
  const learnOwn = () => {
    const id = session.connection?.connectionId;
    if (!id || id === client.own) return;
    if (client.own) client.ownChanges += 1;
    client.own = id;
    client.ownIds.add(id);
  };
  session.on({
    connectionCreated: ({ connection }) => {
      learnOwn();
      const id = connection.connectionId;
      if (client.ownIds.has(id)) return; // the client announces its own (new) connection, as OpenTok's does
      if (client.present.has(id)) violation(client, 'duplicate_created', id, 'created while present');
      else if (client.gone.has(id)) violation(client, 'recreated', id, 'created after it was dropped');
      else client.present.set(id, connection);
      checkSeq(client, 'created', connection, '', position('created', id));
    },
    connectionDestroyed: ({ connection, reason }) => {
      learnOwn();
      const id = connection.connectionId;
      if (client.ownIds.has(id)) return; // its own old connection, after a rejoin
      if (!REASONS.has(reason)) violation(client, 'bad_reason', id, `reason ${reason}`);
      if (client.present.delete(id)) client.gone.add(id);
      else if (client.gone.has(id)) violation(client, 'dropped_twice', id, 'dropped after it was dropped');
      else {
        client.gone.add(id);
        violation(client, 'dropped_unknown', id, 'dropped but never created');
      }
      checkSeq(client, 'dropped', connection, reason, position('dropped', id));
    },
    sessionConnected: () => { learnOwn(); client.state = 'connected'; },
    sessionReconnecting: () => { if (client.state === 'connected') client.state = 'reconnecting'; },
    sessionReconnected: () => { learnOwn(); if (client.state === 'reconnecting') client.state = 'connected'; },
    sessionDisconnected: () => { client.state = client.state === 'leaving' ? 'left' : 'ended'; },
  });
  const attempt = () => session.connect(token, error => {
    if (!error) return;
    if (error.code === 1023 || error.code === 1006) {
      setTimeout(attempt, (error.retryAfterMs || 250) + Math.random() * 250); // refused for now: again
    } else {
      client.state = 'failed';
      out({ type: 'error', code: error.code, message: `client ${client.index}: ${error.message}` });
    }
  });
  attempt();
}

function leave(count) {
  const ids = [];
  for (const client of clients) {
    if (ids.length >= count) break;
    if (client.state !== 'connected') continue;
    ids.push(client.own);
    client.state = 'leaving';
    client.session.disconnect();
  }
  out({ type: 'leaving', ids });
}

function roster() {
  for (const client of clients) {
    let sum = 0n;
    for (const id of client.present.keys()) sum = (sum + fnv1a64(id)) & 0xffffffffffffffffn;
    out({
      type: 'roster', client: client.index, tag: client.tag, session: client.sessionId, state: client.state,
      id: client.own, count: client.present.size, hash: sum.toString(16).padStart(16, '0'), own_changes: client.ownChanges,
    });
  }
  out({ type: 'roster_end', clients: clients.length });
}

function seqlog(sessionId) {
  const events = [...(logs.get(sessionId)?.values() || [])].sort((a, b) => a[5] - b[5] || a[0] - b[0]);
  out({ type: 'seqlog', session: sessionId, restarted: false, events });
}

function progress() {
  const counts = { pending: 0, connecting: 0, connected: 0, reconnecting: 0, leaving: 0, left: 0, ended: 0, failed: 0 };
  for (const client of clients) counts[client.state] += 1;
  out({ type: 'progress', ...counts, violations, roster_sum: clients.reduce((n, c) => n + c.present.size, 0) });
}

function quit() {
  for (const client of clients) {
    if (client.state !== 'left' && client.state !== 'ended') {
      client.state = 'leaving';
      client.session.disconnect();
    }
  }
  out({ type: 'bye' });
  setTimeout(() => process.exit(violations ? 2 : 0), 200); // let the close frames go out
}

const ticker = setInterval(progress, Number(args['progress-ms']));
const input = createInterface({ input: process.stdin });
input.on('line', text => {
  const words = text.trim().split(/\s+/);
  switch (words[0]) {
    case 'add': add(words[1], words[2], words[3]); break;
    case 'leave': leave(Number(words[1])); break;
    case 'roster': roster(); break;
    case 'seqlog': seqlog(words[1]); break;
    case 'stats': progress(); break;
    case 'echo': out({ type: 'echo', text: words.slice(1).join(' ') }); break;
    case 'quit': clearInterval(ticker); quit(); break;
    case '': break;
    default: out({ type: 'error', code: 0, message: `bad command: ${text}` });
  }
});
input.on('close', () => { clearInterval(ticker); quit(); });
