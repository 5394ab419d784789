package redistest

import "go.uber.org/goleak"

// IgnoreGoroutines returns goleak options for the goroutines this package
// keeps while its redis-server processes run (one per process, plus the
// spawner on Linux), for tests that call goleak.VerifyNone or goleak.Find
// before Cleanup.
func IgnoreGoroutines() []goleak.Option {
	return []goleak.Option{
		goleak.IgnoreAnyFunction("github.com/go-sio/sio/internal/redistest.waitProcess"),
		goleak.IgnoreAnyFunction("github.com/go-sio/sio/internal/redistest.spawner"),
	}
}
