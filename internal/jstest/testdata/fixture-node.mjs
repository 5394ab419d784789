// Node reference implementation of the jstest FIXTURE CONTRACT, using the
// official socket.io server. Every scenario in ./scenarios must pass against
// it; the Go implementation of the same contract runs the same scenarios.
//
// Listens on 127.0.0.1:$PORT (PORT=0 picks a free port) and prints
// "listening <port>" on stdout once ready.
//
// Server modes (see README.md): CSR=1 enables connection state recovery
// (maxDisconnectionDuration = CSR_MAX_MS, default 2000; skipMiddlewares) and
// the CSR-only events; EIO3=1 sets allowEIO3 (Socket.IO v2 clients).

import { createServer } from "node:http";
import { Server } from "socket.io";

const port = Number(process.env.PORT ?? 0);
const csr = process.env.CSR === "1";
const csrMaxMs = Number(process.env.CSR_MAX_MS ?? 2000);
const eio3 = process.env.EIO3 === "1";

const httpServer = createServer();
const io = new Server(httpServer, {
  path: "/socket.io/",
  ...(csr
    ? { connectionStateRecovery: { maxDisconnectionDuration: csrMaxMs, skipMiddlewares: true } }
    : {}),
  ...(eio3 ? { allowEIO3: true } : {}),
});

// Drops a trailing ack callback from an argument list (for the any-log).
function withoutAck(args) {
  return args.length > 0 && typeof args[args.length - 1] === "function" ? args.slice(0, -1) : args;
}

// CSR mode: count every run of the main namespace's middleware. A recovered
// socket skips it (skipMiddlewares), so the count shows whether it ran.
let mwCount = 0;
if (csr) {
  io.use((socket, next) => {
    mwCount++;
    next();
  });
}

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
  // Catch-all logs, registered before anything is sent so that "welcome" is
  // the first outgoing entry. onAny sees every incoming event before the
  // per-packet middleware (socket.use) runs, so rejected events are logged too.
  const incoming = [];
  const outgoing = [];
  socket.onAny((event, ...args) => {
    incoming.push([event, ...withoutAck(args)]);
  });
  socket.onAnyOutgoing((event, ...args) => {
    outgoing.push([event, ...args]);
  });

  // Per-packet middleware: rejects events named "forbidden"; the rejection is
  // emitted as an "error" event on the server-side socket and recorded.
  const errors = [];
  socket.use((packet, next) => {
    if (packet[0] === "forbidden") {
      next(new Error("forbidden event"));
      return;
    }
    next();
  });
  socket.on("error", (err) => {
    errors.push(err.message);
  });

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

  socket.on("any-log", (ack) => {
    // The log already holds this any-log call itself (last incoming entry).
    ack({ incoming, outgoing });
  });

  socket.on("errors", (ack) => {
    ack(errors);
  });

  socket.on("broadcast-ack", (room, timeoutMs, ack) => {
    (room ? io.to(room) : io).timeout(timeoutMs).emit("question", { from: socket.id }, (err, responses) => {
      const sorted = [...responses].sort((a, b) => {
        const ka = JSON.stringify(a);
        const kb = JSON.stringify(b);
        return ka < kb ? -1 : ka > kb ? 1 : 0;
      });
      ack({ error: err ? err.message : null, responses: sorted });
    });
  });

  socket.on("dyn-broadcast", (event, payload, ack) => {
    dynParent.emit(event, payload);
    ack(true);
  });

  if (csr) {
    socket.on("mw-count", (ack) => {
      ack(mwCount);
    });

    socket.on("recovered", (ack) => {
      ack(socket.recovered);
    });

    socket.on("store", (value, ack) => {
      socket.data.value = value;
      ack(true);
    });

    socket.on("data", (ack) => {
      ack(socket.data);
    });

    socket.on("later", (event, payload, delayMs, ack) => {
      ack(true);
      setTimeout(() => io.emit(event, payload), delayMs);
    });
  }
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

// Dynamic namespaces. Children of a parent share its middleware and handlers.
function onWhoami(socket) {
  socket.on("whoami", (ack) => {
    ack(socket.nsp.name, socket.id);
  });
}

const dynParent = io.of(/^\/dyn-\d+$/);
dynParent.use((socket, next) => {
  if (socket.handshake.auth?.ok !== true) {
    const err = new Error("dyn refused");
    err.data = { ns: socket.nsp.name };
    next(err);
    return;
  }
  next();
});
dynParent.on("connection", onWhoami);

io.of((name, auth, next) => {
  next(null, name.startsWith("/fn-") && auth.allow === true);
}).on("connection", onWhoami);

httpServer.listen(port, "127.0.0.1", () => {
  console.log(`listening ${httpServer.address().port}`);
});

const shutdown = () => {
  io.close();
  process.exit(0);
};
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
