package importer_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/sozuctl-plan/sozuctl-plan/importer"
)

// Import a config.toml into a directory of HCL.
func Example() {
	dir, err := os.MkdirTemp("", "import")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	toml := filepath.Join(dir, "sozu.toml")
	err = os.WriteFile(toml, []byte(`
[clusters.api]
protocol = "http"
frontends = [{ address = "0.0.0.0:80", hostname = "api.example.com" }]
backends = [{ address = "10.0.0.1:8080" }]
`), 0o644)
	if err != nil {
		fmt.Println(err)
		return
	}
	s, warnings, err := importer.FromTOML(toml)
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := importer.Render(s)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(len(warnings), " warnings\n", string(out.Files[0].Data))
	// Output:
	// 0 warnings
	// listener "http" "http_0_0_0_0_80" {
	//   address = "0.0.0.0:80"
	// }
	//
	// cluster "api" {
	//   backend "api-0-10.0.0.1:8080" {
	//     address = "10.0.0.1:8080"
	//   }
	//
	//   http_frontend {
	//     listener = listener.http.http_0_0_0_0_80
	//     hostname = "api.example.com"
	//     position = "PRE"
	//   }
	// }
}
