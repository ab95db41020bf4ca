module github.com/distill-dev/distill/tools/cosign

go 1.26
