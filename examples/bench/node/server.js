// The Node.js reference bench server: the same contract as examples/bench
// (see ../main.go), on socket.io 4.8 and @socket.io/redis-adapter 8.3.
//
//   PORT=3001 node server.js                                         # in-memory adapter
//   PORT=3001 REDIS_URL=redis://127.0.0.1:6379 REDIS_PREFIX=b1 node server.js
//
// GET /stats answers {"goroutines":1, ...}: Node runs the JavaScript on
// one thread; the figures worth watching are process.memoryUsage().
import http from "node:http";
import { Server } from "socket.io";
import { createAdapter } from "@socket.io/redis-adapter";
import { createClient } from "redis";

const port = Number(process.env.PORT || 3000);
const redisURL = process.env.REDIS_URL || "";
const prefix = process.env.REDIS_PREFIX || "socket.io";

let ready = false;

const httpServer = http.createServer((req, res) => {
  const url = new URL(req.url, "http://127.0.0.1");
  if (req.method === "POST" && url.pathname === "/emit") {
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size > 1e6) {
        res.writeHead(413).end();
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => {
      let payload;
      try {
        payload = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        res.writeHead(400).end("a JSON body is required\n");
        return;
      }
      const room = url.searchParams.get("room");
      if (room) {
        io.to(room).emit("msg", payload);
      } else {
        io.emit("msg", payload);
      }
      res.writeHead(204).end();
    });
    return;
  }
  if (req.method === "GET" && url.pathname === "/healthz") {
    if (!ready) {
      res.writeHead(503).end("redis adapter not subscribed yet\n");
      return;
    }
    res.writeHead(200, { "Content-Type": "text/plain" }).end("ok\n");
    return;
  }
  if (req.method === "GET" && url.pathname === "/stats") {
    const m = process.memoryUsage();
    const body = {
      goroutines: 1,
      connections: io.engine.clientsCount,
      rssBytes: m.rss,
      heapBytes: m.heapUsed,
      heapTotalBytes: m.heapTotal,
      externalBytes: m.external,
      arrayBuffersBytes: m.arrayBuffers,
    };
    res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(body) + "\n");
    return;
  }
  res.writeHead(404).end();
});

const io = new Server(httpServer);

io.on("connection", (socket) => {
  socket.on("ping", (...args) => {
    const ack = args.pop();
    if (typeof ack === "function") ack(...args);
  });
  socket.on("join", (room, ack) => {
    socket.join(room);
    if (typeof ack === "function") ack(true);
  });
  socket.on("bcast", (room, payload) => {
    io.to(room).emit("msg", payload);
  });
});

async function setupRedis() {
  const pub = createClient({ url: redisURL });
  const sub = pub.duplicate();
  pub.on("error", (err) => console.error("redis pub:", err.message));
  sub.on("error", (err) => console.error("redis sub:", err.message));
  await Promise.all([pub.connect(), sub.connect()]);
  const subID = await sub.sendCommand(["CLIENT", "ID"]);
  io.adapter(createAdapter(pub, sub, { key: prefix }));
  // Ready once the subscriber's pattern subscription is in place.
  for (let i = 0; i < 200; i++) {
    const info = await pub.sendCommand(["CLIENT", "LIST", "ID", String(subID)]);
    if (/ psub=[1-9]/.test(info)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("the redis adapter did not subscribe in time");
}

httpServer.listen(port, "127.0.0.1", async () => {
  try {
    if (redisURL) await setupRedis();
    ready = true;
    console.log(`bench server (node ${process.version}) on http://127.0.0.1:${port} (redis "${redisURL}", prefix "${prefix}")`);
  } catch (err) {
    console.error(err);
    process.exit(1);
  }
});

for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    io.close();
    process.exit(0);
  });
}
