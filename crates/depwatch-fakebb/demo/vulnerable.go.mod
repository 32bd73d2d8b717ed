module example.com/corp/inventory

go 1.21

require (
	github.com/google/uuid v1.6.0
	golang.org/x/text v0.3.0
)

require golang.org/x/sys v0.15.0 // indirect
