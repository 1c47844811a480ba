package github

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ccm-ci/ccm/sim/githubsim"
)

func TestCommitFiles(t *testing.T) {
	c, s, _ := newTestClient(t, nil)
	run := s.AddRun("acme/web", githubsim.Run{Conclusion: "failure", ChangedFiles: []string{"src/app.ts", "package-lock.json"}})
	tests := []struct {
		name    string
		sha     string
		fault   *githubsim.Fault
		want    []string
		wantErr error
		status  int
	}{
		{name: "files of the head commit", sha: run.HeadSHA, want: []string{"src/app.ts", "package-lock.json"}},
		{name: "unknown commit", sha: "0000000000000000000000000000000000000000", status: http.StatusUnprocessableEntity},
		{name: "garbage answer", sha: run.HeadSHA, fault: &githubsim.Fault{Status: http.StatusOK, Body: `{"files": 3}`}, wantErr: ErrMalformedResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.fault != nil {
				s.FailNext(githubsim.RouteGetCommit, *tt.fault)
			}
			got, err := c.CommitFiles(context.Background(), "acme/web", tt.sha)
			if tt.status != 0 {
				var apiErr *APIError
				if !errors.As(err, &apiErr) || apiErr.Status != tt.status {
					t.Fatalf("err = %v, want an API error %d", err, tt.status)
				}
				return
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
		})
	}
}
