// Command composecheck loads a Compose file the way `docker compose config` does, with the
// compose-spec reference library docker compose itself is built on: the Compose specification's
// JSON schema, interpolation, normalization and the consistency checks (every network, volume,
// config and secret a service names is declared). It prints the normalized project as JSON on
// stdout and exits 0, or prints the loader's error on stderr and exits 1.
//
// Interpolation sees no environment at all (neither the caller's nor a .env file), so the same
// file gives the same result on every machine: a ${VAR} the file relies on is reported unset.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: composecheck COMPOSE_FILE")
		os.Exit(2)
	}
	out, err := load(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(string(out))
}

func load(file string) ([]byte, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, err
	}
	options, err := cli.NewProjectOptions(
		[]string{abs},
		cli.WithWorkingDirectory(filepath.Dir(abs)),
		cli.WithInterpolation(true),
		cli.WithNormalization(true),
		cli.WithConsistency(true),
		cli.WithResolvedPaths(false),
	)
	if err != nil {
		return nil, err
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		return nil, err
	}
	return project.MarshalJSON()
}
