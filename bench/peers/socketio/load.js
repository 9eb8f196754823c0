// The Socket.IO peer's load generator (docs/harness.md, "Peers"), the counterpart of otc-load and
// mqtt-load: all members of a run in this process, one JSON line of figures on stdout (ms).
//
//   node load.js --port P --mode storm --members N
//   node load.js --port P --mode lone --members M --probes K
//   node load.js --port P --mode departure --members OBSERVERS --victims V --kind kill|stop
'use strict';
const { fork } = require('node:child_process');
const { io } = require('socket.io-client');

const args = { port: 3000, mode: 'storm', members: 100, probes: 100, victims: 5, kind: 'kill', timeout: 600 };
for (let i = 2; i + 1 < process.argv.length; i += 2) {
  const name = process.argv[i].replace(/^--/, '');
  if (!(name in args) && name !== 'room') {
    fail(`unknown argument --${name}`);
  }
  const value = process.argv[i + 1];
  args[name] = typeof args[name] === 'number' ? Number(value) : value;
}
const url = `http://127.0.0.1:${args.port}`;
const room = args.room || `r${Date.now()}-${process.pid}`;
const now = () => Number(process.hrtime.bigint()) / 1e6;

function fail(message) {
  process.stdout.write(JSON.stringify({ type: 'error', message }) + '\n');
  process.exit(1);
}

/** One member: the set of other members it knows, and hooks for the measurements. */
function member(data, hooks = {}) {
  const known = new Set();
  const socket = io(url, {
    transports: ['websocket'], forceNew: true, reconnection: false, query: { room, data },
  });
  const m = { socket, known, connected: false };
  socket.on('connect', () => { m.connected = true; hooks.connected?.(m); });
  socket.on('roster', (ids) => { ids.forEach((id) => known.add(id)); hooks.changed?.(m); });
  socket.on('joined', (id) => { known.add(id); hooks.joined?.(m, id); hooks.changed?.(m); });
  socket.on('left', (id) => { known.delete(id); hooks.left?.(m, id); hooks.changed?.(m); });
  socket.on('connect_error', (e) => fail(`connect_error: ${e.message}`));
  return m;
}

function deadline(what) {
  return setTimeout(() => fail(`${what}: timeout after ${args.timeout} s`), args.timeout * 1000);
}

function storm() {
  const n = args.members;
  let full = 0;
  let connected = 0;
  let allConnected = 0;
  const start = now();
  const timer = deadline('storm');
  const members = [];
  const hooks = {
    connected: () => { if (++connected === n) allConnected = now() - start; },
    changed: (m) => {
      if (!m.full && m.known.size === n - 1) {
        m.full = true;
        if (++full === n) {
          clearTimeout(timer);
          out({ type: 'storm', members: n, convergence_ms: now() - start, all_connected_ms: allConnected });
          members.forEach((x) => x.socket.disconnect());
          process.exit(0);
        }
      }
    },
  };
  for (let i = 0; i < n; i++) {
    members.push(member(`s:${i}`, hooks));
  }
}

/** M members; K times one more joins alone (from its connect call) and leaves (from its disconnect). */
function lone() {
  const n = args.members;
  const joins = [];
  const leaves = [];
  let full = 0;
  let watch = null; // { id, joined: bool, seen, last }
  const timer = deadline('lone');
  const hooks = {
    changed: (m) => {
      if (!m.full && m.known.size === n - 1) {
        m.full = true;
        if (++full === n) probe(0);
      }
    },
    joined: (m, id) => {
      if (watch && watch.joined) {
        if (watch.id === null) early.push(id); else if (watch.id === id) seen();
      }
    },
    left: (m, id) => { if (watch && watch.id === id && !watch.joined) seen(); },
  };
  // The probe's ID is known only once it is connected; events that come first are matched after.
  const early = [];
  function seen() {
    watch.seen++;
    watch.last = now();
    if (watch.seen === n) watch.done();
  }
  const members = [];
  for (let i = 0; i < n; i++) members.push(member(`m:${i}`, hooks));
  function probe(p) {
    if (p === args.probes) {
      clearTimeout(timer);
      out({ type: 'lone', members: n, probes: args.probes, join_ms: joins, leave_ms: leaves });
      members.forEach((x) => x.socket.disconnect());
      process.exit(0);
    }
    const t0 = now();
    early.length = 0;
    watch = { id: null, joined: true, seen: 0, last: 0 };
    const joiner = member(`probe:${p}`, {
      connected: (m) => {
        watch.id = m.socket.id;
        early.filter((id) => id === watch.id).forEach(() => seen());
      },
    });
    watch.done = () => {
      joins.push(watch.last - t0);
      const t1 = now();
      watch = { id: joiner.socket.id, joined: false, seen: 0, last: 0 };
      watch.done = () => {
        leaves.push(watch.last - t1);
        setImmediate(() => probe(p + 1));
      };
      joiner.socket.disconnect();
    };
  }
}

/** Observers here; victims in child processes, killed or stopped together. */
function departure() {
  const victims = [];
  for (let v = 0; v < args.victims; v++) {
    victims.push(fork(__filename, ['--port', String(args.port), '--mode', 'victim', '--room', room]));
  }
  const ids = new Map(); // victim pid -> socket id
  victims.forEach((child) => child.on('message', (id) => ids.set(child.pid, id)));
  const observers = [];
  let t0 = 0;
  const detected = new Map(); // victim socket id -> ms
  const timer = deadline('departure');
  const hooks = {
    left: (m, id) => {
      if (!t0 || detected.has(id)) return;
      if (observers.every((o) => !o.known.has(id))) {
        detected.set(id, now() - t0);
        if (detected.size === args.victims) finish();
      }
    },
  };
  for (let i = 0; i < args.members; i++) observers.push(member(`o:${i}`, hooks));
  const poll = setInterval(() => {
    const all = [...ids.values()];
    if (all.length === args.victims && observers.every((o) => all.every((id) => o.known.has(id)))) {
      clearInterval(poll);
      t0 = now();
      victims.forEach((child) => process.kill(child.pid, args.kind === 'stop' ? 'SIGSTOP' : 'SIGKILL'));
    }
  }, 5);
  function finish() {
    clearTimeout(timer);
    victims.forEach((child) => {
      try {
        process.kill(child.pid, 'SIGKILL'); // a stopped victim is still there; a killed one is gone
      } catch (e) {
        if (e.code !== 'ESRCH') throw e;
      }
    });
    out({ type: 'departure', kind: args.kind, observers: args.members, victims: args.victims,
      detected: detected.size, ms: [...detected.values()] });
    observers.forEach((o) => o.socket.disconnect());
    process.exit(0);
  }
}

function victim() {
  const m = member('victim');
  m.socket.on('connect', () => process.send(m.socket.id));
}

function out(line) {
  process.stdout.write(JSON.stringify(line) + '\n');
}

({ storm, lone, departure, victim }[args.mode] || (() => fail(`unknown --mode ${args.mode}`)))();
