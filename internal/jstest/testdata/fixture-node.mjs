// Node reference implementation of the jstest FIXTURE CONTRACT, using the
// official socket.io server. Every scenario in ./scenarios must pass against
// it; the Go implementation of the same contract runs the same scenarios.
//
// Listens on 127.0.0.1:$PORT (PORT=0 picks a free port) and prints
// "listening <port>" on stdout once ready.

import { createServer } from "node:http";
import { Server } from "socket.io";

const port = Number(process.env.PORT ?? 0);

const httpServer = createServer();
const io = new Server(httpServer, {
  path: "/socket.io/",
});

function onEcho(socket) {
  return (...args) => {
    if (args.length > 0 && typeof args[args.length - 1] === "function") {
      const ack = args.pop();
      ack(...args);
    } else {
      socket.emit("echo", ...args);
    }
  };
}

io.on("connection", (socket) => {
  socket.emit("welcome", { id: socket.id });

  socket.on("echo", onEcho(socket));

  socket.on("join", (room, ack) => {
    socket.join(room);
    ack(true);
  });

  socket.on("leave", (room, ack) => {
    socket.leave(room);
    ack(true);
  });

  socket.on("to-room", (room, event, payload, ack) => {
    io.to(room).emit(event, payload);
    ack(true);
  });

  socket.on("to-room-except", (room, exceptRoom, event, payload, ack) => {
    io.to(room).except(exceptRoom).emit(event, payload);
    ack(true);
  });

  socket.on("broadcast", (event, payload, ack) => {
    socket.broadcast.emit(event, payload);
    ack(true);
  });

  socket.on("request-ack", (event, payload, timeoutMs, ack) => {
    socket.timeout(timeoutMs).emit(event, payload, (err, ...response) => {
      if (err) {
        ack({ error: err.message });
      } else {
        ack({ response: response[0] });
      }
    });
  });

  socket.on("disconnect-me", (close) => {
    socket.disconnect(close);
  });

  socket.on("close-transport", () => {
    socket.conn.close();
  });

  socket.on("handshake", (ack) => {
    ack({ auth: socket.handshake.auth, query: socket.handshake.query });
  });

  socket.on("rooms", (ack) => {
    ack([...socket.rooms].sort());
  });
});

const admin = io.of("/admin");
admin.use((socket, next) => {
  if (socket.handshake.auth?.token !== "secret") {
    const err = new Error("not authorized");
    err.data = { reason: "bad token" };
    next(err);
    return;
  }
  next();
});
admin.on("connection", (socket) => {
  socket.on("whoami", (ack) => {
    ack("/admin", socket.id);
  });
});

io.of("/other").on("connection", (socket) => {
  socket.on("echo", onEcho(socket));
});

httpServer.listen(port, "127.0.0.1", () => {
  console.log(`listening ${httpServer.address().port}`);
});

const shutdown = () => {
  io.close();
  process.exit(0);
};
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
