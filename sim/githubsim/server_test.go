package githubsim

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// get sends a GET with a token and returns status, headers and body.
func get(t *testing.T, url string, header map[string]string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer tok")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", url, err)
	}
	return resp.StatusCode, resp.Header, body
}

type runList struct {
	TotalCount   int `json:"total_count"`
	WorkflowRuns []struct {
		ID         int64   `json:"id"`
		Status     string  `json:"status"`
		Conclusion *string `json:"conclusion"`
		RunAttempt int     `json:"run_attempt"`
	} `json:"workflow_runs"`
}

func listIDs(t *testing.T, body []byte) []int64 {
	t.Helper()
	var l runList
	if err := json.Unmarshal(body, &l); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	ids := []int64{}
	for _, r := range l.WorkflowRuns {
		ids = append(ids, r.ID)
	}
	return ids
}

func TestListRuns_Filters(t *testing.T) {
	s := New(t)
	base := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	s.AddRun("acme/web", Run{ID: 1, Conclusion: "failure", CreatedAt: base})
	s.AddRun("acme/web", Run{ID: 2, Conclusion: "success", CreatedAt: base.Add(time.Hour)})
	s.AddRun("acme/web", Run{ID: 3, Status: "in_progress", CreatedAt: base.Add(2 * time.Hour), HeadBranch: "dev"})
	s.AddRun("acme/web", Run{ID: 4, Conclusion: "failure", CreatedAt: base.Add(-48 * time.Hour)})
	tests := []struct {
		name  string
		query string
		want  []int64
	}{
		{name: "all newest first", query: "", want: []int64{3, 2, 1, 4}},
		{name: "conclusion", query: "status=failure", want: []int64{1, 4}},
		{name: "status", query: "status=in_progress", want: []int64{3}},
		{name: "created since", query: "status=failure&created=%3E%3D2024-05-01T00:00:00Z", want: []int64{1}},
		{name: "created range", query: "created=2024-04-29..2024-05-01T12:00:00Z", want: []int64{1, 4}},
		{name: "created day", query: "created=2024-05-01", want: []int64{3, 2, 1}},
		{name: "branch", query: "branch=dev", want: []int64{3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, body := get(t, s.URL+"/api/v3/repos/acme/web/actions/runs?"+tt.query, nil)
			if code != http.StatusOK {
				t.Fatalf("status %d: %s", code, body)
			}
			if diff := cmp.Diff(tt.want, listIDs(t, body)); diff != "" {
				t.Errorf("IDs (-want +got):\n%s", diff)
			}
		})
	}
	if code, _, _ := get(t, s.URL+"/api/v3/repos/acme/web/actions/runs?created=yesterday", nil); code != http.StatusUnprocessableEntity {
		t.Errorf("bad created filter: status %d, want 422", code)
	}
}

func TestListRuns_PaginationAndETag(t *testing.T) {
	s := New(t)
	for i := range 5 {
		s.AddRun("acme/web", Run{ID: int64(i + 1), Conclusion: "failure", CreatedAt: time.Unix(int64(1e9+i), 0)})
	}
	url := s.URL + "/api/v3/repos/acme/web/actions/runs?per_page=2&page=2"
	code, h, body := get(t, url, nil)
	if code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	if diff := cmp.Diff([]int64{3, 2}, listIDs(t, body)); diff != "" {
		t.Errorf("page 2 (-want +got):\n%s", diff)
	}
	link := h.Get("Link")
	for _, rel := range []string{`page=3&per_page=2>; rel="next"`, `page=1&per_page=2>; rel="prev"`, `rel="last"`, `rel="first"`} {
		if !strings.Contains(link, rel) {
			t.Errorf("Link %q lacks %q", link, rel)
		}
	}
	remaining := s.Remaining()
	code, h2, body := get(t, url, map[string]string{"If-None-Match": h.Get("ETag")})
	if code != http.StatusNotModified || len(body) != 0 {
		t.Errorf("conditional GET: status %d with %d bytes, want an empty 304", code, len(body))
	}
	if s.Remaining() != remaining || h2.Get("X-RateLimit-Remaining") != strconv.Itoa(remaining) {
		t.Errorf("304 consumed the rate limit: %d → %d", remaining, s.Remaining())
	}
	s.AddRun("acme/web", Run{ID: 3, Conclusion: "failure", Attempt: 2, CreatedAt: time.Unix(1e9+2, 0)})
	if code, _, _ := get(t, url, map[string]string{"If-None-Match": h.Get("ETag")}); code != http.StatusOK {
		t.Errorf("after a change: status %d, want 200", code)
	}
}

func TestRateLimit_Exhaustion(t *testing.T) {
	s := New(t)
	s.AddRepo("acme/web")
	now := time.Now()
	s.SetClock(func() time.Time { return now })
	s.SetRateLimitReset(now.Add(time.Minute))
	s.RateLimitRemaining(1)
	if code, h, _ := get(t, s.URL+"/api/v3/repos/acme/web", nil); code != 200 || h.Get("X-RateLimit-Remaining") != "0" {
		t.Fatalf("last request: status %d remaining %q, want 200 and 0", code, h.Get("X-RateLimit-Remaining"))
	}
	code, h, _ := get(t, s.URL+"/api/v3/repos/acme/web", nil)
	if code != http.StatusForbidden || h.Get("X-RateLimit-Reset") != strconv.FormatInt(now.Add(time.Minute).Unix(), 10) {
		t.Errorf("exhausted: status %d reset %q, want 403 with the reset", code, h.Get("X-RateLimit-Reset"))
	}
	if code, _, body := get(t, s.URL+"/api/v3/rate_limit", nil); code != 200 || !strings.Contains(string(body), `"remaining":0`) {
		t.Errorf("rate_limit: status %d body %s", code, body)
	}
	now = now.Add(2 * time.Minute)
	if code, _, _ := get(t, s.URL+"/api/v3/repos/acme/web", nil); code != 200 {
		t.Errorf("after reset: status %d, want 200", code)
	}
}

func TestJobLogs_RedirectAndBlob(t *testing.T) {
	s := New(t)
	s.AddRun("acme/web", Run{ID: 1, Conclusion: "failure", Jobs: []Job{{ID: 11, Log: "boom\n"}}})
	code, h, _ := get(t, s.URL+"/api/v3/repos/acme/web/actions/jobs/11/logs", nil)
	loc := h.Get("Location")
	if code != http.StatusFound || !strings.Contains(loc, "/_blobs/job-logs/11?") {
		t.Fatalf("logs: status %d Location %q, want a 302 to the blob", code, loc)
	}
	resp, err := http.Get(loc)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "boom\n" {
		t.Errorf("blob: status %d body %q", resp.StatusCode, body)
	}
	if code, _, _ := get(t, loc+"x", nil); code != http.StatusBadRequest {
		// get sends a token: the blob refuses it (and records it).
		t.Errorf("blob with a token: status %d, want 400", code)
	}
	if got := s.Unexpected(); len(got) != 1 || !strings.Contains(got[0], "Authorization") {
		t.Errorf("Unexpected = %q, want the leaked token recorded", got)
	}
	s.mu.Lock()
	s.unexpected = nil // recorded on purpose above
	s.mu.Unlock()
	if resp, err := http.Get(strings.Replace(loc, "sig=", "sig=0", 1)); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("bad signature: %v %v, want 403", resp.StatusCode, err)
	}
}

func TestFaults(t *testing.T) {
	s := New(t)
	s.AddRun("acme/web", Run{ID: 1, Conclusion: "failure", Jobs: []Job{{ID: 11, Log: strings.Repeat("x", 1000)}}})
	f := ServerError(502).WithCount(2)
	f.Skip = 1
	s.FailNext(RouteGetRun, f)
	for i, want := range []int{200, 502, 502, 200} {
		if code, _, _ := get(t, s.URL+"/api/v3/repos/acme/web/actions/runs/1", nil); code != want {
			t.Errorf("request %d: status %d, want %d", i+1, code, want)
		}
	}
	s.FailNext("*", Fault{Disconnect: true})
	// A fresh connection: net/http silently repeats a GET that failed on
	// a reused one.
	fresh := &http.Client{Transport: &http.Transport{}}
	if _, err := fresh.Get(s.URL + "/api/v3/rate_limit"); err == nil {
		t.Error("disconnect fault answered")
	}
	_, h, _ := get(t, s.URL+"/api/v3/repos/acme/web/actions/jobs/11/logs", nil)
	s.FailNext(RouteLogBlob, Fault{BreakAfterBytes: 100})
	resp, err := http.Get(h.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err == nil || n != 100 {
		t.Errorf("broken download read %d bytes, err %v; want 100 and an error", n, err)
	}
}

func TestUnknownRouteRecorded(t *testing.T) {
	s := NewServer()
	defer s.Close()
	if code, _, _ := get(t, s.URL+"/api/v3/repos/acme/web/issues", nil); code != http.StatusNotFound {
		t.Errorf("status %d, want 404", code)
	}
	if got := s.Unexpected(); len(got) != 1 || !strings.Contains(got[0], "unexpected route GET /api/v3/repos/acme/web/issues") {
		t.Errorf("Unexpected = %q", got)
	}
}

func TestRequireToken(t *testing.T) {
	s := New(t)
	s.AddRepo("acme/web")
	s.RequireToken("other")
	code, _, body := get(t, s.URL+"/api/v3/repos/acme/web", nil)
	if code != http.StatusUnauthorized || !strings.Contains(string(body), "Bad credentials") {
		t.Errorf("status %d body %s, want 401 Bad credentials", code, body)
	}
}
