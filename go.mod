module baton

go 1.26.0

require (
	github.com/klauspost/compress v1.20.4
	golang.org/x/crypto v0.59.0
	golang.org/x/net v0.62.0
)

require golang.org/x/text v0.44.0 // indirect
