package benchdata

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNames(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{ClusterID(0), "cluster-00000"},
		{ClusterID(9999), "cluster-09999"},
		{BackendID(42, 2), "cluster-00042-2"},
		{BackendAddr(0, 0), "10.0.0.0:8080"},
		{BackendAddr(0, 2), "10.0.0.2:8080"},
		{BackendAddr(85, 1), "10.0.1.0:8080"},            // 85*3+1 = 256
		{BackendAddr(21845, 1), "10.1.0.0:8080"},         // 21845*3+1 = 65536
		{BackendAddr(Clusters-1, 2), "10.0.117.47:8080"}, // 29999
		{Hostname(7), "app-00007.example.com"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestBackendAddrsDistinct(t *testing.T) {
	seen := make(map[string]bool, Clusters*backendsPerCluster)
	for i := 0; i < Clusters; i++ {
		for k := 0; k < backendsPerCluster; k++ {
			a := BackendAddr(i, k)
			if seen[a] {
				t.Fatalf("address %s given twice (cluster %d, backend %d)", a, i, k)
			}
			seen[a] = true
		}
	}
}

func TestWriteLiteral(t *testing.T) {
	tests := []struct {
		n         int
		files     []string
		lastFirst string // first cluster of the last file, "" for none
	}{
		{0, []string{"listeners.hcl"}, ""},
		{1, []string{"listeners.hcl", "clusters-00.hcl"}, "cluster-00000"},
		{1000, []string{"listeners.hcl", "clusters-00.hcl"}, "cluster-00000"},
		{1001, []string{"listeners.hcl", "clusters-00.hcl", "clusters-01.hcl"}, "cluster-01000"},
		{2500, []string{"listeners.hcl", "clusters-00.hcl", "clusters-01.hcl", "clusters-02.hcl"}, "cluster-02000"},
	}
	for _, tt := range tests {
		dir := filepath.Join(t.TempDir(), "literal")
		files, err := WriteLiteral(dir, tt.n)
		if err != nil {
			t.Fatalf("WriteLiteral(%d): %v", tt.n, err)
		}
		if len(files) != len(tt.files) {
			t.Fatalf("WriteLiteral(%d) wrote %v, want %v", tt.n, files, tt.files)
		}
		var blocks int
		for k, f := range files {
			if filepath.Base(f) != tt.files[k] {
				t.Errorf("file %d is %s, want %s", k, filepath.Base(f), tt.files[k])
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			blocks += strings.Count(string(b), "\ncluster \"") + boolInt(strings.HasPrefix(string(b), "cluster \""))
			if k == len(files)-1 && tt.lastFirst != "" && !strings.HasPrefix(string(b), "cluster \""+tt.lastFirst+"\" {\n") {
				t.Errorf("%s starts %.40q, want cluster %s", f, b, tt.lastFirst)
			}
		}
		if blocks != tt.n {
			t.Errorf("WriteLiteral(%d) wrote %d cluster blocks", tt.n, blocks)
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestWriteLiteralCluster(t *testing.T) {
	files, err := WriteLiteral(t.TempDir(), 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(files[1])
	if err != nil {
		t.Fatal(err)
	}
	want := `cluster "cluster-00000" {

  backend "cluster-00000-0" {
    address = "10.0.0.0:8080"
  }

  backend "cluster-00000-1" {
    address = "10.0.0.1:8080"
  }

  backend "cluster-00000-2" {
    address = "10.0.0.2:8080"
  }

  http_frontend {
    listener    = listener.http.public
    hostname    = "app-00000.example.com"
    path_prefix = "/"
  }

  http_frontend {
    listener    = listener.http.public
    hostname    = "app-00000.example.com"
    path_prefix = "/api"
  }
}
`
	if string(b) != want {
		t.Errorf("cluster block:\n%s\nwant:\n%s", b, want)
	}
}

func TestWriteDynamic(t *testing.T) {
	files, err := WriteDynamic(t.TempDir(), 25)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || filepath.Base(files[0]) != "main.hcl" || filepath.Base(files[1]) != "services.json" {
		t.Fatalf("WriteDynamic wrote %v", files)
	}
	hcl, err := os.ReadFile(files[0])
	if err != nil || string(hcl) != DynamicHCL {
		t.Fatalf("main.hcl = %q, %v", hcl, err)
	}
	data, err := os.ReadFile(files[1])
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]Service
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 25 {
		t.Fatalf("services.json has %d clusters, want 25", len(got))
	}
	s := got[ClusterID(24)]
	if s.Hostname != Hostname(24) || len(s.Paths) != 2 || s.Backends[BackendID(24, 1)] != BackendAddr(24, 1) || len(s.Backends) != 3 {
		t.Errorf("cluster 24 = %+v", s)
	}
}

func TestWriteErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteLiteral(filepath.Join(file, "sub"), 3); err == nil {
		t.Error("WriteLiteral under a regular file succeeded")
	}
	if _, err := WriteDynamic(filepath.Join(file, "sub"), 3); err == nil {
		t.Error("WriteDynamic under a regular file succeeded")
	}
	if s := Services(-1); len(s) != 0 {
		t.Errorf("Services(-1) = %v", s)
	}
}

func BenchmarkWriteLiteral(b *testing.B) {
	dir := b.TempDir()
	for b.Loop() {
		if _, err := WriteLiteral(dir, 1000); err != nil {
			b.Fatal(err)
		}
	}
}
