// Package ocistore keeps OCI image layouts: distill's local image cache (the
// content store BuildKit reads base images from through the session, so no
// registry is needed) and the destinations images are written to
// (oci:DIR, tar:FILE, docker:FILE, image:REF).
//
// Write sends one image to a destination, WriteIndex a multi-platform index
// (docker:FILE takes only one platform); ReadLayout and Single read them back.
//
// It works on go-containerregistry values (v1.Image, v1.ImageIndex) and must not
// build, sign or scan anything.
package ocistore
