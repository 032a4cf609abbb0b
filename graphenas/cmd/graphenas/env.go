package main

import (
	"flag"
	"os"

	"github.com/graphenas/graphenas/graphenas/envreport"
)

// runEnv prints the environment report.
func runEnv(args []string) error {
	fs := flag.NewFlagSet("env", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print one JSON object instead of text")
	noStart := fs.Bool("no-start", false, "only look for plugins; do not start the chosen back-end")
	if err := fs.Parse(args); err != nil {
		return err
	}
	r := envreport.Collect(!*noStart)
	if *asJSON {
		return r.WriteJSON(os.Stdout)
	}
	return r.WriteText(os.Stdout)
}
