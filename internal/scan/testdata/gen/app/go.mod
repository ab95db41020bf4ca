module example.com/app

go 1.26.8

require golang.org/x/text v0.3.5
