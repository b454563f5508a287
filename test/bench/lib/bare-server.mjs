// The floor: a bare node:http server answering POST /charges with the JSON
// the resource model answers (201, the body plus id, idempotencyKey, created).
import http from 'node:http';

export function chargeRecord(body, sequence) {
  return { ...body, id: `cha_${sequence}`, idempotencyKey: null, created: new Date().toISOString() };
}

export async function startBareServer() {
  let sequence = 0;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      let body = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      } catch {
        // the floor answers whatever it gets
      }
      sequence += 1;
      const bytes = Buffer.from(JSON.stringify(chargeRecord(body, sequence)));
      res.writeHead(201, { 'content-type': 'application/json', 'content-length': String(bytes.length) });
      res.end(bytes);
    });
  });
  server.keepAliveTimeout = 5_000;
  const sockets = new Set();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests: () => sequence,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
