package sandbox

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"
)

// fakeServeEnv makes the test binary a fake `ccm serve`: it answers
// /readyz and /metrics on --http-addr, never reads its config file, and
// behaves as its mode says.
const fakeServeEnv = "CCM_SANDBOX_FAKE_SERVE"

// Modes of the fake serve.
const (
	fakeClean  = "clean"       // exits 0 on SIGTERM
	fakeExit3  = "exit3"       // exits 3 on SIGTERM
	fakeStuck  = "ignore-term" // ignores SIGTERM
	fakeDies   = "dies"        // exits 0 by itself after 300 ms
	fakeHUPped = "hup"         // applies its config only on SIGHUP
	fakeFading = "fading"      // on SIGUSR1 stops answering, exits 1 after 500 ms
)

func fakeServe(mode string, args []string) int {
	addr := ""
	for i, a := range args {
		if a == "--http-addr" && i+1 < len(args) {
			addr = args[i+1]
		}
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake serve:", err)
		return 1
	}
	var applied atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/readyz", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "# TYPE ccm_config_reloads_total counter\nccm_config_reloads_total{outcome=\"applied\"} %d\nccm_config_reloads_total{outcome=\"rejected\"} 0\n", applied.Load())
	})
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(l) }()
	fmt.Fprintln(os.Stderr, `{"msg":"analysis: the fake's rules"}`)
	sig := make(chan os.Signal, 4)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGUSR1)
	var dies <-chan time.Time
	if mode == fakeDies {
		dies = time.After(300 * time.Millisecond)
	}
	for {
		select {
		case <-dies:
			return 0
		case s := <-sig:
			switch {
			case s == syscall.SIGUSR1 && mode == fakeFading:
				_ = srv.Close()
				dies = time.After(500 * time.Millisecond)
			case s == syscall.SIGHUP && mode == fakeHUPped:
				applied.Add(1)
			case s == syscall.SIGTERM && mode == fakeExit3:
				return 3
			case s == syscall.SIGTERM && mode != fakeStuck:
				return 0
			}
		}
	}
}
