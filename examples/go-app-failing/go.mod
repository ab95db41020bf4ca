module github.com/distill-dev/distill/examples/go-app-failing

go 1.26
