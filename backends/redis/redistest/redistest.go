// Package redistest starts real redis-server processes for tests: a single
// server or a Redis Cluster, on loopback, on free ports, in the test's
// temporary directory, stopped when the test ends. Where redis-server is not
// installed the test is skipped with a message naming the package to install.
package redistest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startTimeout bounds how long a server may take to answer PING.
const startTimeout = 10 * time.Second

// Require skips t when redis-server or redis-cli is missing.
func Require(t testing.TB) {
	t.Helper()
	for _, bin := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not installed (Debian/Ubuntu: apt-get install -y redis-server): %v", bin, err)
		}
	}
}

// Server is one redis-server process.
type Server struct {
	t    testing.TB
	Port int
	Dir  string
	args []string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// StartServer starts a redis-server with no persistence unless args (redis.conf
// options as command-line flags, such as "--appendonly", "yes") say otherwise.
// It is stopped when the test ends.
func StartServer(t testing.TB, args ...string) *Server {
	t.Helper()
	Require(t)
	var last error
	for range 5 { // another process may take the port between probe and bind
		s := &Server{t: t, Port: freePort(t, false), Dir: t.TempDir(), args: args}
		if last = s.start(); last == nil {
			t.Cleanup(s.Stop)
			return s
		}
	}
	t.Fatalf("redis-server did not start: %v", last)
	return nil
}

func (s *Server) start() error {
	argv := []string{
		"--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1", "--dir", s.Dir,
		"--save", "", "--appendonly", "no", "--protected-mode", "no",
		"--daemonize", "no", "--logfile", "redis.log",
	}
	argv = append(argv, s.args...)
	cmd := exec.Command("redis-server", argv...)
	cmd.Dir = s.Dir
	cmd.SysProcAttr = procAttr() // never outlive the test binary
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("exited: %v; log: %s", cmd.ProcessState, s.logTail())
		default:
		}
		if ping(s.Addr()) == nil {
			s.mu.Lock()
			s.cmd, s.done = cmd, done
			s.mu.Unlock()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	<-done
	return fmt.Errorf("no PING reply within %v; log: %s", startTimeout, s.logTail())
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "redis.log"))
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// Kill kills the server with SIGKILL, as a crash would, and waits for it.
func (s *Server) Kill() { s.signal(syscall.SIGKILL) }

// Stop stops the server with SIGTERM (SIGKILL after 5s) and waits for it.
// Stopping a stopped server does nothing.
func (s *Server) Stop() { s.signal(syscall.SIGTERM) }

func (s *Server) signal(sig syscall.Signal) {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd, s.done = nil, nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	if sigCont != 0 {
		_ = cmd.Process.Signal(sigCont) // a paused server cannot act on SIGTERM
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// Restart starts the server again on its port and directory, with its
// arguments: what it persisted (AOF, RDB, nodes.conf) it reads back.
func (s *Server) Restart() {
	s.t.Helper()
	var err error
	for range 50 { // the port may linger briefly after a kill
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("redis-server restart on port %d: %v", s.Port, err)
}

// Do runs redis-cli against the server and returns its output.
func (s *Server) Do(args ...string) (string, error) {
	return cli(append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(s.Port)}, args...)...)
}

func cli(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "redis-cli", args...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// ping sends PING over a raw connection and expects +PONG (or an auth
// error: the server is up).
func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.HasPrefix(line, "+PONG") || strings.HasPrefix(line, "-NOAUTH") {
		return nil
	}
	return fmt.Errorf("PING: %q", line)
}

// freePort returns a port free on loopback (and, for a cluster node, with its
// bus port, port+10000, free too).
func freePort(t testing.TB, bus bool) int {
	t.Helper()
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		if !bus {
			return port
		}
		if port+10000 > 65535 {
			continue
		}
		l2, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+10000))
		if err != nil {
			continue
		}
		_ = l2.Close()
		return port
	}
	t.Fatal("no free port pair for a cluster node")
	return 0
}

// Cluster is a Redis Cluster of masters without replicas.
type Cluster struct {
	Nodes []*Server
}

// Addrs are the nodes' addresses.
func (c *Cluster) Addrs() []string {
	out := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		out[i] = n.Addr()
	}
	return out
}

// StartCluster starts masters redis-server processes in cluster mode, joins
// them with redis-cli --cluster create (slots split evenly, no replicas) and
// waits until every node reports cluster_state:ok. args are added to every
// node's command line.
func StartCluster(t testing.TB, masters int, args ...string) *Cluster {
	t.Helper()
	Require(t)
	c := &Cluster{}
	for range masters {
		var s *Server
		var last error
		for range 5 {
			s = &Server{t: t, Port: freePort(t, true), Dir: t.TempDir(), args: append([]string{
				"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
				"--cluster-node-timeout", "2000", "--cluster-require-full-coverage", "yes",
			}, args...)}
			if last = s.start(); last == nil {
				break
			}
			s = nil
		}
		if s == nil {
			t.Fatalf("cluster node did not start: %v", last)
		}
		t.Cleanup(s.Stop)
		c.Nodes = append(c.Nodes, s)
	}
	out, err := cli(append(append([]string{"--cluster", "create"}, c.Addrs()...), "--cluster-replicas", "0", "--cluster-yes")...)
	if err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	c.WaitOK(t)
	return c
}

// WaitOK waits until every running node reports cluster_state:ok and agrees
// on the slots.
func (c *Cluster) WaitOK(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok := true
		for _, n := range c.Nodes {
			info, err := n.Do("CLUSTER", "INFO")
			if err != nil || !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_slots_ok:16384") {
				ok = false
				break
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			info, _ := c.Nodes[0].Do("CLUSTER", "INFO")
			t.Fatalf("cluster not ok after 30s:\n%s", info)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Pause stops the server with SIGSTOP: it keeps its connections open and
// answers nothing, like a hung machine, until Resume.
// Where there is no SIGSTOP, it skips the test.
func (s *Server) Pause() {
	if sigStop == 0 {
		s.t.Skip("no SIGSTOP on this system")
	}
	s.sig(sigStop)
}

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume() {
	if sigCont != 0 {
		s.sig(sigCont)
	}
}

func (s *Server) sig(sig syscall.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		_ = s.cmd.Process.Signal(sig)
	}
}
