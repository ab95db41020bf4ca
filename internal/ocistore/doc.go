// Package ocistore keeps OCI image layouts: distill's local image cache (the
// content store BuildKit reads base images from through the session, so no
// registry is needed) and the destinations images are written to
// (oci:DIR, tar:FILE, docker:FILE, image:REF).
//
// It works on go-containerregistry values (v1.Image) and must not build,
// sign or scan anything.
package ocistore
