package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// instance is one server process started by the load tool, in its own
// process group (so that `go run` and its child are measured and stopped
// together).
type instance struct {
	idx       int
	port      int
	pprofAddr string
	cmd       *exec.Cmd
	pgid      int
	logPath   string
	exited    chan struct{}
}

func (in *instance) addr() string { return "127.0.0.1:" + strconv.Itoa(in.port) }

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startInstance runs `sh -c "exec <command>"` with PORT, REDIS_URL and
// REDIS_PREFIX (and PPROF when pprof is on) in its environment.
func startInstance(idx int, command, redisURL, prefix string, pprof bool, logDir string) (*instance, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	in := &instance{idx: idx, port: port, exited: make(chan struct{})}
	env := append(os.Environ(), "PORT="+strconv.Itoa(port), "REDIS_URL="+redisURL, "REDIS_PREFIX="+prefix)
	if pprof {
		pp, err := freePort()
		if err != nil {
			return nil, err
		}
		in.pprofAddr = "127.0.0.1:" + strconv.Itoa(pp)
		env = append(env, "PPROF="+in.pprofAddr)
	}
	in.logPath = filepath.Join(logDir, fmt.Sprintf("server-%d-%d.log", idx, port))
	logf, err := os.Create(in.logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("sh", "-c", "exec "+command)
	cmd.Env = env
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	in.cmd = cmd
	in.pgid = cmd.Process.Pid
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(in.exited)
	}()
	return in, nil
}

// waitHealthy polls GET /healthz until it answers 200.
func (in *instance) waitHealthy(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	hc := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-in.exited:
			return fmt.Errorf("server %d exited; see %s", in.idx, in.logPath)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		resp, err := hc.Get("http://" + in.addr() + "/healthz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("server %d not healthy after %s; see %s", in.idx, timeout, in.logPath)
}

// stop sends SIGTERM to the process group, then SIGKILL after grace.
func (in *instance) stop(grace time.Duration) {
	if in.cmd == nil {
		return
	}
	_ = syscall.Kill(-in.pgid, syscall.SIGTERM)
	select {
	case <-in.exited:
	case <-time.After(grace):
		_ = syscall.Kill(-in.pgid, syscall.SIGKILL)
		<-in.exited
	}
	// Children that outlived the group leader.
	_ = syscall.Kill(-in.pgid, syscall.SIGKILL)
}

// procSample is what /proc tells of a process group.
type procSample struct {
	cpu   float64 // utime+stime, seconds
	sys   float64 // stime (in the kernel, for the process), seconds
	rss   int64   // bytes
	procs int
}

const clkTck = 100 // USER_HZ on Linux

// sampleGroup sums utime+stime and RSS over the processes of group pgid.
func sampleGroup(pgid int) procSample {
	var s procSample
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return s
	}
	page := int64(os.Getpagesize())
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// Fields after the command name, which may hold spaces.
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		// f[0] is field 3 (state): field k is f[k-3].
		if len(f) < 22 {
			continue
		}
		pg, _ := strconv.Atoi(f[5-3])
		if pg != pgid {
			continue
		}
		ut, _ := strconv.ParseInt(f[14-3], 10, 64)
		st, _ := strconv.ParseInt(f[15-3], 10, 64)
		rssPages, _ := strconv.ParseInt(f[24-3], 10, 64)
		s.cpu += float64(ut+st) / clkTck
		s.sys += float64(st) / clkTck
		s.rss += rssPages * page
		s.procs++
		_ = pid
	}
	return s
}

// selfCPU is the load tool's own CPU time in seconds.
func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

// serverStats is GET /stats.
type serverStats struct {
	HeapLiveBytes int64 `json:"heapLiveBytes"` // after a GC, with ?gc=1
	Goroutines    int   `json:"goroutines"`
	Connections   int   `json:"connections"`
	HeapBytes     int64 `json:"heapBytes"`
	RSSBytes      int64 `json:"rssBytes"`
}

func (in *instance) stats() (serverStats, error) { return in.getStats("/stats") }

// statsGC asks for the live heap after a forced GC (the Go server does).
func (in *instance) statsGC() (serverStats, error) { return in.getStats("/stats?gc=1") }

func (in *instance) getStats(path string) (serverStats, error) {
	var st serverStats
	hc := &http.Client{Timeout: 5 * time.Second}
	resp, err := hc.Get("http://" + in.addr() + path)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, errors.New(resp.Status)
	}
	err = json.NewDecoder(resp.Body).Decode(&st)
	return st, err
}

// redisCPU is Redis's used_cpu_sys + used_cpu_user (seconds), 0 without Redis.
func redisCPU(ctx context.Context, rdb *redis.Client) float64 {
	if rdb == nil {
		return 0
	}
	info, err := rdb.Info(ctx, "cpu").Result()
	if err != nil {
		return 0
	}
	var total float64
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":")
		if ok && (k == "used_cpu_sys" || k == "used_cpu_user") {
			f, _ := strconv.ParseFloat(v, 64)
			total += f
		}
	}
	return total
}

// machineCPU is the busy CPU time of the whole machine (all cores), in
// seconds, from /proc/stat: user+nice+system+irq+softirq.
func machineCPU() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0
	}
	var busy int64
	for _, i := range []int{1, 2, 3, 6, 7} {
		v, _ := strconv.ParseInt(f[i], 10, 64)
		busy += v
	}
	return float64(busy) / clkTck
}
