// Command gomodpath answers, for each JSON string on stdin, whether the go toolchain's own
// module-path rules (golang.org/x/mod/module.CheckPath) accept it: "ok" or the error, one line
// each. The test suite compares scaffold's validator with it.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"

	"golang.org/x/mod/module"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := bufio.NewWriter(os.Stdout)
	for in.Scan() {
		var path string
		if err := json.Unmarshal(in.Bytes(), &path); err != nil {
			fmt.Fprintf(out, "bad input: %v\n", err)
		} else if err := module.CheckPath(path); err != nil {
			fmt.Fprintf(out, "%q\n", err.Error())
		} else {
			fmt.Fprintln(out, "ok")
		}
		out.Flush()
	}
}
