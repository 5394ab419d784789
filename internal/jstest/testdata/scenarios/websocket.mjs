// WebSocket only: welcome, echo with/without ack for many value types.
import { scenario } from "../lib/common.mjs";
import { runBasic } from "../lib/basic.mjs";

scenario("websocket", (t) => runBasic(t, "websocket"));
