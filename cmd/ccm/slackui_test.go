package main

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/sim/slacksim"
)

func fetch(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, res.StatusCode, err)
	}
	return string(b)
}

func TestSlackUIServesTheSimulator(t *testing.T) {
	ui, err := startSlackUI("127.0.0.1:0", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer ui.Close()
	if !strings.HasPrefix(ui.URL, "http://127.0.0.1:") {
		t.Errorf("URL = %q", ui.URL)
	}
	if body := fetch(t, ui.URL); !strings.Contains(body, "Waiting for the simulated workspace to start") {
		t.Errorf("before the sandbox runs the page draws:\n%s", body)
	}
	sim := slacksim.New(t, slacksim.Config{Channels: []string{"#ci-alerts"}})
	if _, err := sim.PostUserMessage("#ci-alerts", slacksim.DefaultBotUserID, "CI failed: acme/api", ""); err != nil {
		t.Fatal(err)
	}
	ui.Show(sim)
	if body := fetch(t, ui.URL); !strings.Contains(body, "CI failed: acme/api") || !strings.Contains(body, "# ci-alerts") {
		t.Errorf("once shown the simulator, the page draws:\n%s", body)
	}
}

func TestSlackUIPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ui, err := startSlackUI(ln.Addr().String(), slog.New(slog.DiscardHandler))
	if err == nil {
		ui.Close()
		t.Fatal("a taken port was accepted")
	}
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 2 {
		t.Errorf("err = %v, want exit code 2", err)
	}
	for _, want := range []string{"--slack-ui " + ln.Addr().String(), "address already in use", "127.0.0.1:0"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestSlackUIBarePortIsLoopback(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if err := ln.Close(); err != nil { // free it for the UI
		t.Fatal(err)
	}
	ui, err := startSlackUI(port, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer ui.Close()
	if want := "http://127.0.0.1:" + port + "/"; ui.URL != want {
		t.Errorf("URL = %q, want %q", ui.URL, want)
	}
}
