"""openstacksdk (Debian python3-openstacksdk 0.101) against Plankton's Image API v2.

Run by test/image-v2-openstacksdk.test.ts through test/helpers/openstacksdk.ts, with Debian's
/usr/bin/python3. Both users log in by name and password at <url>/identity/v3 (no clouds.yaml,
no OS_* variables). The script does what Ansible's openstack.cloud.image module and a typical
script do, and prints one JSON object per step on stdout ({"step": ..., ...}); the test asserts
on those and on the server's own view. Any exception ends the script with a traceback on stderr
and a non-zero exit status.

Usage: image_v2.py <config.json>, the config being
  {"url", "owner": {"name", "password"}, "member": {"name", "password", "id"},
   "file", "download", "name"}
"""
import hashlib
import json
import sys
import time

import openstack


def connect(url, user):
    return openstack.connect(
        auth_url=url + "/identity/v3",
        username=user["name"],
        password=user["password"],
        project_name=user["name"],
        user_domain_name="Default",
        project_domain_name="Default",
        identity_api_version="3",
        image_api_version="2",
        load_yaml_config=False,
        load_envvars=False,
    )


T0 = time.monotonic()


def emit(step, **fields):
    """One step's result; `elapsed` (seconds since start) shows where a slow run spent its time."""
    print(json.dumps({"step": step, "elapsed": round(time.monotonic() - T0, 2), **fields}), flush=True)


def image_fields(image):
    return {
        "id": image.id,
        "name": image.name,
        "status": image.status,
        "checksum": image.checksum,
        "size": image.size,
        "hash_algo": image.hash_algo,
        "hash_value": image.hash_value,
        "visibility": image.visibility,
        "min_ram": image.min_ram,
        "tags": image.tags,
        # Known to the SDK as attributes, so not in `properties`.
        "os_distro": image.os_distro,
        "hw_disk_bus": image.hw_disk_bus,
        "properties": image.properties or {},
    }


def main():
    with open(sys.argv[1]) as f:
        cfg = json.load(f)
    owner = connect(cfg["url"], cfg["owner"])
    member = connect(cfg["url"], cfg["member"])
    member_id = cfg["member"]["id"]

    # The cloud layer: POST, PUT file, then (wait=True) list until active; validate_checksum
    # GETs the image and compares its checksum with the file's MD5.
    image = owner.create_image(
        cfg["name"],
        filename=cfg["file"],
        disk_format="raw",
        container_format="bare",
        wait=True,
        timeout=120,
        validate_checksum=True,
    )
    emit("create_image", **image_fields(image))

    # find by name: GET /v2/images/<name> → 404, then ?name=
    found = owner.image.find_image(cfg["name"], ignore_missing=False)
    emit("find_image", id=found.id)

    # download: the SDK checks the body's MD5 against Content-MD5 itself.
    owner.image.download_image(found, output=cfg["download"])
    with open(cfg["download"], "rb") as f:
        emit("download_image", md5=hashlib.md5(f.read()).hexdigest())

    # Properties through the cloud layer, then attributes through the proxy (json-patch PATCHes).
    owner.update_image_properties(image=found, os_distro="debian", hw_disk_bus="virtio")
    # (Not tags here: the SDK diffs the list into '/tags/0', which Glance refuses as Plankton does.)
    updated = owner.image.update_image(found, name=cfg["name"] + "-renamed", min_ram=256)
    emit("update_image", **image_fields(updated))
    owner.image.add_tag(updated, "sdk")
    again = owner.image.get_image(found.id)
    emit("get_image", **image_fields(again))

    # Members: the owner adds, the member answers for itself, the owner removes.
    added = owner.image.add_member(found.id, member_id=member_id)
    emit("add_member", member_id=added.member_id, status=added.status)
    listed = [m.member_id for m in owner.image.members(found.id)]
    emit("members", member_ids=listed)
    pending = [i.id for i in member.image.images(member_status="pending")]
    emit("member_sees_pending", ids=pending)
    accepted = member.image.update_member(member_id, found.id, status="accepted")
    emit("update_member", member_id=accepted.member_id, status=accepted.status)
    shared = [i.id for i in member.image.images(visibility="shared")]
    emit("member_sees_shared", ids=shared)
    owner.image.remove_member(member_id, found.id)
    emit("remove_member", member_ids=[m.member_id for m in owner.image.members(found.id)])

    # The cloud layer deletes and waits (lists) until the image is gone.
    deleted = owner.delete_image(found.id, wait=True, timeout=120)
    emit("delete_image", deleted=deleted, left=[i.id for i in owner.image.images() if i.id == found.id])


if __name__ == "__main__":
    main()
