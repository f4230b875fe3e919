// Command gophercloud-client drives Plankton through gophercloud's own packages (Debian's
// golang-github-gophercloud-gophercloud-dev, 0.12), the library inside Terraform's OpenStack
// provider and Packer, so the Node tests can check what that client really sends and accepts.
//
// Usage: gophercloud-client <command> [flags]
//
// Credentials come from the OS_* variables Terraform's provider maps onto gophercloud.AuthOptions
// (see auth.go). Every command prints exactly one JSON document on stdout and exits 0; on failure
// it prints {"error": {...}} on stderr (the Go type of gophercloud's error, the HTTP status when
// there is one, the message) and exits 1. Usage errors exit 2.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
)

type command struct {
	summary string
	run     func(args []string) (interface{}, error)
}

var commands = map[string]command{
	"auth":           {"authenticate; print the token, user, project, catalog and the endpoints gophercloud picks", cmdAuth},
	"image-create":   {"images.Create", cmdImageCreate},
	"image-upload":   {"imagedata.Upload (PUT …/file)", cmdImageUpload},
	"image-stage":    {"imagedata.Stage (PUT …/stage)", cmdImageStage},
	"image-import":   {"imageimport.Create (POST …/import)", cmdImageImport},
	"import-info":    {"imageimport.Get (GET /v2/info/import)", cmdImportInfo},
	"image-get":      {"images.Get", cmdImageGet},
	"image-wait":     {"images.Get until the status leaves queued|saving|importing, as Terraform waits", cmdImageWait},
	"image-list":     {"images.List, following next links page by page", cmdImageList},
	"image-update":   {"images.Update (v2.1 json-patch)", cmdImageUpdate},
	"image-download": {"imagedata.Download", cmdImageDownload},
	"image-delete":   {"images.Delete", cmdImageDelete},
	"member-create":  {"members.Create", cmdMemberCreate},
	"member-list":    {"members.List", cmdMemberList},
	"member-get":     {"members.Get", cmdMemberGet},
	"member-update":  {"members.Update", cmdMemberUpdate},
	"member-delete":  {"members.Delete", cmdMemberDelete},
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: gophercloud-client <command> [flags]; commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-15s %s\n", n, commands[n].summary)
	}
}

// usageError marks bad command lines (exit status 2), as opposed to failed requests (1).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	cmd, ok := commands[os.Args[1]]
	if !ok {
		usage()
		os.Exit(2)
	}
	result, err := cmd.run(os.Args[2:])
	if err != nil {
		if _, bad := err.(usageError); bad {
			fmt.Fprintln(os.Stderr, "gophercloud-client:", err)
			os.Exit(2)
		}
		printJSON(os.Stderr, map[string]interface{}{"error": describeError(err)})
		os.Exit(1)
	}
	printJSON(os.Stdout, result)
}

func printJSON(f *os.File, v interface{}) {
	enc := json.NewEncoder(f)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		fmt.Fprintln(os.Stderr, "gophercloud-client: cannot encode the result:", err)
		os.Exit(1)
	}
}
