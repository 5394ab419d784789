// Binary payloads (nested, top-level, empty, large) in both directions, over
// HTTP long-polling (base64 in the payload) and over WebSocket (binary frames).
import { scenario, assert, normalizeBinary, countBinary } from "../lib/common.mjs";

function bytes(n, seed) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

function sameBinary(actual, expected, label) {
  assert.equal(
    countBinary(actual),
    countBinary(expected),
    `${label}: number of binary leaves differs (binary decoded as something else?)`,
  );
  assert.deepEqual(normalizeBinary(actual), normalizeBinary(expected), label);
}

async function run(t, transport) {
  const { step } = t;

  step(`[${transport}] connect`);
  const socket = t.connect("/", { transports: [transport] });
  const echoes = t.recorder(socket, "echo");
  await t.waitConnect(socket);

  const nested = {
    a: Buffer.from([0, 1, 2, 253, 254, 255]),
    list: [Buffer.from("hello"), { b: new Uint8Array([9, 8, 7]) }],
    n: 1,
  };
  const big = bytes(200 * 1024, 7);
  const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const cases = [
    ["nested object with buffers", [nested]],
    ["top-level buffer plus strings", [Buffer.from("top"), "str", "another", 3]],
    ["empty buffer", [Buffer.alloc(0)]],
    ["all 256 byte values", [allBytes]],
    ["200 KB buffer", [big]],
    ["mixed: several buffers at several depths", [
      Buffer.from([1]),
      { x: [Buffer.alloc(0), { y: { z: Buffer.from([2, 3]) } }], s: "s" },
      [Buffer.from([4]), "k", null],
      "tail",
    ]],
  ];

  let eventCount = 0;
  for (const [label, args] of cases) {
    step(`[${transport}] echo with ack: ${label}`);
    const res = await t.emitAck(socket, "echo", ...args);
    sameBinary(res, args, `${transport} ack ${label}`);

    step(`[${transport}] echo without ack: ${label}`);
    socket.emit("echo", ...args);
    const items = await echoes.waitFor(++eventCount);
    sameBinary(items[eventCount - 1], args, `${transport} event ${label}`);
  }

  step(`[${transport}] type of received binary`);
  const [r] = await t.emitAck(socket, "echo", Buffer.from([1, 2, 3]));
  assert.ok(Buffer.isBuffer(r), `expected a Buffer, got ${Object.prototype.toString.call(r)}`);

  assert.equal(socket.io.engine.transport.name, transport);
  socket.disconnect();
}

scenario("binary", async (t) => {
  await run(t, "polling");
  await run(t, "websocket");
});
