// Package redisadapter connects the servers of a cluster through Redis,
// wire-compatible with Node's @socket.io/redis-adapter 8.3: Go and Node
// servers on one Redis see each other's sockets, broadcasts and requests.
//
// [New] builds the classic adapter (PUBLISH / PSUBSCRIBE / SUBSCRIBE);
// [NewEmitter] sends from any Go process without a Socket.IO server, like
// @socket.io/redis-emitter.
//
// Delivery over Redis Pub/Sub is at most once: a message published while
// a server is disconnected from Redis is lost for that server. Local
// delivery never depends on Redis.
package redisadapter
