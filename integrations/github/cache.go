package github

import (
	"bytes"
	"container/list"
	"io"
	"net/http"
	"strings"
	"sync"
)

// Bounds of the ETag cache. Polling lists the same few URLs every cycle,
// so a few hundred entries cover many repositories; the byte bound keeps
// a burst of large answers from holding memory.
const (
	cacheEntries  = 512
	cacheBodyMax  = 1 << 20
	cacheBytesMax = 32 << 20
)

// cacheTransport makes GET requests conditional. GitHub answers an
// unchanged resource with 304, which does not count against the rate
// limit; the cached body is then served as a 200 marked X-From-Cache (the
// header go-github already knows not to take rate-limit numbers from).
// Log downloads are never cached.
type cacheTransport struct {
	next  http.RoundTripper
	cache *etagCache
}

func (t *cacheTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet || req.Header.Get("Range") != "" || strings.HasSuffix(req.URL.Path, "/logs") {
		return t.next.RoundTrip(req)
	}
	// The key ignores credentials: a Client has one token, and the URL
	// names the resource.
	key := req.URL.String()
	e, hit := t.cache.get(key)
	r := req
	if hit {
		r = req.Clone(req.Context())
		r.Header.Set("If-None-Match", e.etag)
	}
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	if hit && resp.StatusCode == http.StatusNotModified {
		return e.serve(req, resp), nil
	}
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != http.StatusOK || etag == "" {
		return resp, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, cacheBodyMax+1))
	if err != nil {
		_ = resp.Body.Close()
		return nil, err
	}
	if len(body) > cacheBodyMax {
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
		return resp, nil
	}
	_ = resp.Body.Close()
	t.cache.put(&cacheEntry{key: key, etag: etag, header: resp.Header.Clone(), body: body})
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

type cacheEntry struct {
	key, etag string
	header    http.Header
	body      []byte
}

// serve turns a 304 into the cached 200, keeping the 304's fresh
// rate-limit headers.
func (e *cacheEntry) serve(req *http.Request, notModified *http.Response) *http.Response {
	drain(notModified)
	h := e.header.Clone()
	for k, v := range notModified.Header {
		if strings.HasPrefix(k, "X-Ratelimit-") {
			h[k] = v
		}
	}
	h.Set("X-From-Cache", "1")
	return &http.Response{
		Status: "200 OK", StatusCode: http.StatusOK,
		Proto: notModified.Proto, ProtoMajor: notModified.ProtoMajor, ProtoMinor: notModified.ProtoMinor,
		Header: h, Body: io.NopCloser(bytes.NewReader(e.body)), ContentLength: int64(len(e.body)),
		Request: req,
	}
}

// etagCache is a small LRU bounded by entries and bytes.
type etagCache struct {
	mu    sync.Mutex
	ll    *list.List
	byKey map[string]*list.Element
	bytes int
}

func newETagCache() *etagCache {
	return &etagCache{ll: list.New(), byKey: map[string]*list.Element{}}
}

func (c *etagCache) get(key string) (*cacheEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[key]
	if !ok {
		return nil, false
	}
	c.ll.MoveToFront(el)
	return el.Value.(*cacheEntry), true
}

func (c *etagCache) put(e *cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[e.key]; ok {
		c.removeLocked(el)
	}
	c.byKey[e.key] = c.ll.PushFront(e)
	c.bytes += len(e.body)
	for c.ll.Len() > cacheEntries || c.bytes > cacheBytesMax {
		c.removeLocked(c.ll.Back())
	}
}

func (c *etagCache) removeLocked(el *list.Element) {
	e := c.ll.Remove(el).(*cacheEntry)
	delete(c.byKey, e.key)
	c.bytes -= len(e.body)
}

func (c *etagCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}
