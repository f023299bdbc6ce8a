// Command redline is the Redline DevSecOps scanner: one binary that carries
// security through a product's whole life. See `redline --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/redline-sec/redline/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Execute(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
