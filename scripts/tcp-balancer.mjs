#!/usr/bin/env node
// A plain TCP (layer 4) round-robin load balancer, for `scripts/demo --nodes N`: no stickiness,
// nothing it understands above TCP; a backend that refuses the connection is skipped, so clients
// whose node died come back through the others.
//
//   node scripts/tcp-balancer.mjs LISTEN_PORT HOST:PORT [HOST:PORT ...]
import net from 'node:net';

const [listenPort, ...backends] = process.argv.slice(2);
if (!listenPort || backends.length === 0) {
  console.error('usage: tcp-balancer.mjs LISTEN_PORT HOST:PORT [HOST:PORT ...]');
  process.exit(2);
}
let next = 0;

function forward(client, tries) {
  if (tries >= backends.length) {
    client.destroy(); // every backend refused
    return;
  }
  const [host, port] = backends[next++ % backends.length].split(':');
  const upstream = net.connect({ host, port: Number(port) });
  let connected = false;
  upstream.once('connect', () => {
    connected = true;
    upstream.setNoDelay(true);
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  });
  upstream.on('error', () => {
    if (!connected) forward(client, tries + 1);
  });
  upstream.on('close', () => {
    if (connected) client.destroy();
  });
  client.on('close', () => upstream.destroy());
}

net.createServer({ pauseOnConnect: true }, client => {
  client.setNoDelay(true);
  client.on('error', () => {});
  forward(client, 0);
}).listen(Number(listenPort), '127.0.0.1');
