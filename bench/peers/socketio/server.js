// The Socket.IO peer of the Rollcall benchmark (docs/harness.md, "Peers"): presence with rooms, the
// way Socket.IO users build it. A joiner gets the room's members ("roster"), the room gets "joined";
// on disconnect the room gets "left" with Socket.IO's reason. Socket.IO's defaults otherwise
// (pingInterval 25 s, pingTimeout 20 s): departure by SIGSTOP is found by them.
//
//   node server.js PORT
'use strict';
const { Server } = require('socket.io');

const port = Number(process.argv[2] || 3000);
const io = new Server(port, { serveClient: false, transports: ['websocket'] });
const rooms = new Map(); // room -> Map(socket id -> data)

io.on('connection', (socket) => {
  const room = String(socket.handshake.query.room || 'default');
  const data = String(socket.handshake.query.data || '');
  let members = rooms.get(room);
  if (!members) {
    members = new Map();
    rooms.set(room, members);
  }
  socket.emit('roster', [...members.keys()]);
  members.set(socket.id, data);
  socket.join(room);
  socket.to(room).emit('joined', socket.id, data);
  socket.on('disconnect', (reason) => {
    members.delete(socket.id);
    if (members.size === 0) {
      rooms.delete(room);
    }
    io.to(room).emit('left', socket.id, reason);
  });
});

process.stdout.write(JSON.stringify({ type: 'listening', port }) + '\n');
