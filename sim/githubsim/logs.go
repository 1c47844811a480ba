package githubsim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// blobTTL is how long a log download URL stays valid; GitHub's last about
// a minute.
const blobTTL = time.Minute

// SetLog sets the text a job's log download serves.
func (s *Server) SetLog(repo string, jobID int64, log string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logs[jobID] = stringLog(log)
}

// SetLogFunc makes a job's log download stream size bytes from open(),
// called once per download, so a test can serve a huge log without holding
// it in memory.
func (s *Server) SetLogFunc(repo string, jobID int64, size int64, open func() io.Reader) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logs[jobID] = logSource{size: size, open: open}
}

func stringLog(l string) logSource {
	return logSource{size: int64(len(l)), open: func() io.Reader { return strings.NewReader(l) }}
}

// handleJobLogs answers like GitHub: 302 to a short-lived signed URL on
// blob storage.
func (s *Server) handleJobLogs(w http.ResponseWriter, r *http.Request) {
	_, _, job, ok := s.findJob(r)
	s.mu.Lock()
	_, hasLog := s.logs[job.ID]
	s.mu.Unlock()
	if !ok || !hasLog {
		s.notFound(w, r)
		return
	}
	exp := strconv.FormatInt(s.clock().Add(blobTTL).Unix(), 10)
	id := itoa(job.ID)
	loc := s.URL + "/_blobs/job-logs/" + id + "?se=" + exp + "&sp=r&sig=" + s.sign(id, exp)
	s.rateHeaders(w, true)
	w.Header().Set("Location", loc)
	w.WriteHeader(http.StatusFound)
}

func (s *Server) sign(id, exp string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(id + "|" + exp))
	return hex.EncodeToString(m.Sum(nil))
}

// handleBlob serves a log from "blob storage". The URL is its own
// credential; a request carrying the GitHub token is refused and reported
// as unexpected, because sending it there would leak it.
func (s *Server) handleBlob(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "" {
		s.addUnexpected("log download " + r.URL.Path + " carried an Authorization header")
		blobError(w, http.StatusBadRequest, "InvalidAuthenticationInfo")
		return
	}
	id, q := r.PathValue("job_id"), r.URL.Query()
	exp, err := strconv.ParseInt(q.Get("se"), 10, 64)
	if err != nil || !hmac.Equal([]byte(q.Get("sig")), []byte(s.sign(id, q.Get("se")))) {
		blobError(w, http.StatusForbidden, "AuthenticationFailed")
		return
	}
	if s.clock().After(time.Unix(exp, 0)) {
		blobError(w, http.StatusForbidden, "AuthenticationFailed")
		return
	}
	jobID, _ := strconv.ParseInt(id, 10, 64)
	s.mu.Lock()
	src, ok := s.logs[jobID]
	s.mu.Unlock()
	if !ok {
		blobError(w, http.StatusNotFound, "BlobNotFound")
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", strconv.FormatInt(src.size, 10))
	w.WriteHeader(http.StatusOK)
	_, _ = io.Copy(w, io.LimitReader(src.open(), src.size))
}

func blobError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, `<?xml version="1.0" encoding="utf-8"?><Error><Code>`+code+`</Code></Error>`)
}
