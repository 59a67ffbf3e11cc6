// Command gendocs writes docs/rules.md from the rule catalogue; with -check
// it fails when the file is stale instead.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"

	"github.com/kharden/kharden/pkg/checks"
)

func main() {
	check := flag.Bool("check", false, "fail when docs/rules.md is stale instead of writing it")
	flag.Parse()
	const path = "docs/rules.md"
	want := checks.MarkdownDoc(checks.Catalogue())
	if *check {
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, want) {
			fmt.Fprintln(os.Stderr, path+" is stale: run `make docs`")
			os.Exit(1)
		}
		return
	}
	if err := os.WriteFile(path, want, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
