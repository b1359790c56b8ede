package datasets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fileServer serves fixed files and counts the requests for each.
type fileServer struct {
	files    map[string]string
	mu       sync.Mutex
	requests map[string]int
}

func (s *fileServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests[r.URL.Path]++
	s.mu.Unlock()
	body, ok := s.files[r.URL.Path]
	if !ok {
		http.Error(w, "boom", http.StatusInternalServerError)
		return
	}
	_, _ = w.Write([]byte(body))
}

func startFileServer(t *testing.T, files map[string]string) (*fileServer, string) {
	fs := &fileServer{files: files, requests: make(map[string]int)}
	server := httptest.NewServer(fs)
	t.Cleanup(server.Close)
	return fs, server.URL + "/data/"
}

func digestOf(content string) string {
	sum := sha256.Sum256([]byte(content))
	return hex.EncodeToString(sum[:])
}

func TestDownload(t *testing.T) {
	train, test := "\"1\",\"a\",\"b\"\n", "\"2\",\"c\",\"d\"\n"
	server, base := startFileServer(t, map[string]string{"/data/train.csv": train, "/data/test.csv": test})
	files := []RemoteFile{{Name: "train.csv", SHA256: digestOf(train)}, {Name: "test.csv", SHA256: digestOf(test)}}
	dir := filepath.Join(t.TempDir(), "ag_news")

	if err := Download(context.Background(), nil, base, dir, files); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"train.csv": train, "test.csv": test} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(got) != want {
			t.Errorf("%s: %q, %v", name, got, err)
		}
	}
	if err := Download(context.Background(), nil, strings.TrimSuffix(base, "/"), dir, files); err != nil {
		t.Fatal(err)
	}
	if server.requests["/data/train.csv"] != 1 || server.requests["/data/test.csv"] != 1 {
		t.Errorf("requests %v: files already present were fetched again", server.requests)
	}
	ds, err := Load(filepath.Join(dir, "train.csv"), LoadOptions{})
	if err != nil || len(ds.Examples) != 1 {
		t.Errorf("loading the download: %v", err)
	}
}

func TestDownloadBadChecksum(t *testing.T) {
	_, base := startFileServer(t, map[string]string{"/data/test.csv": "tampered"})
	dir := t.TempDir()
	err := Download(context.Background(), http.DefaultClient, base, dir, []RemoteFile{{Name: "test.csv", SHA256: digestOf("original")}})
	wantError(t, err, "test.csv: SHA-256 "+digestOf("tampered"), "want "+digestOf("original"), "nothing saved")
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a failed download left %d files", len(entries))
	}
}

func TestDownloadServerError(t *testing.T) {
	_, base := startFileServer(t, nil)
	dir := t.TempDir()
	err := Download(context.Background(), nil, base, dir, []RemoteFile{{Name: "test.csv", SHA256: digestOf("x")}})
	wantError(t, err, "data/test.csv: 500 Internal Server Error")
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a failed download left %d files", len(entries))
	}
}

func TestDownloadExistingFileDiffers(t *testing.T) {
	server, base := startFileServer(t, map[string]string{"/data/test.csv": "new"})
	dir := t.TempDir()
	path := writeFile(t, dir, "test.csv", "local edits")
	err := Download(context.Background(), nil, base, dir, []RemoteFile{{Name: "test.csv", SHA256: digestOf("new")}})
	wantError(t, err, "exists with SHA-256 "+digestOf("local edits"), "remove it to download it again")
	if got, _ := os.ReadFile(path); string(got) != "local edits" || server.requests["/data/test.csv"] != 0 {
		t.Errorf("existing file touched: %q, %d requests", got, server.requests["/data/test.csv"])
	}
}

func TestDownloadCancelled(t *testing.T) {
	_, base := startFileServer(t, map[string]string{"/data/test.csv": "x"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Download(ctx, nil, base, t.TempDir(), []RemoteFile{{Name: "test.csv", SHA256: digestOf("x")}})
	wantError(t, err, "context canceled")
}

func TestAGNewsFiles(t *testing.T) {
	files := AGNewsFiles()
	if len(files) != 2 || files[0].Name != "train.csv" || files[1].Name != "test.csv" {
		t.Fatalf("files %+v", files)
	}
	for _, f := range files {
		if b, err := hex.DecodeString(f.SHA256); err != nil || len(b) != sha256.Size {
			t.Errorf("%s: digest %q is not SHA-256 hex", f.Name, f.SHA256)
		}
	}
}
