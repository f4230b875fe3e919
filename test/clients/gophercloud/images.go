package main

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud"
	"github.com/gophercloud/gophercloud/openstack"
	"github.com/gophercloud/gophercloud/openstack/imageservice/v2/imagedata"
	"github.com/gophercloud/gophercloud/openstack/imageservice/v2/imageimport"
	"github.com/gophercloud/gophercloud/openstack/imageservice/v2/images"
	"github.com/gophercloud/gophercloud/pagination"
)

// The Image v2 calls Terraform's openstack_images_image_v2 makes (openstack.md §6.4).

func imageClient() (*gophercloud.ServiceClient, error) {
	p, err := provider()
	if err != nil {
		return nil, err
	}
	return openstack.NewImageServiceV2(p, endpointOpts())
}

// multi is a repeatable flag (--property k=v --property k2=v2).
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))}
	}
	return nil
}

func required(name, value string) error {
	if value == "" {
		return usageError{"--" + name + " is required"}
	}
	return nil
}

func keyValue(kv string) (string, string, error) {
	i := strings.IndexByte(kv, '=')
	if i <= 0 {
		return "", "", usageError{fmt.Sprintf("%q is not key=value", kv)}
	}
	return kv[:i], kv[i+1:], nil
}

func splitList(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// imageJSON is the image as gophercloud decoded it (not the raw reply): size from its own
// "size" handling, custom properties in Properties, timestamps as parsed time.Time values.
func imageJSON(img *images.Image) map[string]interface{} {
	return map[string]interface{}{
		"id": img.ID, "name": img.Name, "status": img.Status, "tags": img.Tags,
		"container_format": img.ContainerFormat, "disk_format": img.DiskFormat,
		"min_disk": img.MinDiskGigabytes, "min_ram": img.MinRAMMegabytes, "owner": img.Owner,
		"protected": img.Protected, "visibility": img.Visibility, "checksum": img.Checksum,
		"size": img.SizeBytes, "virtual_size": img.VirtualSize, "properties": img.Properties,
		"created_at": img.CreatedAt.Format(time.RFC3339Nano), "updated_at": img.UpdatedAt.Format(time.RFC3339Nano),
		"file": img.File, "schema": img.Schema,
		"import_methods": img.OpenStackImageImportMethods, "store_ids": img.OpenStackImageStoreIDs,
	}
}

func cmdImageCreate(args []string) (interface{}, error) {
	fs := flag.NewFlagSet("image-create", flag.ContinueOnError)
	name := fs.String("name", "", "image name (required)")
	id := fs.String("id", "", "client-chosen image id")
	visibility := fs.String("visibility", "", "public, private, shared or community")
	tags := fs.String("tags", "", "comma-separated tags")
	container := fs.String("container-format", "", "container format")
	disk := fs.String("disk-format", "", "disk format")
	minDisk := fs.Int("min-disk", 0, "GB")
	minRAM := fs.Int("min-ram", 0, "MB")
	protected := fs.String("protected", "", "true or false (absent: not sent)")
	var props multi
	fs.Var(&props, "property", "key=value custom property (repeatable)")
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	if err := required("name", *name); err != nil {
		return nil, err
	}
	opts := images.CreateOpts{Name: *name, ID: *id, ContainerFormat: *container, DiskFormat: *disk,
		MinDisk: *minDisk, MinRAM: *minRAM}
	if *visibility != "" {
		v := images.ImageVisibility(*visibility)
		opts.Visibility = &v
	}
	if *tags != "" {
		opts.Tags = splitList(*tags)
	}
	if *protected != "" {
		b := *protected == "true"
		opts.Protected = &b
	}
	if len(props) > 0 {
		opts.Properties = map[string]string{}
		for _, kv := range props {
			k, v, err := keyValue(kv)
			if err != nil {
				return nil, err
			}
			opts.Properties[k] = v
		}
	}
	c, err := imageClient()
	if err != nil {
		return nil, err
	}
	img, err := images.Create(c, opts).Extract()
	if err != nil {
		return nil, err
	}
	return imageJSON(img), nil
}

// openData opens --file (a path, or "-" for standard input).
func openData(path string) (io.ReadCloser, error) {
	if path == "-" {
		return io.NopCloser(os.Stdin), nil
	}
	return os.Open(path)
}

func cmdImageUpload(args []string) (interface{}, error) {
	return putData("image-upload", args, imagedata.Upload)
}
func cmdImageStage(args []string) (interface{}, error) {
	return putData("image-stage", args, imagedata.Stage)
}

func putData[R interface{ ExtractErr() error }](name string, args []string,
	put func(*gophercloud.ServiceClient, string, io.Reader) R) (interface{}, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	id := fs.String("id", "", "image id (required)")
	file := fs.String("file", "", "data file, - for standard input (required)")
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	if err := firstErr(required("id", *id), required("file", *file)); err != nil {
		return nil, err
	}
	c, err := imageClient()
	if err != nil {
		return nil, err
	}
	f, err := openData(*file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := put(c, *id, f).ExtractErr(); err != nil {
		return nil, err
	}
	return map[string]interface{}{"id": *id, "ok": true}, nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func cmdImageImport(args []string) (interface{}, error) {
	fs := flag.NewFlagSet("image-import", flag.ContinueOnError)
	id := fs.String("id", "", "image id (required)")
	method := fs.String("method", string(imageimport.GlanceDirectMethod), "glance-direct or web-download")
	uri := fs.String("uri", "", "web-download source")
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	if err := required("id", *id); err != nil {
		return nil, err
	}
	c, err := imageClient()
	if err != nil {
		return nil, err
	}
	opts := imageimport.CreateOpts{Name: imageimport.ImportMethod(*method), URI: *uri}
	if err := imageimport.Create(c, *id, opts).ExtractErr(); err != nil {
		return nil, err
	}
	return map[string]interface{}{"id": *id, "ok": true}, nil
}

func cmdImportInfo(args []string) (interface{}, error) {
	fs := flag.NewFlagSet("import-info", flag.ContinueOnError)
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	c, err := imageClient()
	if err != nil {
		return nil, err
	}
	return imageimport.Get(c).Extract()
}

func cmdImageGet(args []string) (interface{}, error) {
	fs := flag.NewFlagSet("image-get", flag.ContinueOnError)
	id := fs.String("id", "", "image id (required)")
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	if err := required("id", *id); err != nil {
		return nil, err
	}
	c, err := imageClient()
	if err != nil {
		return nil, err
	}
	img, err := images.Get(c, *id).Extract()
	if err != nil {
		return nil, err
	}
	return imageJSON(img), nil
}

// cmdImageWait polls like Terraform's resource after an upload or import: while the status is
// queued, saving or importing, GET again; it fails if the deadline passes first.
func cmdImageWait(args []string) (interface{}, error) {
	fs := flag.NewFlagSet("image-wait", flag.ContinueOnError)
	id := fs.String("id", "", "image id (required)")
	timeout := fs.Duration("timeout", 60*time.Second, "give up after")
	interval := fs.Duration("interval", 200*time.Millisecond, "between GETs")
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	if err := required("id", *id); err != nil {
		return nil, err
	}
	c, err := imageClient()
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(*timeout)
	polls := 0
	for {
		img, err := images.Get(c, *id).Extract()
		polls++
		if err != nil {
			return nil, err
		}
		switch img.Status {
		case images.ImageStatusQueued, images.ImageStatusSaving, images.ImageStatusImporting:
		default:
			out := imageJSON(img)
			out["polls"] = polls
			return out, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("image %s still %s after %s", *id, img.Status, *timeout)
		}
		time.Sleep(*interval)
	}
}

// cmdImageList walks every page with the pager Terraform's data source and Packer use, and
// reports each page's image ids so a test can check the limit/marker/next paging.
func cmdImageList(args []string) (interface{}, error) {
	fs := flag.NewFlagSet("image-list", flag.ContinueOnError)
	var opts images.ListOpts
	fs.IntVar(&opts.Limit, "limit", 0, "page size")
	fs.StringVar(&opts.Marker, "marker", "", "start after this id")
	fs.StringVar(&opts.ID, "id", "", "id or in:…")
	fs.StringVar(&opts.Name, "name", "", "name or in:…")
	visibility := fs.String("visibility", "", "visibility filter")
	memberStatus := fs.String("member-status", "", "member_status filter")
	status := fs.String("status", "", "status filter")
	fs.StringVar(&opts.Owner, "owner", "", "owner project id")
	fs.Int64Var(&opts.SizeMin, "size-min", 0, "bytes")
	fs.Int64Var(&opts.SizeMax, "size-max", 0, "bytes")
	fs.StringVar(&opts.Sort, "sort", "", "new-style sort (k:dir,…)")
	fs.StringVar(&opts.SortKey, "sort-key", "", "old-style sort key")
	fs.StringVar(&opts.SortDir, "sort-dir", "", "old-style sort direction")
	fs.StringVar(&opts.ContainerFormat, "container-format", "", "filter")
	fs.StringVar(&opts.DiskFormat, "disk-format", "", "filter")
	createdAfter := fs.String("created-after", "", "RFC 3339: sends created_at=gt:<date>")
	var tags multi
	fs.Var(&tags, "tag", "tag filter (repeatable)")
	maxPages := fs.Int("max-pages", 1000, "stop after this many pages (a paging loop guard)")
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	opts.Visibility = images.ImageVisibility(*visibility)
	opts.MemberStatus = images.ImageMemberStatus(*memberStatus)
	opts.Status = images.ImageStatus(*status)
	opts.Tags = tags
	if *createdAfter != "" {
		t, err := time.Parse(time.RFC3339, *createdAfter)
		if err != nil {
			return nil, usageError{"--created-after: " + err.Error()}
		}
		opts.CreatedAtQuery = &images.ImageDateQuery{Date: t, Filter: images.FilterGT}
	}
	c, err := imageClient()
	if err != nil {
		return nil, err
	}
	all := []map[string]interface{}{}
	pages := [][]string{}
	errTooManyPages := errors.New("too many pages")
	err = images.List(c, opts).EachPage(func(page pagination.Page) (bool, error) {
		imgs, err := images.ExtractImages(page)
		if err != nil {
			return false, err
		}
		ids := []string{}
		for i := range imgs {
			ids = append(ids, imgs[i].ID)
			all = append(all, imageJSON(&imgs[i]))
		}
		pages = append(pages, ids)
		if len(pages) >= *maxPages {
			return false, errTooManyPages
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]interface{}{"images": all, "pages": pages}, nil
}

// cmdImageUpdate builds the patch list Terraform sends: typed replace operations for the base
// attributes, add/replace/remove for custom properties.
func cmdImageUpdate(args []string) (interface{}, error) {
	fs := flag.NewFlagSet("image-update", flag.ContinueOnError)
	id := fs.String("id", "", "image id (required)")
	name := fs.String("name", "", "replace /name")
	visibility := fs.String("visibility", "", "replace /visibility")
	tags := fs.String("tags", "\x00", "replace /tags (comma-separated; empty: no tags)")
	minDisk := fs.Int("min-disk", -1, "replace /min_disk")
	minRAM := fs.Int("min-ram", -1, "replace /min_ram")
	checksum := fs.String("checksum", "", "replace /checksum (read-only: Glance answers 403)")
	var add, replace, remove multi
	fs.Var(&add, "add", "key=value: add a custom property (repeatable)")
	fs.Var(&replace, "replace", "key=value: replace a custom property (repeatable)")
	fs.Var(&remove, "remove", "key: remove a custom property (repeatable)")
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	if err := required("id", *id); err != nil {
		return nil, err
	}
	var opts images.UpdateOpts
	if *name != "" {
		opts = append(opts, images.ReplaceImageName{NewName: *name})
	}
	if *visibility != "" {
		opts = append(opts, images.UpdateVisibility{Visibility: images.ImageVisibility(*visibility)})
	}
	if *tags != "\x00" {
		opts = append(opts, images.ReplaceImageTags{NewTags: splitList(*tags)})
	}
	if *minDisk >= 0 {
		opts = append(opts, images.ReplaceImageMinDisk{NewMinDisk: *minDisk})
	}
	if *minRAM >= 0 {
		opts = append(opts, images.ReplaceImageMinRam{NewMinRam: *minRAM})
	}
	if *checksum != "" {
		opts = append(opts, images.ReplaceImageChecksum{Checksum: *checksum})
	}
	for _, group := range []struct {
		op  images.UpdateOp
		kvs multi
	}{{images.AddOp, add}, {images.ReplaceOp, replace}} {
		for _, kv := range group.kvs {
			k, v, err := keyValue(kv)
			if err != nil {
				return nil, err
			}
			opts = append(opts, images.UpdateImageProperty{Op: group.op, Name: k, Value: v})
		}
	}
	for _, k := range remove {
		opts = append(opts, images.UpdateImageProperty{Op: images.RemoveOp, Name: k})
	}
	if len(opts) == 0 {
		return nil, usageError{"image-update: nothing to change"}
	}
	c, err := imageClient()
	if err != nil {
		return nil, err
	}
	img, err := images.Update(c, *id, opts).Extract()
	if err != nil {
		return nil, err
	}
	return imageJSON(img), nil
}

// cmdImageDownload streams the data (to --file, or only counted), reporting its size and
// hashes; gophercloud itself verifies nothing, as Terraform doesn't on download.
func cmdImageDownload(args []string) (interface{}, error) {
	fs := flag.NewFlagSet("image-download", flag.ContinueOnError)
	id := fs.String("id", "", "image id (required)")
	file := fs.String("file", "", "write the data here (absent: only hash it)")
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	if err := required("id", *id); err != nil {
		return nil, err
	}
	c, err := imageClient()
	if err != nil {
		return nil, err
	}
	r := imagedata.Download(c, *id)
	body, err := r.Extract()
	if err != nil {
		return nil, err
	}
	defer body.Close()
	m, s := md5.New(), sha256.New()
	sinks := []io.Writer{m, s}
	if *file != "" {
		f, err := os.Create(*file)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		sinks = append(sinks, f)
	}
	n, err := io.Copy(io.MultiWriter(sinks...), body)
	if err != nil {
		return nil, err
	}
	return map[string]interface{}{
		"id": *id, "bytes": n, "md5": hex.EncodeToString(m.Sum(nil)), "sha256": hex.EncodeToString(s.Sum(nil)),
		"content_md5": r.Header.Get("Content-MD5"), "content_type": r.Header.Get("Content-Type"),
	}, nil
}

func cmdImageDelete(args []string) (interface{}, error) {
	fs := flag.NewFlagSet("image-delete", flag.ContinueOnError)
	id := fs.String("id", "", "image id (required)")
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	if err := required("id", *id); err != nil {
		return nil, err
	}
	c, err := imageClient()
	if err != nil {
		return nil, err
	}
	if err := images.Delete(c, *id).ExtractErr(); err != nil {
		return nil, err
	}
	return map[string]interface{}{"id": *id, "deleted": true}, nil
}
