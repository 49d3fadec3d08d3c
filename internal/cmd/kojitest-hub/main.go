// Command kojitest-hub runs a koji/kojitest hub with simulated builds as a
// process of its own (package internal/kojihub), for trying several
// `modkit serve --builder koji` processes against one test hub by hand:
//
//	go run ./internal/cmd/kojitest-hub --build-time 2s --platform f40
//
// It prints "url <URL>" once the hub is ready and serves until interrupted.
// It is a development tool, not part of modkit's user-facing commands.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/modkit/modkit/internal/kojihub"
)

func main() {
	buildTime := flag.Duration("build-time", 0, "how long each simulated build task runs")
	platforms := flag.String("platform", "f40", "comma-separated platform streams to prepare tags for")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var plats []string
	for _, p := range strings.Split(*platforms, ",") {
		if p = strings.TrimSpace(p); p != "" {
			plats = append(plats, p)
		}
	}
	if err := kojihub.Serve(ctx, &kojihub.Options{BuildTime: *buildTime, Platforms: plats}, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "kojitest-hub:", err)
		os.Exit(1)
	}
}
