package main

import (
	"flag"
	"time"

	"github.com/gophercloud/gophercloud/openstack/imageservice/v2/members"
	"github.com/gophercloud/gophercloud/pagination"
)

// Image sharing as Terraform's openstack_images_image_access_v2 (owner side) and
// openstack_images_image_access_accept_v2 (member side) do it.

func memberJSON(m *members.Member) map[string]interface{} {
	return map[string]interface{}{
		"image_id": m.ImageID, "member_id": m.MemberID, "status": m.Status, "schema": m.Schema,
		"created_at": m.CreatedAt.Format(time.RFC3339Nano), "updated_at": m.UpdatedAt.Format(time.RFC3339Nano),
	}
}

// memberFlags parses --id (the image) and, when wanted, --member (a project id).
func memberFlags(name string, args []string, wantMember bool, extra func(*flag.FlagSet)) (string, string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	id := fs.String("id", "", "image id (required)")
	member := fs.String("member", "", "member project id")
	if extra != nil {
		extra(fs)
	}
	if err := parse(fs, args); err != nil {
		return "", "", err
	}
	if err := required("id", *id); err != nil {
		return "", "", err
	}
	if wantMember {
		if err := required("member", *member); err != nil {
			return "", "", err
		}
	}
	return *id, *member, nil
}

func cmdMemberCreate(args []string) (interface{}, error) {
	id, member, err := memberFlags("member-create", args, true, nil)
	if err != nil {
		return nil, err
	}
	c, err := imageClient()
	if err != nil {
		return nil, err
	}
	m, err := members.Create(c, id, member).Extract()
	if err != nil {
		return nil, err
	}
	return memberJSON(m), nil
}

func cmdMemberList(args []string) (interface{}, error) {
	id, _, err := memberFlags("member-list", args, false, nil)
	if err != nil {
		return nil, err
	}
	c, err := imageClient()
	if err != nil {
		return nil, err
	}
	out := []map[string]interface{}{}
	err = members.List(c, id).EachPage(func(page pagination.Page) (bool, error) {
		ms, err := members.ExtractMembers(page)
		if err != nil {
			return false, err
		}
		for i := range ms {
			out = append(out, memberJSON(&ms[i]))
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]interface{}{"members": out}, nil
}

func cmdMemberGet(args []string) (interface{}, error) {
	id, member, err := memberFlags("member-get", args, true, nil)
	if err != nil {
		return nil, err
	}
	c, err := imageClient()
	if err != nil {
		return nil, err
	}
	m, err := members.Get(c, id, member).Extract()
	if err != nil {
		return nil, err
	}
	return memberJSON(m), nil
}

func cmdMemberUpdate(args []string) (interface{}, error) {
	var status *string
	id, member, err := memberFlags("member-update", args, true, func(fs *flag.FlagSet) {
		status = fs.String("status", "", "accepted, rejected or pending (required)")
	})
	if err != nil {
		return nil, err
	}
	if err := required("status", *status); err != nil {
		return nil, err
	}
	c, err := imageClient()
	if err != nil {
		return nil, err
	}
	m, err := members.Update(c, id, member, members.UpdateOpts{Status: *status}).Extract()
	if err != nil {
		return nil, err
	}
	return memberJSON(m), nil
}

func cmdMemberDelete(args []string) (interface{}, error) {
	id, member, err := memberFlags("member-delete", args, true, nil)
	if err != nil {
		return nil, err
	}
	c, err := imageClient()
	if err != nil {
		return nil, err
	}
	if err := members.Delete(c, id, member).ExtractErr(); err != nil {
		return nil, err
	}
	return map[string]interface{}{"image_id": id, "member_id": member, "deleted": true}, nil
}
