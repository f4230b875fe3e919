package main

import (
	"fmt"

	"github.com/gophercloud/gophercloud"
)

// describeError reports an error the way a caller of gophercloud sees it: its concrete type
// (Terraform and Packer branch on gophercloud.ErrDefault401, ErrDefault404…), the HTTP status,
// the request and the body gophercloud kept, so tests can assert on the exact refusal.
func describeError(err error) map[string]interface{} {
	d := map[string]interface{}{"type": fmt.Sprintf("%T", err), "message": err.Error()}
	if sc, ok := err.(gophercloud.StatusCodeError); ok {
		d["status"] = sc.GetStatusCode()
	}
	if r, ok := responseError(err); ok {
		d["method"] = r.Method
		d["url"] = r.URL
		d["expected"] = r.Expected
		d["body"] = string(r.Body)
	}
	return d
}

// responseError digs the HTTP details out of gophercloud's ErrDefaultNNN wrappers.
func responseError(err error) (gophercloud.ErrUnexpectedResponseCode, bool) {
	switch e := err.(type) {
	case gophercloud.ErrUnexpectedResponseCode:
		return e, true
	case gophercloud.ErrDefault400:
		return e.ErrUnexpectedResponseCode, true
	case gophercloud.ErrDefault401:
		return e.ErrUnexpectedResponseCode, true
	case gophercloud.ErrDefault403:
		return e.ErrUnexpectedResponseCode, true
	case gophercloud.ErrDefault404:
		return e.ErrUnexpectedResponseCode, true
	case gophercloud.ErrDefault405:
		return e.ErrUnexpectedResponseCode, true
	case gophercloud.ErrDefault408:
		return e.ErrUnexpectedResponseCode, true
	case gophercloud.ErrDefault409:
		return e.ErrUnexpectedResponseCode, true
	case gophercloud.ErrDefault429:
		return e.ErrUnexpectedResponseCode, true
	case gophercloud.ErrDefault500:
		return e.ErrUnexpectedResponseCode, true
	case gophercloud.ErrDefault503:
		return e.ErrUnexpectedResponseCode, true
	}
	return gophercloud.ErrUnexpectedResponseCode{}, false
}
