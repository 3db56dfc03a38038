#!/usr/bin/env node
// Node.js echo peer for the benchmark suite (TCP and UDP): net.createServer and dgram, as a Node user writes an
// echo server. Not part of the product.
//
// Usage: node node_echo.js TCP_PORT [UDP_PORT]   (0 picks a free port; without UDP_PORT there is no UDP listener)
// Prints "listening on tcp://127.0.0.1:PORT" (and "listening on udp://127.0.0.1:PORT") once bound, then serves
// until SIGINT or SIGTERM.
'use strict';
const net = require('net');
const dgram = require('dgram');

function port(text) {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    process.stderr.write(`node_echo: '${text}' is not a port number\n`);
    process.exit(2);
  }
  return value;
}

const args = process.argv.slice(2);
if (args.length < 1 || args.length > 2) {
  process.stderr.write('usage: node node_echo.js TCP_PORT [UDP_PORT]\n');
  process.exit(2);
}

// noDelay as the other peers (Node 20 leaves Nagle on by default for net.Server's sockets).
const server = net.createServer({ noDelay: true }, (socket) => {
  socket.on('data', (data) => socket.write(data));
  socket.on('error', () => socket.destroy());
});
let udp = null;

function stop() {
  server.close();
  if (udp !== null) udp.close();
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

server.listen({ host: '127.0.0.1', port: port(args[0]), backlog: 4096 }, () => {
  process.stdout.write(`listening on tcp://127.0.0.1:${server.address().port}\n`);
  if (args.length === 2) {
    udp = dgram.createSocket('udp4');
    udp.on('message', (message, remote) => udp.send(message, remote.port, remote.address));
    udp.bind(port(args[1]), '127.0.0.1', () => {
      process.stdout.write(`listening on udp://127.0.0.1:${udp.address().port}\n`);
    });
  }
});
