// Command bench is the benchmark server: the contract that the load tool
// (examples/loadgen) drives, implemented here on sio and in node/ on the
// Node.js reference (socket.io 4.8 + @socket.io/redis-adapter 8.3), so that
// both run under the same load on the same machine.
//
//	PORT=3001 go run ./examples/bench                                        # in-memory adapter
//	PORT=3001 REDIS_URL=redis://127.0.0.1:6379 REDIS_PREFIX=b1 go run ./examples/bench
//
// The contract:
//   - env PORT (listens on 127.0.0.1; default 3000), REDIS_URL (empty: the
//     in-memory adapter, else the Redis adapter), REDIS_PREFIX (the adapter's
//     channel prefix, default "socket.io"), PPROF (an address such as
//     127.0.0.1:6060: net/http/pprof is served there; also the -pprof flag);
//   - Socket.IO at /socket.io/: event "ping" with an ack answers with the
//     same arguments; "join" (room) with an ack joins the room and answers
//     true; "bcast" (room, payload) emits "msg" with the payload to the
//     room across the cluster;
//   - POST /emit?room=R with a JSON body emits "msg" with the body to room R
//     across the cluster and answers 204; without room, to every socket;
//   - GET /healthz answers 200 once the server is ready (its Redis
//     subscription up); GET /stats answers {"goroutines":N, ...} with heap
//     and RSS figures (GET /stats?gc=1 runs a garbage collection first, so
//     that heapLiveBytes is the live heap).
//
// Payloads are relayed as raw JSON: the timestamps the load tool puts in
// them are never parsed here.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/go-sio/sio/core"
	"github.com/go-sio/sio/redisadapter"
)

// Options configures [NewHandler].
type Options struct {
	// RedisURL selects the Redis adapter when not empty.
	RedisURL string
	// RedisPrefix is the Redis adapter's channel prefix ("socket.io" when
	// empty).
	RedisPrefix string
}

// Bench is a ready bench server: its HTTP handler and how to stop it.
type Bench struct {
	Handler http.Handler
	Server  *core.Server
	ready   func() bool
	close   func()
}

// Close releases the Socket.IO server and its Redis connections.
func (b *Bench) Close() { b.close() }

// NewHandler builds the bench server of the contract above.
func NewHandler(opts Options) (*Bench, error) {
	cfg := core.Config{}
	ready := func() bool { return true }
	closeRedis := func() {}
	if opts.RedisURL != "" {
		ropts, err := redis.ParseURL(opts.RedisURL)
		if err != nil {
			return nil, err
		}
		rdb := redis.NewClient(ropts)
		ad := redisadapter.New(rdb, redisadapter.Config{Key: opts.RedisPrefix})
		cfg.Adapter = ad
		ready = ad.Connected
		closeRedis = func() { _ = rdb.Close() }
	}
	srv, err := core.New(cfg)
	if err != nil {
		closeRedis()
		return nil, err
	}
	srv.OnConnection(func(s *core.Socket) {
		s.On("ping", func(args core.Args, ack core.Ack) {
			ack(args) // the same arguments, as raw JSON
		})
		s.On("join", func(room string, ack core.Ack) {
			s.Join(core.Room(room))
			ack(true)
		})
		s.On("bcast", func(args core.Args) error {
			var room string
			if err := args.Decode(&room); err != nil {
				return err
			}
			return srv.To(core.Room(room)).Emit("msg", args.Raw(1))
		})
	})

	mux := http.NewServeMux()
	mux.Handle(srv.Path(), srv)
	mux.HandleFunc("POST /emit", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil || !json.Valid(body) {
			http.Error(w, "a JSON body is required", http.StatusBadRequest)
			return
		}
		payload := json.RawMessage(body)
		if room := r.URL.Query().Get("room"); room != "" {
			err = srv.To(core.Room(room)).Emit("msg", payload)
		} else {
			err = srv.Emit("msg", payload)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if !ready() {
			http.Error(w, "redis adapter not subscribed yet", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("gc") == "1" {
			runtime.GC()
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(stats(srv))
	})
	return &Bench{
		Handler: mux,
		Server:  srv,
		ready:   ready,
		close: func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(ctx)
			closeRedis()
		},
	}, nil
}

var metricSamples = []metrics.Sample{
	{Name: "/memory/classes/heap/objects:bytes"},
	{Name: "/memory/classes/total:bytes"},
	{Name: "/gc/cycles/total:gc-cycles"},
	{Name: "/sched/goroutines:goroutines"},
	{Name: "/memory/classes/heap/stacks:bytes"},
	{Name: "/gc/heap/live:bytes"},
}

// stats is what GET /stats answers.
func stats(srv *core.Server) map[string]any {
	samples := make([]metrics.Sample, len(metricSamples))
	copy(samples, metricSamples)
	metrics.Read(samples)
	val := func(i int) uint64 {
		if samples[i].Value.Kind() == metrics.KindUint64 {
			return samples[i].Value.Uint64()
		}
		return 0
	}
	return map[string]any{
		"goroutines":  runtime.NumGoroutine(),
		"connections": srv.Engine().Len(),
		"heapBytes":   val(0), // live and not yet collected heap objects
		"stackBytes":  val(4),
		"goSysBytes":  val(1), // all memory mapped by the Go runtime
		"gcCycles":    val(2),
		"rssBytes":    rss(),
		"gomaxprocs":  runtime.GOMAXPROCS(0),
		// Live heap as of the last GC; GET /stats?gc=1 runs one first.
		"heapLiveBytes": val(5),
	}
}

// rss reads the resident set size from /proc (0 where there is none).
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

func main() {
	pprofAddr := flag.String("pprof", os.Getenv("PPROF"), "serve net/http/pprof on this address (e.g. 127.0.0.1:6060); env PPROF")
	flag.Parse()

	port := os.Getenv("PORT")
	if port == "" {
		port = "3000"
	}
	prefix := os.Getenv("REDIS_PREFIX")
	if prefix == "" {
		prefix = "socket.io"
	}
	b, err := NewHandler(Options{RedisURL: os.Getenv("REDIS_URL"), RedisPrefix: prefix})
	if err != nil {
		log.Fatal(err)
	}
	if *pprofAddr != "" {
		pm := http.NewServeMux()
		pm.HandleFunc("/debug/pprof/", pprof.Index)
		pm.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		pm.HandleFunc("/debug/pprof/profile", pprof.Profile)
		pm.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		pm.HandleFunc("/debug/pprof/trace", pprof.Trace)
		go func() {
			log.Printf("pprof on http://%s/debug/pprof/", *pprofAddr)
			if err := http.ListenAndServe(*pprofAddr, pm); err != nil {
				log.Printf("pprof: %v", err)
			}
		}()
	}

	// No TCP keep-alive, as in Node's http server by default: the Engine.IO
	// heartbeat already finds dead peers, and the probes' settings cost four
	// setsockopt calls per accepted connection.
	lc := net.ListenConfig{KeepAlive: -1}
	ln, err := lc.Listen(context.Background(), "tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		log.Fatal(err)
	}
	hs := &http.Server{Handler: b.Handler, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		b.Close()
		_ = hs.Shutdown(sctx)
	}()
	log.Printf("bench server on http://%s (redis %q, prefix %q)", ln.Addr(), os.Getenv("REDIS_URL"), prefix)
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}
