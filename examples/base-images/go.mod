module github.com/distill-dev/distill/examples/base-images

go 1.26
