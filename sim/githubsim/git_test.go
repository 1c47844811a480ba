package githubsim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// call sends a JSON request and decodes the JSON answer into out (when
// not nil), returning the status.
func call(t *testing.T, method, url string, body any, out any) int {
	t.Helper()
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, url, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

func TestWrites_AppliedAndAnswered(t *testing.T) {
	s := New(t)
	s.AddRun("acme/web", Run{ID: 1, Conclusion: "failure", Jobs: []Job{{Name: "test"}}})
	api := s.URL + "/api/v3/repos/acme/web/actions/runs/1"
	s.FailNext(RouteRerun, Fault{Status: 500})
	if code := call(t, "POST", api+"/rerun", nil, nil); code != 500 {
		t.Fatalf("faulted re-run: %d", code)
	}
	s.FailNext(RouteRerun, Fault{Apply: true, Status: 502})
	if code := call(t, "POST", api+"/rerun", nil, nil); code != 502 {
		t.Fatalf("applied-then-502 re-run: %d", code)
	}
	if code := call(t, "POST", api+"/rerun", nil, nil); code != 403 {
		t.Fatalf("re-run while the applied one runs: %d, want 403", code)
	}
	call(t, "GET", api, nil, nil)
	var got []string
	for _, w := range s.Writes() {
		got = append(got, w.Method+" "+http.StatusText(w.Status)+" "+map[bool]string{true: "applied", false: "not applied"}[w.Applied])
	}
	want := []string{"POST Internal Server Error not applied", "POST Bad Gateway applied", "POST Forbidden not applied"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	if r, _ := s.LatestRun("acme/web", 1); r.Attempt != 2 {
		t.Errorf("attempt %d, want 2: exactly one re-run took effect", r.Attempt)
	}
}

func TestGitAndPulls(t *testing.T) {
	s := New(t)
	run := s.AddRun("acme/web", Run{ID: 1, Conclusion: "failure"})
	api := s.URL + "/api/v3/repos/acme/web"

	var tree struct{ SHA string }
	if code := call(t, "POST", api+"/git/trees", map[string]any{"tree": []map[string]any{{"path": "../x", "mode": "100644", "type": "blob", "content": "x"}}}, nil); code != 422 {
		t.Errorf("tree with ..: %d, want 422", code)
	}
	call(t, "POST", api+"/git/trees", map[string]any{"base_tree": emptyTree,
		"tree": []map[string]any{{"path": "src/a.go", "mode": "100644", "type": "blob", "content": "package a\n"}}}, &tree)
	var commit struct{ SHA string }
	if code := call(t, "POST", api+"/git/commits", map[string]any{"message": "fix", "tree": tree.SHA, "parents": []string{run.HeadSHA}}, &commit); code != 201 {
		t.Fatalf("create commit: %d", code)
	}
	ref := map[string]string{"ref": "refs/heads/ccm/fix/a", "sha": commit.SHA}
	if code := call(t, "POST", api+"/git/refs", ref, nil); code != 201 {
		t.Fatalf("create ref: %d", code)
	}
	var e struct{ Message string }
	if code := call(t, "POST", api+"/git/refs", ref, &e); code != 422 || e.Message != "Reference already exists" {
		t.Errorf("second create: %d %q", code, e.Message)
	}
	var branch struct{ Commit struct{ SHA string } }
	if code := call(t, "GET", api+"/branches/"+url.PathEscape("ccm/fix/a"), nil, &branch); code != 200 || branch.Commit.SHA != commit.SHA {
		t.Errorf("GET escaped branch: %d %+v", code, branch)
	}
	if got, ok := s.FileAt("acme/web", "ccm/fix/a", "src/a.go"); !ok || got != "package a\n" {
		t.Errorf("file on the branch: %q %v", got, ok)
	}
	if code := call(t, "PATCH", api+"/git/refs/heads/ccm/fix/a", map[string]any{"sha": run.HeadSHA}, nil); code != 422 {
		t.Errorf("non-fast-forward update without force: %d, want 422", code)
	}

	pr := map[string]string{"title": "Fix", "head": "ccm/fix/a", "base": "main"}
	if code := call(t, "POST", api+"/pulls", pr, nil); code != 201 {
		t.Fatalf("create pull: %d", code)
	}
	var v struct {
		Errors []struct{ Message string }
	}
	if code := call(t, "POST", api+"/pulls", pr, &v); code != 422 || len(v.Errors) != 1 || v.Errors[0].Message != "A pull request already exists for acme:ccm/fix/a." {
		t.Errorf("second pull: %d %+v", code, v)
	}
	var list []struct{ Number int }
	call(t, "GET", api+"/pulls?head=acme:ccm/fix/a&state=open", nil, &list)
	if len(list) != 1 || list[0].Number != 1 {
		t.Errorf("list by head: %+v", list)
	}
	if code := call(t, "DELETE", api+"/git/refs/heads/ccm/fix/a", nil, nil); code != 204 {
		t.Errorf("delete ref: %d", code)
	}
	if p := s.Pulls("acme/web"); len(p) != 1 || p[0].State != "closed" {
		t.Errorf("PR after its branch was deleted: %+v, want closed", p)
	}
	if code := call(t, "DELETE", api+"/git/refs/heads/ccm/fix/a", nil, &e); code != 422 || e.Message != "Reference does not exist" {
		t.Errorf("delete again: %d %q", code, e.Message)
	}
}
