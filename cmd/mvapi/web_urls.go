package main

import (
	"fmt"
	"io"
	"net/url"

	"mvapi/engine"
)

// printWebURLs prints the portal and console addresses (serve --demo, so
// make run).
func printWebURLs(w io.Writer, cfg *engine.Config, base string) {
	if cfg.Int("webportal") != 0 {
		portal := base + "/webvoip/"
		if cfg.Int("webportalkey") == 0 && cfg.APIKey != "" {
			// The key travels in the fragment: the page reads it, the
			// server never sees it in a URL.
			portal += "#authkey=" + url.QueryEscape(cfg.APIKey)
		}
		fmt.Fprintln(w, "  Enduser portal (demo users 1111/demo1111, 2222/demo2222; recharge PINs 10000001, 10000002):")
		fmt.Fprintln(w, "   ", portal)
	}
	if cfg.Int("webconsole") != 0 {
		fmt.Fprintln(w, "  Rules console (an admin's username and password, the key above; add an admin with")
		fmt.Fprintln(w, "  mvapi user add --type admin --username NAME --password-stdin):")
		fmt.Fprintln(w, "   ", base+"/console/")
	} else {
		fmt.Fprintln(w, "  Rules console: off (start with --set webconsole=1)")
	}
}
