module github.com/distill-dev/distill/examples/go-app

go 1.26.0

require golang.org/x/text v0.42.0
